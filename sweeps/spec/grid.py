"""Grid assembly: spec tables become axes, axes become resolved job configs.

Internal to ``sweeps.spec``: ``[params]``, each ``[[grid]]`` table and each ``--set`` override
is parsed into a list of axes (a zip group is one axis over several names); a more specific
layer replaces same-named axes of the layers before it (taking them out of zip groups, whose
other axes stay paired); the product of a sub-grid's axes gives its jobs, each resolved
against its task (defaults filled, output and loss chosen, data loaded and validated).
"""

from __future__ import annotations

import difflib
import itertools
import os

import nncore
from sweeps.schema import KEY_DEFAULTS
from sweeps.spec.axes import (CORE_AXES, DEFAULTS, AxisError, check_value, expand_hidden,
                              expand_init, expand_list, name_tables, parse_override,
                              task_param)
from sweeps.tasks import TASKS, TaskError, make_task, resolve_task_params

__all__ = ["SpecError", "GridBuilder", "sub_grids", "TOP_KEYS"]

TOP_KEYS = ("name", "task", "description", "params", "grid", "max_jobs")
#: Jobs a spec may plan, over all its sub-grids, unless it says ``max_jobs = N``: a typo in
#: a range must be refused before millions of configs are built.
MAX_JOBS = 1_000_000
#: Axis values all ``[[grid]]`` tables together may list (each axis holds at most
#: ``axes.MAX_VALUES``): bounds the work done before the job count is known.
MAX_SPEC_VALUES = 1_000_000
#: Weights and biases of one network (400 MB in float64): a wider or deeper one is a typo
#: that would exhaust a worker's memory, not a small-network sweep.
MAX_PARAMS = 50_000_000


class SpecError(ValueError):
    """A spec that cannot run; the message names the file, the key and what is allowed."""

    def __init__(self, message, *, origin=None, where=None, key=None, allowed=None):
        self.origin, self.where, self.key, self.allowed = origin, where, key, allowed
        place = ", ".join(p for p in (where, f"key {key!r}" if key else None) if p)
        text = f"{origin}: " if origin else ""
        text += f"{place}: {message}" if place else message
        super().__init__(text + (f"; allowed: {allowed}" if allowed else ""))


class _Axis:
    """One axis, or a zip group of several axes paired element-wise."""

    def __init__(self, names, rows, where):
        self.names, self.rows, self.where = tuple(names), list(rows), where

    def drop(self, names):
        keep = [i for i, n in enumerate(self.names) if n not in names]
        if not keep:
            return None
        if len(keep) == len(self.names):
            return self
        return _Axis([self.names[i] for i in keep], [tuple(r[i] for i in keep)
                                                     for r in self.rows], self.where)


def _replace(axes, new):
    """Return ``axes`` with every name set in ``new`` taken out (zip groups keep the rest)."""
    names = {n for a in new for n in a.names}
    kept = [a.drop(names) for a in axes]
    return [a for a in kept if a is not None] + list(new)


def _rank(axis):
    def one(n):
        return (CORE_AXES.index(n), "") if n in CORE_AXES else (0, n)  # task params after task
    return min(one(n) for n in axis.names)


class GridBuilder:
    """Turns a spec dict into resolved configs, raising ``SpecError`` with context."""

    def __init__(self, data, origin, base_dir):
        self.origin, self.base_dir, self.tables = origin, base_dir, name_tables()
        self.tasks_named = self._tasks_named(data)

    def error(self, message, where=None, key=None, allowed=None):
        return SpecError(message, origin=self.origin, where=where, key=key, allowed=allowed)

    @staticmethod
    def _tasks_named(data):
        found = []
        grids = data.get("grid")
        for table in [data, data.get("params")] + (grids if isinstance(grids, list) else []):
            value = table.get("task") if isinstance(table, dict) else None
            found += value if isinstance(value, list) else [value]
        return [t for t in found if isinstance(t, str) and t in TASKS] or list(TASKS)

    def check_key(self, key, where):
        if key in CORE_AXES or task_param(key) is not None:
            return
        params = "; ".join(f"{t}: {', '.join(TASKS[t].param_names)}" for t in self.tasks_named)
        known = list(CORE_AXES) + ["zip"] + [p.name for t in TASKS.values() for p in t.params]
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise self.error(f"unknown key{hint}", where, key,
                         f"{', '.join(CORE_AXES)}, zip, and task parameters ({params})")

    def values(self, key, raw, where):
        """Return the list of values of axis ``key`` given as ``raw`` (at least one)."""
        try:
            values = self._values(key, raw)
            if not values:  # task = [] or init = []: a grid of no jobs is a mistake
                raise AxisError("empty axis", "at least one value")
            return values
        except AxisError as exc:
            raise self.error(str(exc), where, key, exc.allowed) from None

    def _values(self, key, raw):
        if key == "hidden":
            return expand_hidden(raw)
        if key == "init":  # a table here is the arrays, not a range
            return [check_value(key, v, self.tables) for v in expand_init(raw)]
        if key == "task":  # names only: a table is not a range of tasks
            return [check_value(key, v, self.tables) for v in
                    (raw if isinstance(raw, list) else [raw])]
        if key in CORE_AXES:
            return [check_value(key, v, self.tables) for v in expand_list(raw)]
        return self._task_values(task_param(key), raw)

    def _task_values(self, p, raw):
        if p.is_list:  # categorical = ["rank"] (or []) is one value; a list of lists an axis
            if isinstance(raw, (str, int)) or (isinstance(raw, list) and all(
                    isinstance(v, (str, int)) for v in raw)):
                return [raw]
            if not isinstance(raw, list):
                raise AxisError(f"bad value {raw!r}", p.rule)
            return list(raw)
        values = expand_list(raw)
        if p.kind == "path" and self.base_dir is not None:
            # paths written in a spec file are relative to that file, not to the cwd
            values = [os.path.join(self.base_dir, v) if isinstance(v, str)
                      and not os.path.isabs(v) else v for v in values]
        return values

    def table(self, table, where):
        """Parse one ``[params]`` / ``[[grid]]`` table into a list of ``_Axis``."""
        if not isinstance(table, dict):
            raise self.error(f"expected a table, got {table!r}", where)
        axes, seen = [], set()
        for key, raw in table.items():
            if key != "zip":
                self.check_key(key, where)
                axes.append(_Axis([key], [(v,) for v in self.values(key, raw, where)], where))
                seen.add(key)
                continue
            blocks = raw if isinstance(raw, list) else [raw]
            if not blocks or not all(isinstance(b, dict) and b for b in blocks):
                raise self.error("bad zip block", where, "zip", "a table of axes with lists of "
                                 "equal length, e.g. zip = {optimizer = ['gd', 'adam'], "
                                 "lr = [0.5, 0.01]}")
            for block in blocks:
                cols = {}
                for name, value in block.items():
                    self.check_key(name, where)
                    if name in seen or name in cols:
                        raise self.error("axis set twice in one table", where, f"zip.{name}")
                    cols[name] = self.values(name, value, where)
                lengths = {n: len(v) for n, v in cols.items()}
                if len(set(lengths.values())) > 1:
                    raise self.error("zipped axes have different lengths (" + ", ".join(
                        f"{n}: {k}" for n, k in lengths.items()) + ")", where, "zip",
                        "axes with lists of equal length")
                axes.append(_Axis(cols, zip(*cols.values()), where))
                seen.update(cols)
        dup = [k for k in seen if sum(k in a.names for a in axes) > 1]
        if dup:
            raise self.error("axis set twice in one table (also in zip)", where, dup[0])
        return axes

    def expand(self, axes, where):
        """Yield the resolved configs of one sub-grid as ``(config, seeds)`` pairs: the
        jobs are ``config`` with each of ``seeds`` as its seed, in that order.

        Nothing a config resolves depends on its seed, so each config is resolved once
        for all its seeds (the innermost axis): a million jobs of a few thousand configs
        are planned in the time of those few thousand.
        """
        by_name = {n: a for a in axes for n in a.names}
        if "task" not in by_name:
            raise self.error("no task given", where, "task", ", ".join(TASKS))
        if "hidden" not in by_name:
            raise self.error("no architectures given", where, "hidden",
                             "e.g. hidden = [[10], [10, 10]] or {widths = [5, 10], depth = 2}")
        col = by_name["task"].names.index("task")
        for task in dict.fromkeys(row[col] for row in by_name["task"].rows):
            for name in by_name:
                if name not in CORE_AXES and name not in TASKS[task].param_names:
                    grid = f" (in {where})" if by_name[name].where != where else ""
                    raise self.error(f"task {task!r}{grid} has no parameter {name!r}",
                                     by_name[name].where, name,
                                     ", ".join(TASKS[task].param_names))
        axes = sorted(axes, key=_rank)
        seeds = None
        if axes and axes[-1].names == ("seed",):  # alone, it sorts last: the innermost
            seeds = [row[0] for row in axes[-1].rows]
            axes = axes[:-1]
        datasets = {}
        for combo in itertools.product(*(a.rows for a in axes)):
            values = {n: v for a, row in zip(axes, combo) for n, v in zip(a.names, row)}
            if seeds is not None:
                values["seed"] = seeds[0]
            config = self.resolve(values, by_name, datasets)
            yield config, seeds if seeds is not None else [config["seed"]]

    def _dataset(self, task, tp, by_name, cache):
        frozen = repr(sorted(tp.items()))
        if (task, frozen) not in cache:
            try:
                params = resolve_task_params(task, tp)
                cache[task, frozen] = params, make_task(task, **params)
            except TaskError as exc:
                # the message already says what is allowed; point at the axis at fault
                axis = by_name.get(exc.param, by_name["task"])
                raise self.error(str(exc), axis.where, exc.param or "task") from None
        return cache[task, frozen]

    def resolve(self, values, by_name, cache):
        task = values["task"]
        tp = {k: v for k, v in values.items() if k not in CORE_AXES}
        task_params, ds = self._dataset(task, tp, by_name, cache)
        try:  # nncore owns the pairing of outputs and losses and their defaults
            output, loss = nncore.choose_output_loss(ds.kind, values.get("output"),
                                                     values.get("loss"),
                                                     defaults=ds.default_output_loss)
            if ds.single_output and output == "softmax":
                raise ValueError("its networks have one output unit (a 0/1 target); softmax "
                                 "needs one unit per class: use sigmoid, tanh or identity")
        except ValueError as exc:
            key = "loss" if "loss" in by_name else "output"
            raise self.error(f"task {task!r}: {exc}", by_name[key].where, key) from None
        if values.get("patience") is not None and not len(ds.X_val):
            axis = by_name["patience"]
            raise self.error(f"task {task!r} holds out no validation data (it trains and is "
                             "scored on every row), so there is nothing to stop early on",
                             axis.where, "patience", '"off", or a task with validation data '
                             "(val_size > 0)")
        config = {"task": task, "task_params": task_params, "hidden": list(values["hidden"]),
                  "activation": values.get("activation", DEFAULTS["activation"]),
                  "output": output, "loss": loss}
        for key in CORE_AXES[CORE_AXES.index("optimizer"):]:
            config[key] = values.get(key, DEFAULTS[key])
            if key in KEY_DEFAULTS and config[key] == KEY_DEFAULTS[key]:
                del config[key]  # the default is left out: the job keeps its key
        if config["batch_size"] is None:
            # Full batch has no order to seed (as scikit-learn ignores ``shuffle`` for
            # lbfgs): the job is the one without the axis, and has its key.
            config.pop("shuffle_seed", None)
        layers = [ds.n_in, *config["hidden"], ds.output_units(output)]
        n_params = nncore.count_params(layers)
        if n_params > MAX_PARAMS:
            raise self.error(f"the network {layers} has {n_params:,} parameters",
                             by_name["hidden"].where, "hidden",
                             f"networks of at most {MAX_PARAMS:,} weights and biases")
        if isinstance(config["init"], dict):  # arrays must fit this job's layers
            try:
                nncore.init_params(layers, config["init"])
            except ValueError as exc:
                raise self.error(str(exc), by_name["init"].where, "init") from None
        return config


def count_jobs(grids) -> int:
    """The jobs the sub-grids ``[(axes, where), ...]`` expand to, before expanding them."""
    total = 0
    for axes, _ in grids:
        size = 1
        for axis in axes:
            size *= len(axis.rows)
        total += size
    return total


def check_job_count(data, grids, builder):
    """Refuse a spec that plans more jobs than its ``max_jobs`` (default ``MAX_JOBS``)."""
    limit = data.get("max_jobs", MAX_JOBS)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise builder.error("must be an int >= 1", "top level", "max_jobs")
    total = count_jobs(grids)
    if total > limit:
        raise builder.error(f"the spec plans {total:,} jobs over {len(grids)} sub-grid(s), "
                            f"more than max_jobs = {limit:,}", None, "max_jobs",
                            "fewer values, or raise the cap with a top-level "
                            f"max_jobs = {total} if you mean it")


def sub_grids(data, builder, overrides):
    """Return ``(sub-grid axes, where)`` pairs after ``[params]`` and ``--set`` merging."""
    unknown = [k for k in data if k not in TOP_KEYS]
    if unknown:
        raise builder.error("unknown key at top level (axes go in [params] or [[grid]])",
                            None, unknown[0], ", ".join(TOP_KEYS))
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise builder.error("must be a string", "top level", key)
    shared = builder.table(data.get("params", {}), "[params]")
    if "task" in data:
        if any("task" in a.names for a in shared):
            raise builder.error("task set both at top level and in [params]", "top level",
                                "task")
        shared += builder.table({"task": data["task"]}, "top level")
    grids = data.get("grid", [{}])
    if not isinstance(grids, list) or not grids:
        raise builder.error("expected one or more [[grid]] tables", None, "grid")
    sets = []
    for text in overrides:
        where = f"override {text!r}"
        try:
            name, raw = parse_override(text)
        except AxisError as exc:
            raise builder.error(str(exc), where, None, exc.allowed) from None
        if name == "zip":
            raise builder.error("zip blocks cannot be overridden; override their axes",
                                where, name, "axis=value with an axis name")
        sets = _replace(sets, builder.table({name: raw}, where))  # a later --set wins
    out, n_values = [], 0
    for i, g in enumerate(grids, start=1):
        own = builder.table(g, f"[[grid]] #{i}")
        # Each axis holds at most MAX_VALUES values, but a thousand sub-grids of such axes
        # would hold 100 million before the job count could say no.
        n_values += sum(len(axis.rows) for axis in own)
        if n_values > MAX_SPEC_VALUES:
            raise builder.error(f"the axes of the first {i} of {len(grids)} sub-grids already "
                                f"hold {n_values:,} values", None, "grid",
                                f"at most {MAX_SPEC_VALUES:,} axis values over all sub-grids")
        out.append((_replace(_replace(shared, own), sets),
                    f"[[grid]] #{i}" if "grid" in data else "[params]"))
    return out
