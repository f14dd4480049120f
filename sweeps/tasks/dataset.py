"""The ``Dataset`` a task returns, and the error every task raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

import nncore
from sweeps.schema import TASK_FACT_COLUMNS

__all__ = ["Dataset", "TaskError", "make_dataset"]


class TaskError(ValueError):
    """A task was asked for with a bad parameter or its data cannot be loaded.

    Attributes
    ----------
    param : str or None
        The parameter at fault, so that callers can point at the spec key; None when the
        problem is not one parameter's value alone (e.g. an unknown task).
    """

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, eq=False)
class Dataset:
    """One task's data, split three ways: train, validation and test.

    Training fits the weights, validation chooses (configs, the early-stopping epoch), and
    test is the honest estimate of the chosen one, never used to choose.

    Attributes
    ----------
    name : str
        Task name.
    kind : {"regression", "classification"}
    X_train, X_val, X_test : ndarray of shape (n, n_in), float64, read-only
    y_train, y_val, y_test : ndarray, read-only
        Regression: (n, n_out) float64; classification: (n,) int64 labels 0..n_out-1.
    n_in, n_out : int
        Input width; output width (the number of classes for classification).
    truth : callable or None
        ``X -> y`` noise-free target for synthetic regression (sine), else None.
    classes : tuple or None
        Original class labels in the order of the encoded labels 0..k-1; None for regression.
    feature_names : tuple of str
        One name per input column.
    params : dict
        The resolved task parameters this data set was built from (a copy: the cache
        ignores it, and a plain dict keeps the data set picklable for worker processes).
    single_output : bool
        Networks get one output unit whatever their output activation (a 0/1 target:
        the ``logic`` task); else one per output or class (``sweeps.training``).
    default_output_loss : (str, str) or None
        The task's own default output and loss; None takes nncore's for its kind.
    """

    name: str
    kind: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_in: int
    n_out: int
    truth: Callable | None
    classes: tuple | None = None
    feature_names: tuple = ()
    params: Mapping = field(default_factory=dict)
    single_output: bool = False
    default_output_loss: tuple | None = None

    @property
    def default_output(self) -> str:
        """Output activation a spec that names neither output nor loss gets."""
        return (self.default_output_loss or nncore.DEFAULT_OUTPUT_LOSS[self.kind])[0]

    @property
    def default_loss(self) -> str:
        """Loss a spec that names neither output nor loss gets."""
        return (self.default_output_loss or nncore.DEFAULT_OUTPUT_LOSS[self.kind])[1]

    def output_units(self, output: str) -> int:
        """The width of the output layer of a network with this ``output`` activation.

        The task's outputs for regression; for class labels ``nncore.output_units`` (one
        logistic unit for two classes unless the output is softmax); always one for a
        task with a single 0/1 target.
        """
        if self.single_output:
            return 1
        if self.kind == "classification":
            return nncore.output_units(self.n_out, output)
        return self.n_out

    @property
    def held_out(self) -> bool:
        """Whether any data is held out (a truth table, or ``test_size = val_size = 0``,
        is trained and scored on every row)."""
        return len(self.X_val) + len(self.X_test) > 0

    @property
    def facts(self) -> dict:
        """What the results frame says about this data set: ``TASK_FACT_COLUMNS``."""
        values = (self.kind, int(self.n_in), int(self.n_out), len(self.X_val) > 0,
                  len(self.X_test) > 0)
        return dict(zip(TASK_FACT_COLUMNS, values))


def _frozen(a, dtype, copy: bool) -> np.ndarray:
    arr = np.array(a, dtype=dtype, order="C", copy=True if copy else None)
    arr.setflags(write=False)
    return arr


def make_dataset(name, kind, train, val, test, n_out, params, *, copy=True,
                 **extra) -> Dataset:
    """Build a ``Dataset`` with read-only float64 X and kind-appropriate y.

    ``train``, ``val`` and ``test`` are ``(X, y)`` pairs; ``extra`` fills ``truth``,
    ``classes``, ``feature_names``. With ``copy=False`` the caller hands its arrays over
    (nothing else holds them): those already of the right type and layout are kept, made
    read-only, instead of copied (a copy of MNIST's arrays is 400 MB).
    """
    y_dtype = np.int64 if kind == "classification" else np.float64
    arrays = {}
    for split, (X, y) in (("train", train), ("val", val), ("test", test)):
        arrays[f"X_{split}"] = _frozen(X, np.float64, copy)
        arrays[f"y_{split}"] = _frozen(y, y_dtype, copy)
    for part, arr in arrays.items():
        if arr.dtype == np.float64 and not np.isfinite(arr).all():
            # e.g. noise = 1e308: draws overflow to inf, and every job would only diverge
            raise TaskError(f"task {name!r}: its {part} data hold non-finite values (inf or "
                            "NaN) with these parameters; allowed: parameters that give "
                            "finite data (a smaller noise or spread)")
    n_in = arrays["X_train"].shape[1]
    if "feature_names" not in extra:
        extra["feature_names"] = tuple(f"x{i}" for i in range(n_in))
    return Dataset(name=name, kind=kind, **arrays, n_in=n_in, n_out=n_out,
                   truth=extra.pop("truth", None), params=dict(params), **extra)
