"""scikit-learn's own MLP test suite, run against nncore's estimators.

The tests are those of the installed scikit-learn (``sklearn/neural_network/tests/
test_mlp.py``, shipped in its wheel; nothing is copied here). Each test function is
rebuilt with the same code over a copy of its module's namespace in which
``MLPClassifier`` / ``MLPRegressor`` are nncore's, and its parametrizations are kept with
scikit-learn's classes replaced by ours. scikit-learn's module itself is left untouched.

Every test must pass except those in ``EXPECTED_FAILURES``, each with its reason; they
are strict xfails, so a test that starts to pass fails here until it leaves the list (the
list only shrinks).
"""
import types

import pytest
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

import nncore

suite = pytest.importorskip("sklearn.neural_network.tests.test_mlp")

OURS = {SkClassifier: nncore.MLPClassifier, SkRegressor: nncore.MLPRegressor}

EXPECTED_FAILURES: dict[str, str] = {}
"""Test name -> why it fails on nncore's estimators. Empty: all of scikit-learn 1.9.1's
59 tests (with their parametrizations) pass."""


def _ours(value):
    """``value`` with scikit-learn's estimator classes replaced by ours (in tuples too)."""
    if isinstance(value, type) and value in OURS:
        return OURS[value]
    if isinstance(value, tuple):
        return tuple(_ours(v) for v in value)
    if isinstance(value, list):
        return [_ours(v) for v in value]
    if type(value).__name__ == "ParameterSet":
        return pytest.param(*_ours(tuple(value.values)), marks=value.marks, id=value.id)
    return value


def _marks(func):
    marks = []
    for mark in getattr(func, "pytestmark", []):
        if mark.name == "parametrize":
            argnames, argvalues = mark.args[:2]
            mark = pytest.mark.parametrize(argnames, [_ours(v) for v in argvalues],
                                           *mark.args[2:], **mark.kwargs).mark
        marks.append(mark)
    return marks


def _rebuild(func, namespace):
    """``func``'s code over ``namespace`` (its globals with our classes), marks adapted."""
    new = types.FunctionType(func.__code__, namespace, func.__name__, func.__defaults__,
                             func.__closure__)
    new.__kwdefaults__ = func.__kwdefaults__
    new.__doc__, new.__module__ = func.__doc__, __name__
    new.pytestmark = _marks(func)
    if func.__name__ in EXPECTED_FAILURES:
        new.pytestmark.append(pytest.mark.xfail(reason=EXPECTED_FAILURES[func.__name__],
                                                strict=True))
    return new


_namespace = {**vars(suite), "MLPClassifier": nncore.MLPClassifier,
              "MLPRegressor": nncore.MLPRegressor}
for _name, _func in vars(suite).items():
    if _name.startswith("test_") and isinstance(_func, types.FunctionType):
        globals()[_name] = _rebuild(_func, _namespace)


@pytest.fixture
def global_random_seed():
    """scikit-learn's fixture of the name (its conftest), at its default seed."""
    return 42


def test_the_suite_runs_on_our_classes():
    # A guard for the substitution itself: every rebuilt test sees our classes, in its
    # globals and in its parametrizations, and scikit-learn's module is left as it was.
    rebuilt = [f for name, f in globals().items()
               if name.startswith("test_") and f.__module__ == __name__ and
               f.__code__.co_filename == suite.__file__]
    assert len(rebuilt) >= 40
    for func in rebuilt:
        assert func.__globals__["MLPClassifier"] is nncore.MLPClassifier
        assert func.__globals__["MLPRegressor"] is nncore.MLPRegressor
        for mark in func.pytestmark:
            if mark.name == "parametrize":
                flat = [v for value in mark.args[1]
                        for v in (value if isinstance(value, tuple) else (value,))]
                assert not any(v in OURS for v in flat if isinstance(v, type))
    assert suite.MLPClassifier is SkClassifier and suite.MLPRegressor is SkRegressor
    estimators = [v for v in globals()["test_early_stopping"].pytestmark[0].args[1]]
    assert estimators == [nncore.MLPClassifier, nncore.MLPRegressor]
