"""How good the trained nets are, against scikit-learn on the same data and epochs.

The moons and sine presets' grids, trained by nncore with both initializations
(``init="normal"``, the material's; ``init="glorot"``, scikit-learn's rule) and by
scikit-learn's ``MLPClassifier`` / ``MLPRegressor`` with the same hidden layers,
activation, adam, learning rate, full batches, epochs, no L2 and no early stop. The data
sets are the tasks' own (``sweeps.tasks.make_task``), the test sets too.

Targets (from the issue on the material's workflows): no moons config worse than
scikit-learn by more than 0.5 accuracy point, and a sine median test MSE at or below
scikit-learn's.
"""
import argparse
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

import nncore
from sweeps.spec import load_spec
from sweeps.tasks import make_task

SK_ACTIVATION = {"sigmoid": "logistic"}


def _configs(preset, seeds):
    """The preset's distinct (hidden, activation) pairs, with its lr and epochs."""
    spec = load_spec(preset)
    configs = {(tuple(c["hidden"]), c["activation"]): c for c in spec}
    first = next(iter(configs.values()))
    return list(configs), first["lr"], first["epochs"], seeds


def _sklearn(kind, hidden, activation, lr, epochs, seed, n):
    cls = MLPClassifier if kind == "classification" else MLPRegressor
    return cls(hidden_layer_sizes=hidden, activation=SK_ACTIVATION.get(activation, activation),
               solver="adam", learning_rate_init=lr, batch_size=n, max_iter=epochs, tol=0.0,
               n_iter_no_change=epochs + 1, alpha=0.0, shuffle=False, random_state=seed)


def _nncore(ds, hidden, activation, seeds, lr, epochs, score, **net):
    """nncore's mean test score over ``seeds`` per initialization."""
    layers = [ds.n_in, *hidden, ds.n_out]
    return {init: np.mean([score(n.predict(ds.X_test)) for n in nncore.fit_replicas(
        layers, ds.X_train, ds.y_train, seeds=seeds, activation=activation, init=init,
        epochs=epochs, optimizer="adam", lr=lr, **net)]) for init in ("normal", "glorot")}


def _outputs(model, X):
    """scikit-learn's outputs in nncore's form: class probabilities, or one column."""
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)[:, None]


def _grid(preset, seeds, epochs, score, **net):
    """Mean test score of each config of a preset: nncore per init, and scikit-learn.

    ``score(outputs)`` turns test-set outputs ``(n, n_out)`` into one number; the same
    function scores both libraries.
    """
    ds = make_task(preset)
    configs, lr, preset_epochs, seeds = _configs(preset, seeds)
    epochs = epochs or preset_epochs
    rows = []
    for hidden, activation in configs:
        row = {"hidden": hidden, "activation": activation}
        row.update(_nncore(ds, hidden, activation, seeds, lr, epochs, score, **net))
        row["sklearn"] = np.mean([score(_outputs(
            _sklearn(ds.kind, hidden, activation, lr, epochs, s, len(ds.X_train))
            .fit(ds.X_train, ds.y_train.ravel()), ds.X_test)) for s in seeds])
        rows.append(row)
    return rows, epochs


def moons(seeds=(0, 1, 2), epochs=None):
    """Test accuracy on the moons preset's grid (softmax and cross-entropy for nncore)."""
    y_test = make_task("moons").y_test
    return _grid("moons", seeds, epochs, lambda P: np.mean(nncore.predict_labels(P) == y_test),
                 output="softmax", loss="cross_entropy")


def sine(seeds=(0, 1, 2, 3, 4), epochs=None):
    """Test MSE against the clean curve on the sine preset's grid."""
    ds = make_task("sine")
    truth = ds.truth(ds.X_test)
    return _grid("sine", seeds, epochs, lambda P: np.mean((P - truth) ** 2))


def main(epochs=None):
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        moon_rows, moon_epochs = moons(epochs=epochs)
        sine_rows, sine_epochs = sine(epochs=epochs)
    lines = [f"moons preset grid ({len(moon_rows)} configs x 3 seeds, {moon_epochs} adam "
             "epochs): test accuracy, mean over seeds, against scikit-learn's MLPClassifier",
             "", "| init | mean accuracy | worst config minus scikit-learn | configs worse "
             "by > 0.5 point |", "|---|---|---|---|"]
    sk = np.array([r["sklearn"] for r in moon_rows])
    lines.append(f"| scikit-learn | {sk.mean():.4f} | | |")
    for init in ("normal", "glorot"):
        ours = np.array([r[init] for r in moon_rows])
        diff = ours - sk
        worst = moon_rows[int(np.argmin(diff))]
        lines.append(f"| {init} | {ours.mean():.4f} | {100 * diff.min():+.1f} points "
                     f"({worst['activation']} {list(worst['hidden'])}) | "
                     f"{int(np.sum(diff < -0.005))} |")
    lines += ["", f"sine preset grid ({len(sine_rows)} configs x 5 seeds, {sine_epochs} adam "
              "epochs): test MSE against the clean curve, mean over seeds, against "
              "scikit-learn's MLPRegressor", "",
              "| init | median test MSE | configs better than scikit-learn |", "|---|---|---|"]
    sk = np.array([r["sklearn"] for r in sine_rows])
    lines.append(f"| scikit-learn | {np.median(sk):.5f} | |")
    for init in ("normal", "glorot"):
        ours = np.array([r[init] for r in sine_rows])
        lines.append(f"| {init} | {np.median(ours):.5f} | {int(np.sum(ours < sk))} of "
                     f"{len(ours)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=None,
                        help="override the presets' epochs (a quick look)")
    print(main(parser.parse_args().epochs))
