"""What validation data and early stopping cost: the same training with and without them.

The 52 sine architectures, seeds stacked by ``fit_replicas``, full-batch adam, BLAS limited
to one thread, every row in one run (ratios, not absolute times, are what carry over to
another machine). A sweep job always measures its validation loss after every epoch (for
the validation curve and for early stopping), so the middle row is what every job pays;
early stopping can then save epochs.
"""
import time

import numpy as np
from threadpoolctl import threadpool_limits

import nncore
from nncore_speed import ARCHITECTURES, sine_data

LR = 0.01


def _validation_data():
    rng = np.random.default_rng(1)
    X = np.sort(rng.uniform(0, 1, (30, 1)), axis=0)
    return X, np.sin(2 * np.pi * X) + rng.normal(0, 0.1, X.shape)


def run(X, y, epochs, seeds, **fit):
    """Train the grid; return (nets, mean epochs per net, mean epochs the stacks ran)."""
    epochs_run, stack_epochs = [], []
    for layers in ARCHITECTURES:
        nets = nncore.fit_replicas(layers, X, y, seeds=range(seeds), epochs=epochs,
                                   optimizer="adam", lr=LR, **fit)
        epochs_run += [len(net.history_) for net in nets]
        stack_epochs.append(max(len(net.history_) for net in nets))  # until the last stops
    return len(ARCHITECTURES) * seeds, float(np.mean(epochs_run)), float(np.mean(stack_epochs))


def main(epochs=1000, seeds=10):
    X, y = sine_data()
    validation = _validation_data()
    rows = []
    with threadpool_limits(1):
        curve = np.unique(np.round(np.linspace(1, epochs, min(epochs, 300)))).astype(int)
        for name, fit in [
            ("no validation data", {}),
            (f"validation at the {len(curve)} curve epochs (a sweep job)",
             {"validation_data": validation, "validation_freq": curve.tolist()}),
            ("validation loss after every epoch (30 points)", {"validation_data": validation}),
            ("validation + early stopping, patience 100",
             {"validation_data": validation, "patience": 100}),
        ]:
            start = time.perf_counter()
            nets, mean_epochs, stack_epochs = run(X, y, epochs, seeds, **fit)
            seconds = time.perf_counter() - start
            rows.append((name, nets, mean_epochs, stack_epochs, seconds))
    base = rows[0][4]
    lines = [f"52 sine architectures x {seeds} seeds (fit_replicas), 30 training points, up to "
             f"{epochs} full-batch adam epochs, BLAS 1 thread", "",
             "| training | nets | epochs per net (mean) | epochs per stack (mean) | seconds | "
             "time vs no validation | time per stack epoch vs no validation |",
             "|---|---|---|---|---|---|---|"]
    for name, nets, mean_epochs, stack_epochs, seconds in rows:
        per_epoch = (seconds / stack_epochs) / (base / epochs)
        lines.append(f"| {name} | {nets} | {mean_epochs:.0f} | {stack_epochs:.0f} | "
                     f"{seconds:.2f} | {seconds / base:.2f}x | {per_epoch:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
