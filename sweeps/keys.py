"""Stable identities for job configs: a canonical JSON form, the job key and the config id.

A job's key is the hash of its canonical resolved config plus an explicit results-format
version, and never of source code. (joblib.Memory does hash the cached function's source,
so editing a comment invalidates its whole cache; our users would lose days of sweeps that
way.) Bump ``RESULTS_VERSION`` when what a stored job means changes (training semantics,
a metric's definition), so that every stored result becomes a new job; leave it alone
otherwise.

Canonical form: JSON with sorted keys and no whitespace; tuples become lists; numpy scalars
become Python scalars; floats are written by ``repr`` (the shortest string that round-trips),
so ``0.01`` and ``1e-2`` agree, while ints stay ints (``1`` and ``1.0`` differ: the spec layer
coerces float axes such as ``lr`` to float so this never splits a job in two).
"""

from __future__ import annotations

import hashlib
import json

from sweeps.values import plain

#: 2: every job trains with validation data, records val_* metrics and the validation
#: curve, and has the axes patience and min_delta (results of version 1 are not mixed in).
RESULTS_VERSION = 2

#: Length of the hex digests returned (64 bits: collision-free in practice for any sweep).
KEY_LENGTH = 16


def canonical_json(config) -> str:
    """Return the canonical JSON text of a config.

    Parameters
    ----------
    config : mapping
        A job config (nested dicts, lists, strings, numbers, booleans, None).

    Returns
    -------
    str
        Compact JSON with sorted keys; equal configs give equal text.
    """
    # json alone gives the canonical text of plain values (every config of a spec), at a
    # fraction of the cost of normalizing first: a 20,000-job sweep hashes every config
    # when it plans. Where it could differ (-0.0, numpy values, non-finite or non-str
    # keys), the text is made from the normalized form, which accepts and rejects as ever.
    try:
        text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                          allow_nan=False, default=_unplain)
        if "-0.0" not in text and _str_keys(config):
            return text
    except (TypeError, ValueError):
        pass
    return json.dumps(plain(config, strict=True), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False)


def _unplain(obj):
    raise TypeError("not a plain JSON value")


def _str_keys(config) -> bool:
    """Whether every key of ``config`` and of the mappings in it (``task_params``, an
    ``init`` table) is a string, as the canonical form requires. Mappings inside lists, which
    no spec makes, are not looked at."""
    return all(map(_IS_STR, config)) and all(
        _str_keys(v) for v in config.values() if type(v) is dict)


_IS_STR = str.__instancecheck__  # as a C-level predicate for map()


def _digest(text: str, version: int) -> str:
    payload = f"nnsweeps-results-v{int(version)}\n{text}".encode()
    return hashlib.sha256(payload).hexdigest()[:KEY_LENGTH]


def job_key(config, version: int = RESULTS_VERSION) -> str:
    """Return the stable key of one job.

    Parameters
    ----------
    config : mapping
        A resolved job config.
    version : int, default=RESULTS_VERSION
        Results-format version mixed into the hash.

    Returns
    -------
    str
        ``KEY_LENGTH`` lowercase hex characters.
    """
    return _digest(canonical_json(config), version)


def is_key_of_text(key: str, text: str, version: int = RESULTS_VERSION) -> bool:
    """Whether ``key`` is the job key of the config whose JSON text is ``text`` (as the
    store keeps it): ``job_key(json.loads(text), version) == key``, without parsing or
    re-encoding the config where ``text`` is already its canonical form.

    The text is hashed as it stands first: if that gives ``key``, ``text`` is the canonical
    text of the config ``key`` was made of, and canonical text read back is canonical
    text again. Otherwise (another format, an older text form) the config is read and
    hashed as :func:`job_key` does.
    """
    return _digest(text, version) == key or job_key(json.loads(text), version) == key


def config_id(config, version: int = RESULTS_VERSION) -> str:
    """The key of a config ignoring its ``seed``: replicas of one config share it.

    Parameters and return value as for :func:`job_key`.
    """
    return _digest(canonical_json({k: v for k, v in config.items() if k != "seed"}), version)


#: Stands for the seed in the canonical text of a config, where :func:`seed_keys` cuts it.
_SEED_MARK = "\0seed\0"


def seed_keys(config, seeds, version: int = RESULTS_VERSION) -> list:
    """The job keys of ``config`` with each of ``seeds`` as its ``seed``, in that order.

    Exactly ``[job_key({**config, "seed": s}) for s in seeds]``, faster: the canonical
    text around the seed is made once (canonical JSON is made value by value, so the
    text of the rest does not depend on the seed), and only the seed's text is hashed
    anew. Planning a million jobs of a few thousand configs hashes each one this way.
    """
    text = canonical_json({**config, "seed": _SEED_MARK})
    mark = _value_text(_SEED_MARK)
    if text.count(mark) != 1:  # the mark's text elsewhere: no cut, the plain way
        return [job_key({**config, "seed": s}, version) for s in seeds]
    before, after = text.split(mark)
    head = hashlib.sha256(f"nnsweeps-results-v{int(version)}\n{before}".encode())
    tail = after.encode()
    keys = []
    for seed in seeds:
        h = head.copy()
        h.update((str(seed) if type(seed) is int else _value_text(seed)).encode())
        h.update(tail)
        keys.append(h.hexdigest()[:KEY_LENGTH])
    return keys


def _value_text(value) -> str:
    """The canonical text of one value, as it stands inside a config's text."""
    return canonical_json({"v": value})[len('{"v":'):-1]
