"""``load_spec`` and the ``Spec`` it returns: a validated, numbered list of job configs.

The format is documented in :mod:`sweeps.spec`.
"""

from __future__ import annotations

import difflib
import errno
import gc
import os
import re
import stat
import tomllib
from collections.abc import Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from sweeps.keys import job_key, seed_keys
from sweeps.spec.grid import GridBuilder, SpecError, check_job_count, sub_grids
from sweeps.spec.render import to_toml
from sweeps.values import plain

__all__ = ["Spec", "SpecError", "ConfigJobs", "load_spec", "list_presets"]


class ConfigJobs(NamedTuple):
    """The jobs of one resolved config (``Spec.by_config``): job numbers ``jobs`` (a
    range), each ``config`` with its seed from ``seeds`` and its key from ``keys``, in
    order; ``seeds`` is None for a config given as it is (one job, ``config`` itself)."""

    config: dict
    jobs: range
    seeds: list | None
    keys: list


class Spec(Sequence):
    """A validated sweep: a numbered, immutable list of resolved job configs.

    Build with ``load_spec`` or ``Spec.from_dict``. ``len(spec)``, ``spec[i]`` and iteration
    give job configs (fresh copies: editing one never changes the spec).

    Attributes
    ----------
    name : str
        Sweep name (default output directory ``runs/<name>``).
    source : str
        The TOML text the spec was read from (rendered from the dict for ``from_dict``),
        with one ``# --set ...`` comment line appended per override.
    origin : str
        How errors name the spec (the file path, or ``<spec NAME>``).
    """

    def __init__(self, configs, *, name, source, origin=None):
        self._add_jobs((config, None) for config in configs)
        self.name, self.source, self.origin = name, source, origin or f"<spec {name}>"

    @classmethod
    def _from_groups(cls, groups, *, name, source, origin):
        """A spec of ``(config, seeds)`` groups (``GridBuilder.expand``): each config is
        stored once, each job as a reference to it and its seed."""
        spec = cls.__new__(cls)
        spec._add_jobs(groups)
        spec.name, spec.source, spec.origin = name, source, origin
        return spec

    def _add_jobs(self, groups):
        # Each job is (its config, shared by the jobs that differ only in seed; its seed):
        # a million jobs take a reference and a key each, not a dict each.
        self._bases, self._seeds, self._keys, self._starts = [], [], [], []
        seen = set()
        for base, seeds in groups:
            first = len(self._keys)
            if seeds is None:  # a config as given: its own seed, or none
                keys, seeds = [job_key(base)], [base.get("seed", _OWN_SEED)]
            else:
                keys = seed_keys(base, seeds)
            for key, seed in zip(keys, seeds):
                if key not in seen:  # sub-grids may overlap; every job is kept once
                    seen.add(key)
                    self._bases.append(base)
                    self._seeds.append(seed)
                    self._keys.append(key)
            if len(self._keys) > first:  # where the jobs of this config start
                self._starts.append(first)

    def _job(self, base, seed):
        config = _copy(base)
        if seed is not _OWN_SEED:
            config["seed"] = seed
        return config

    @classmethod
    def from_dict(cls, d, name=None, source=None, *, overrides=(), base_dir=None, origin=None):
        """Build a spec from a dict shaped like the TOML file.

        Parameters
        ----------
        d : dict
            Keys ``name``, ``task``, ``description``, ``params``, ``grid`` as in the TOML
            format; tuples, ranges and numpy values are accepted where lists and numbers are.
        name : str, optional
            Sweep name; default ``d["name"]``, else ``"spec"``.
        source : str, optional
            Text to keep as ``spec.source``; default: ``d`` rendered as TOML.
        overrides : sequence of str, default=()
            ``"axis=value"`` / ``"axis=v1,v2"`` strings replacing axes everywhere.
        base_dir : str or Path, optional
            Directory that relative CSV paths in ``d`` are relative to; default the cwd.
        origin : str, optional
            Name of the spec in error messages; default ``<spec NAME>``.

        Raises
        ------
        SpecError
            Anything invalid, before any job exists.
        """
        d = plain(d)
        if not isinstance(d, dict):
            raise SpecError(f"a spec must be a dict, got {type(d).__name__}", origin=origin)
        name = name if name is not None else d.get("name", "spec")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]{0,99}", name):
            # the bad name is not repeated: it may hold a newline, or be 10,000 characters
            raise SpecError("bad sweep name (it names the output directory)",
                            origin=origin or "<spec>", key="name",
                            allowed="1 to 100 letters, digits, '_', '-', '.'")
        origin = origin or f"<spec {name}>"
        builder = GridBuilder(d, origin, None if base_dir is None else os.fspath(base_dir))
        with _collector_paused():
            grids = sub_grids(d, builder, tuple(overrides))
            check_job_count(d, grids, builder)  # before a single config is built
            groups = (group for axes, where in grids for group in builder.expand(axes, where))
            text = source if source is not None else to_toml(d)
            text += "".join(f"\n# --set {o}" for o in overrides)
            return cls._from_groups(groups, name=name, source=text, origin=origin)

    def __len__(self):
        return len(self._keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(map(self._job, self._bases[index], self._seeds[index]))
        return self._job(self._bases[index], self._seeds[index])

    def __iter__(self):
        return map(self._job, self._bases, self._seeds)

    def __repr__(self):
        return f"Spec({self.name!r}, {len(self)} jobs)"

    def keys(self):
        """Return the job keys (``sweeps.keys.job_key``), in job order."""
        return list(self._keys)

    def by_config(self):
        """Yield the jobs by resolved config, in job order, as ``ConfigJobs``.

        The jobs of one config differ only in seed: what does not depend on the seed (its
        JSON text but the seed, its stack) is then worked out once for all of them, not
        for each of a million jobs. ``config`` is a fresh copy (the first job's config).
        """
        ends = self._starts[1:] + [len(self._keys)]
        for start, end in zip(self._starts, ends):
            own = self._seeds[start] is _OWN_SEED
            yield ConfigJobs(self._job(self._bases[start], self._seeds[start]),
                             range(start, end), None if own else self._seeds[start:end],
                             self._keys[start:end])


#: Marks a job whose config is stored as given (no separate seed to put in).
_OWN_SEED = object()


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while axes and configs are built.

    They are hundreds of thousands of small acyclic lists and dicts; each collection would
    walk all of them again, which doubles the time to build (or refuse) a large grid.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _copy(config):
    out = dict(config)
    out["hidden"] = list(config["hidden"])
    out["task_params"] = {k: list(v) if isinstance(v, list) else v
                          for k, v in config["task_params"].items()}
    return out


def list_presets():
    """Return the names of the built-in presets (``sweeps/spec/presets/*.toml``)."""
    folder = resources.files("sweeps.spec") / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


#: Largest spec file read (bytes): specs are a few lines, even with initial weights inline.
MAX_SPEC_BYTES = 10 << 20


def _read_spec_file(path: Path) -> str:
    """The text of a spec file; a FIFO, a device or a huge file is refused unread."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # /dev/zero or a FIFO would be read for ever
        raise OSError(errno.EINVAL, "not a regular file" if not stat.S_ISDIR(st.st_mode)
                      else "Is a directory")
    with open(path, "rb") as fh:
        data = fh.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise OSError(errno.EFBIG, f"larger than {MAX_SPEC_BYTES:,} bytes")
    return data.decode("utf-8")


def load_spec(name_or_path, overrides=()):
    """Load a built-in preset by name, or a TOML spec file, and validate it.

    Parameters
    ----------
    name_or_path : str or Path
        A preset name (``"sine"``), or a path: anything ending in ``.toml``, containing a
        path separator, or naming an existing file.
    overrides : sequence of str, default=()
        ``"axis=value"`` or ``"axis=v1,v2,v3"``; each replaces that axis everywhere.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        Unknown preset, unreadable file, malformed TOML, or an invalid spec.
    """
    text_name = os.fspath(name_or_path)
    is_path = (isinstance(name_or_path, os.PathLike) or text_name.endswith(".toml")
               or os.sep in text_name or os.path.isfile(text_name))
    if is_path:
        path, origin = Path(text_name), text_name
        try:
            text = _read_spec_file(path)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise SpecError(f"cannot read spec file: {reason}", origin=origin,
                            allowed="a readable TOML file, or a built-in preset: "
                            + ", ".join(list_presets())) from None
        base_dir = path.resolve().parent
    else:
        resource = resources.files("sweeps.spec") / "presets" / f"{text_name}.toml"
        if not resource.is_file():
            close = difflib.get_close_matches(text_name, list_presets(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SpecError(f"unknown preset {text_name!r} (and no such file){hint}",
                            allowed="built-in presets " + ", ".join(list_presets())
                            + ", or a path to a .toml file")
        text, base_dir = resource.read_text(encoding="utf-8"), None
        origin = f"preset {text_name}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"malformed TOML: {exc}", origin=origin) from None
    name = data.get("name") if isinstance(data.get("name"), str) else Path(text_name).stem
    return Spec.from_dict(data, name=name, source=text, overrides=overrides,
                          base_dir=base_dir, origin=origin)
