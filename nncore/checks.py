"""Input checks and the target forms a network trains on.

Every check raises ``ValueError`` naming the problem and what is allowed, before any
work starts.
"""
import numbers

import numpy as np


def check_name(kind, name, table):
    """Return ``name`` if it is a key of ``table``, else raise naming the valid keys."""
    if not isinstance(name, str) or name not in table:
        valid = ", ".join(sorted(table))
        raise ValueError(f"unknown {kind} {name!r}; valid {kind}s are: {valid}")
    return name


def check_layers(layers):
    """Validate layer sizes ``[n_in, hidden..., n_out]`` and return them as a list of int."""
    try:
        sizes = list(layers)
    except TypeError:
        raise ValueError(f"layers must be a list of sizes like [1, 10, 1], got {layers!r}") from None
    if len(sizes) < 2:
        raise ValueError(
            f"layers must list at least an input and an output size, like [1, 1]; got {sizes}"
        )
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"every layer size must be an integer >= 1; got {sizes}")
    return [int(s) for s in sizes]


def check_dtype(dtype):
    """Return ``dtype`` as a numpy dtype if it is a real floating type, else raise.

    float64 and float32 are the ones sweeps offer; the engine's arithmetic works in any
    real floating type.
    """
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be a floating type like float64 or float32; got "
                         f"{dtype!r}") from None
    if not np.issubdtype(resolved, np.floating):
        raise ValueError(f"dtype must be a floating type like float64 or float32; got "
                         f"{resolved.name}")
    return resolved


def check_positive(name, value, integer=False):
    """Raise unless ``value`` is a finite number > 0 (an integer if ``integer``)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(value) or value <= 0:
        what = "a positive integer" if integer else "a positive finite number"
        raise ValueError(f"{name} must be {what}; got {value!r}")
    return value


def check_non_negative(name, value):
    """Raise unless ``value`` is a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
    return float(value)


def _check_finite(name, array):
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity; clean or impute it before fitting")


def check_X(X, n_inputs, dtype=np.float64):
    """Return ``X`` as a 2-D float array of width ``n_inputs``."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must be numeric; got dtype {X.dtype}")
    if X.ndim == 1 and n_inputs == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[1] != n_inputs:
        raise ValueError(
            f"X has shape {X.shape} but the network takes {n_inputs} input(s); "
            f"expected (n_samples, {n_inputs})"
        )
    if X.shape[0] == 0:
        raise ValueError("X has no samples")
    X = np.ascontiguousarray(X, dtype=dtype)
    _check_finite("X", X)
    return X


def check_targets(y, n_samples, n_outputs, loss, dtype=np.float64):
    """Return targets as an ``(n_samples, n_outputs)`` float array for ``loss``.

    ``cross_entropy`` takes integer labels ``0..n_outputs-1`` (turned one-hot) or one-hot
    rows; the others take values shaped ``(n,)`` (one output) or ``(n, n_outputs)``.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"y must be numeric; got dtype {y.dtype}")
    if y.shape[:1] != (n_samples,):
        raise ValueError(f"y has {y.shape[0] if y.ndim else 0} rows but X has {n_samples}")
    _check_finite("y", y)
    if loss == "cross_entropy" and y.ndim == 1:
        if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= n_outputs:
            raise ValueError(
                f"cross_entropy labels must be integers in 0..{n_outputs - 1} "
                f"(one per output unit); got values from {y.min()} to {y.max()}"
            )
        return one_hot(y, n_outputs, dtype)
    if y.ndim == 1 and n_outputs == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != n_outputs:
        allowed = f"(n_samples,) or (n_samples, {n_outputs})" if n_outputs == 1 else f"(n_samples, {n_outputs})"
        if loss == "cross_entropy":
            allowed = f"integer labels (n_samples,) or one-hot (n_samples, {n_outputs})"
        raise ValueError(f"y has shape {y.shape} but the network has {n_outputs} output(s); expected {allowed}")
    if loss in ("cross_entropy", "binary_cross_entropy") and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{loss} targets must lie in [0, 1] (one-hot or 0/1 labels)")
    return np.ascontiguousarray(y, dtype=dtype)


def one_hot(labels, n_classes, dtype=np.float64):
    """Rows of zeros with a one at each label: ``(n_samples, n_classes)``."""
    labels = np.asarray(labels).astype(np.intp)
    out = np.zeros((len(labels), n_classes), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def class_targets(labels, n_outputs):
    """Class labels 0..k-1 as the targets a network with ``n_outputs`` units trains on.

    One output unit is the probability of class 1, so its target is the 0/1 label
    itself; several units get one-hot rows, which every loss accepts (``cross_entropy``
    also takes the labels, ``mse`` and ``binary_cross_entropy`` need the rows).
    """
    labels = np.asarray(labels)
    return labels if n_outputs == 1 else one_hot(labels, n_outputs)
