"""Which axes matter in a sweep, by how much, and how sure that is.

A grid swept with seeds is a factorial experiment with replicates: every config is a cell,
every ok seed a replicate. :func:`effects` answers it as a design-of-experiments textbook
does (:mod:`results.factorial` holds the arithmetic):

- the main effect of each axis: the mean metric at each value, averaged over every other
  axis (each config counted once), with a 95 % Student t interval from the seeds' error;
- each axis's share of the variance between configs: eta squared of the factorial ANOVA
  on the grid (``eta_sq``, as statsmodels' ``anova_lm``), and the share with the seeds'
  noise taken out (``share``, as omega squared does: noise alone makes every axis look
  a little important), with a 95 % basic bootstrap interval from resampling each
  config's seeds;
- an F-test of each axis against the seeds' error: an axis is called significant when the
  seeds cannot explain its effect; the value that is best and its differences to each
  other value (configs agreeing on every other axis), Holm-corrected over those values;
- two-way interactions of the leading axes, as shares and F-tests.

Only a full grid is analysed: a value whose configs are missing (a sub-grid, a zip, a
config with no ok seed) is left out, never averaged in, and the result says so.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from results import factorial
from results.effects_text import axis_sentence, effects_text
from results.figures.facets import ordered
from results.frame import (available_metrics, held_out, lockstep, ok_metric, prepare,
                           task_kind, uniform_width, varying_axes)
from sweeps.schema import METRICS, hashable, higher_is_better, main_metric

ALPHA = 0.05
N_RESAMPLES = 1000
#: How many leading axes have their two-way interactions analysed.
LEADING = 3


def effects(df, *, on=None, alpha=ALPHA, n_resamples=N_RESAMPLES, seed=0):
    """Main effects, variance shares, tests and interactions of the axes of a sweep.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema, one task.
    on : str, default=None
        The metric analysed. None takes the task's main validation metric (as ``best``
        and ``compare`` choose); the test counterpart is shown as the estimate.
    alpha : float, default=0.05
        Level of the tests: an axis is significant when its F-test p < ``alpha``.
    n_resamples : int, default=1000
        Bootstrap resamples of the seeds for the intervals of the shares.
    seed : int, default=0
        Seed of the resampling (the result is deterministic).

    Returns
    -------
    dict
        ``axes`` (DataFrame, one row per axis, most variance first: ``axis``, ``share``
        (seed noise taken out), ``share_low``, ``share_high``, ``eta_sq``, ``p_value``
        (F-test), ``significant``, ``best``, ``n_values``, ``text``), ``main`` (one
        row per axis value: ``mean``, ``ci_low``, ``ci_high``, the same for the test
        metric, ``n_configs``), ``pairs`` (best value
        against each other: ``diff`` = other - best, its interval, ``wins`` of
        ``n_configs``, ``p_value`` and ``p_holm``), ``interactions`` (pairs of leading
        axes: ``share``, interval, ``p_value``), ``cells`` (the analysed configs' means),
        ``on``, ``test``, ``notes`` (what was left out and why; how the error was
        taken) and ``text`` (the ranked sentences).
    """
    df = prepare(df)
    notes = []
    on, test = _metrics(df, on, notes)
    factors, frame, notes = _factors(df, notes)
    grid = _grid(frame, factors, on, notes)
    ana = _analyse(grid, n_resamples, seed)
    est = _analyse(_grid(frame, factors, test, [], levels=grid["levels"]), 0, seed) \
        if test else None
    axes, main, pairs = _axes_tables(grid, ana, est, on, alpha)
    inter = _interactions(grid, ana, axes)
    if ana["blocked"]:
        notes.append(f"every config holds the same {grid['values'].shape[1]} seeds: they "
                     "are blocks, so what a seed does to every config is not counted as "
                     "error (seeds paired with seeds)")
    out = {"axes": axes, "main": main, "pairs": pairs, "interactions": inter,
           "cells": grid["cells"], "on": on, "test": test, "notes": notes, "alpha": alpha,
           "error": {"ms": ana["ms"], "df": ana["df"], "seeds": ana["r"]}}
    out["text"] = effects_text(out)
    return out


def _metrics(df, on, notes):
    kind = task_kind(df)
    if df["task"].map(hashable).nunique() > 1:
        raise ValueError("the sweep holds several tasks; their metrics are not alike: "
                         "explain one task at a time (filter df by task)")
    if kind is None or not (df["status"] == "ok").any():
        raise ValueError("no ok job yet: nothing to explain")
    if on is None:
        on = main_metric(kind, "val" if held_out(df, "val") else "train")
        if on.startswith("train_"):  # a truth table: every metric is a training metric
            notes.append(f"no validation data in this sweep: explaining {on}, a training "
                         "metric")
    elif on not in METRICS or on not in available_metrics(df):
        raise ValueError(f"unknown metric {on!r} for this {kind} sweep; allowed: "
                         f"{', '.join(m for m in available_metrics(df) if m != 'wall_time')}")
    if not ok_metric(df, on).notna().any():
        raise ValueError(f"no ok job has a value of {on}: nothing to explain yet")
    test = "test_" + on.split("_", 1)[1] if on.startswith("val_") else None
    return on, (test if test in available_metrics(df) else None)


def _factors(df, notes):
    """The factors of the design: varying axes, the architecture as width and depth."""
    frame = df.copy()
    axes = varying_axes(df)
    widths = df["hidden"].map(uniform_width)
    if widths.notna().all() and "width" not in df and (
            widths.nunique() > 1 or df["depth"].nunique() > 1):
        frame["width"] = widths.astype(int)
        axes += [a for a in ("width", "depth") if frame[a].nunique() > 1]
    elif df["layers"].nunique() > 1:
        axes.append("layers")
    kept = []
    for axis in axes:
        twin = next((k for k in kept if lockstep(frame, k, axis)), None)
        if twin is None:
            kept.append(axis)
        else:
            notes.append(f"{axis} moves with {twin} (zipped): counted as one axis, {twin}")
    if not kept:
        raise ValueError("nothing varies in this sweep but the seed: there is no axis "
                         "to explain (`sweeps best` ranks its one config)")
    return kept, frame, notes


def _grid(frame, factors, metric, notes, levels=None):
    """The full grid of configs with ok seeds: values per cell, values left out noted."""
    keys = pd.Series(list(zip(*(frame[f].map(hashable) for f in factors))), index=frame.index)
    ok = ok_metric(frame, metric)
    cells = {}
    for key, value, seed in zip(keys, ok, frame["seed"]):
        cells.setdefault(key, [])
        if np.isfinite(value):
            cells[key].append((seed, value))
    if levels is None:
        levels = [ordered({k[j] for k in cells}) + ([None] if any(k[j] is None for k in cells)
                                                    else []) for j in range(len(factors))]
        levels = _complete(cells, levels, factors, notes)
    names = [f for f, lv in zip(factors, levels) if len(lv) > 1]
    if not names:
        raise ValueError(f"no axis keeps two values with ok results on {metric}: "
                         + "; ".join(notes))
    full = list(itertools.product(*levels))
    r_max = max(len(cells[c]) for c in full)
    values = np.full((len(full), r_max), np.nan)
    seeds = np.full((len(full), r_max), np.nan)
    for i, c in enumerate(full):
        for j, (s, v) in enumerate(sorted(cells[c], key=lambda sv: sv[0])):
            seeds[i, j], values[i, j] = s, v
    counts = np.isfinite(values).sum(axis=1)
    if counts.min() < r_max:
        notes.append(f"{int((counts < r_max).sum())} of {len(full)} configs have fewer ok "
                     f"seeds than {r_max} (failed or diverged jobs): each config still "
                     "counts once (unweighted means)")
    used = [j for j, lv in enumerate(levels) if len(lv) > 1]
    shape = tuple(len(levels[j]) for j in used)
    table = pd.DataFrame([dict(zip(factors, c)) for c in full])[names]
    table = table.assign(mean=np.nanmean(values, axis=1), n_seeds=counts)
    return {"factors": names, "levels": levels, "shape": shape, "values": values,
            "seeds": seeds, "counts": counts,
            "labels": [levels[j] for j in used], "cells": table}


def _complete(cells, levels, factors, notes):
    """Drop axis values until every combination of the rest has an ok seed."""
    levels = [list(lv) for lv in levels]
    while True:
        full = list(itertools.product(*levels))
        missing = [c for c in full if not cells.get(c)]
        if not missing:
            return levels
        best = None
        for j, lv in enumerate(levels):
            if len(lv) < 2:
                continue
            for v in lv:
                fixed = sum(c[j] == v for c in missing)
                lost = sum(c[j] == v for c in full) - fixed
                if fixed and (best is None or (lost / fixed, lost) < best[0]):
                    best = ((lost / fixed, lost), j, v, fixed)
        if best is None:
            raise ValueError("the sweep's configs do not form a grid with ok results")
        _, j, v, fixed = best
        failed = sum(c[j] == v and c in cells for c in missing)
        why = (f"{failed} of its configs have no ok seed" if failed else "") + (
            "; " if failed and fixed > failed else "") + (
            f"{fixed - failed} combinations are not in the sweep" if fixed > failed else "")
        levels[j].remove(v)
        notes.append(f"left out {factors[j]} = {v}: {why} (a sub-grid, a zip or failed "
                     "jobs); averaging them in would compare unlike configs")


def _analyse(grid, n_resamples, seed):
    shape, k = grid["shape"], len(grid["shape"])
    means = np.nanmean(grid["values"], axis=1).reshape(shape)
    counts = grid["counts"]
    ms, df_e, blocked = factorial.error_term(grid["values"], counts, grid["seeds"])
    out = {"means": means, "sums": factorial.effect_sums(means, k), "ms": ms, "df": df_e,
           "blocked": blocked, "r": len(counts) / float(np.sum(1.0 / counts))}
    if n_resamples:
        boot, ms_boot = factorial.resample_means(grid["values"], counts, shape,
                                                 n_resamples=n_resamples, seed=seed)
        out["boot"] = factorial.effect_sums(boot, k)
        out["boot_ms"] = ms_boot
    return out


def _share(ana, key, df_effect):
    """(eta squared, the share with seed noise taken out, its bootstrap interval)."""
    sums = ana["sums"]
    df_between = int(np.prod(ana["means"].shape)) - 1
    eta = float(sums[key] / sums["between"]) if sums["between"] > 0 else 0.0
    share = float(factorial.corrected_share(sums[key], df_effect, sums["between"],
                                            df_between, ana["ms"], ana["r"]))
    if "boot" not in ana:  # n_resamples=0: no interval asked for
        return eta, share, np.nan, np.nan
    boot = factorial.corrected_share(ana["boot"][key], df_effect, ana["boot"]["between"],
                                     df_between, ana["boot_ms"], ana["r"])
    return (eta, share, *factorial.pivot_interval(share, eta, boot))


def _half(ana, n_cells, confidence=0.95):
    """Half-width of the t interval of a mean over ``n_cells`` configs' means."""
    from scipy import stats

    if not ana["df"] or not np.isfinite(ana["ms"]):
        return np.nan
    return float(stats.t.ppf(0.5 + confidence / 2, ana["df"])
                 * np.sqrt(ana["ms"] / (ana["r"] * n_cells)))


def _axes_tables(grid, ana, est, on, alpha):
    rows, main, pairs = [], [], []
    sign = 1 if higher_is_better(on) else -1
    size = int(np.prod(grid["shape"]))
    for j, (axis, labels) in enumerate(zip(grid["factors"], grid["labels"])):
        n_j = len(labels)
        per = size // n_j  # configs per value: every combination of the other axes
        main += _main_rows(axis, labels, j, per, ana, est)
        best = int(np.argmax(sign * ana["sums"]["main"][j]))
        pairs += _pair_rows(axis, labels, j, best, per, ana, sign)
        eta, share, low, high = _share(ana, (j,), n_j - 1)
        p = factorial.f_test(ana["sums"][(j,)], n_j - 1, ana["r"], ana["ms"], ana["df"])
        rows.append({"axis": axis, "share": share, "share_low": low, "share_high": high,
                     "eta_sq": eta, "p_value": p, "significant": bool(p < alpha),
                     "best": labels[best], "n_values": n_j})
    axes = pd.DataFrame(rows).sort_values(["share", "eta_sq"], ascending=False,
                                          kind="stable")
    pairs, main = pd.DataFrame(pairs), pd.DataFrame(main)
    axes["text"] = [axis_sentence(r, pairs[pairs["axis"] == r.axis], on, alpha, main)
                    for r in axes.itertuples()]
    return axes.reset_index(drop=True), main, pairs


def _main_rows(axis, labels, j, per, ana, est):
    """The mean at each value of an axis over the others, its interval; the test's too."""
    m, half = ana["sums"]["main"][j], _half(ana, per)
    rows = []
    for i, value in enumerate(labels):
        row = {"axis": axis, "value": value, "mean": m[i], "ci_low": m[i] - half,
               "ci_high": m[i] + half, "n_configs": per}
        if est is not None:
            t_half, t_mean = _half(est, per), est["sums"]["main"][j][i]
            row.update(test_mean=t_mean, test_ci_low=t_mean - t_half,
                       test_ci_high=t_mean + t_half)
        rows.append(row)
    return rows


def _pair_rows(axis, labels, j, best, per, ana, sign):
    """Each other value against the best: difference, interval, wins, t-test, Holm."""
    from scipy import stats

    m = ana["sums"]["main"][j]
    by_value = np.moveaxis(ana["means"], j, 0).reshape(len(labels), -1)
    se = np.sqrt(2 * ana["ms"] / (ana["r"] * per)) if ana["df"] else np.nan
    d_half = _half(ana, per) * np.sqrt(2)
    rows = []
    for i, value in enumerate(labels):
        if i == best:
            continue
        diff = float(m[i] - m[best])
        p = (np.nan if not np.isfinite(se) else float(diff == 0) if se == 0
             else float(2 * stats.t.sf(abs(diff) / se, ana["df"])))
        wins = int(np.sum(sign * (by_value[best] - by_value[i]) > 1e-12))
        rows.append({"axis": axis, "best": labels[best], "other": value, "diff": diff,
                     "ci_low": diff - d_half, "ci_high": diff + d_half, "wins": wins,
                     "n_configs": per, "p_value": p})
    for row, p_holm in zip(rows, factorial.holm([r["p_value"] for r in rows])):
        row["p_holm"] = p_holm
    return rows


def _interactions(grid, ana, axes):
    leading = [grid["factors"].index(a) for a in axes["axis"][:LEADING]]
    rows = []
    for j, l in itertools.combinations(sorted(leading), 2):
        df_jl = (grid["shape"][j] - 1) * (grid["shape"][l] - 1)
        eta, share, low, high = _share(ana, (j, l), df_jl)
        rows.append({"axes": f"{grid['factors'][j]} x {grid['factors'][l]}",
                     "first": grid["factors"][j], "second": grid["factors"][l],
                     "share": share, "share_low": low, "share_high": high, "eta_sq": eta,
                     "p_value": factorial.f_test(ana["sums"][(j, l)], df_jl, ana["r"],
                                                 ana["ms"], ana["df"])})
    return pd.DataFrame(rows, columns=["axes", "first", "second", "share", "share_low",
                                       "share_high", "eta_sq", "p_value"]).sort_values(
        "share", ascending=False, kind="stable").reset_index(drop=True)
