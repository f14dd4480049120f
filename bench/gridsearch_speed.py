"""A user's ``GridSearchCV`` run unchanged on scikit-learn's ``MLPClassifier`` and on ours.

The same search (5-fold, over ``hidden_layer_sizes``, scikit-learn's default adam with
mini-batches of 200, one process) on the digits data, scaled to [0, 1]: only the class
changes. nncore's estimators run BLAS on one thread while fitting (their products are
small), so scikit-learn is timed both as it runs by default and with BLAS limited to one
thread, which separates that effect from the engine's. The best parameters and scores
must be the same: both compute the same numbers from the same ``random_state``.
"""
import time
import warnings

import sklearn.neural_network as sk
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import MinMaxScaler
from threadpoolctl import threadpool_limits

import nncore

GRID = {"hidden_layer_sizes": [(16,), (64,), (128,), (64, 64)]}


def search(cls, X, y, max_iter):
    """Run the search with ``cls``; return (seconds, best params, best score)."""
    estimator = cls(max_iter=max_iter, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = GridSearchCV(estimator, GRID, cv=5, n_jobs=1).fit(X, y)
    return time.perf_counter() - start, result.best_params_, result.best_score_


def main(max_iter=50):
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    rows = [("scikit-learn MLPClassifier, BLAS default threads",
             *search(sk.MLPClassifier, X, y, max_iter))]
    with threadpool_limits(1):
        rows.append(("scikit-learn MLPClassifier, BLAS 1 thread",
                     *search(sk.MLPClassifier, X, y, max_iter)))
    rows.append(("nncore MLPClassifier", *search(nncore.MLPClassifier, X, y, max_iter)))
    base = rows[0][1]
    title = (f"digits ({len(X)} x {X.shape[1]}, 10 classes), GridSearchCV(cv=5) over "
             f"hidden_layer_sizes {GRID['hidden_layer_sizes']}, adam, max_iter={max_iter}, "
             "random_state=0, n_jobs=1")
    header = ("| estimator | seconds | speed-up vs scikit-learn (default) | best "
              "hidden_layer_sizes | best mean CV accuracy |")
    lines = [title, "", header, "|---|---|---|---|---|"]
    for name, seconds, params, score in rows:
        lines.append(f"| {name} | {seconds:.2f} | {base / seconds:.2f}x | "
                     f"{params['hidden_layer_sizes']} | {score:.6f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
