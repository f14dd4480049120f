"""Choosing a configuration: rank on validation, report the test metric as the estimate.

The test set is used once, to say how good the chosen config is; choosing on it would make
that number optimistic (the best of many noisy test scores is biased upwards), so nothing
here ranks by a test metric.
"""
from __future__ import annotations

import numpy as np

from results.frame import (DERIVED_ARCH, available_metrics, held_out, per_config, prepare,
                           task_kind, varying_axes)
from sweeps.schema import SPLITS, higher_is_better, main_metric, metric_range

_SHOWN = ("mean", "std", "n", "ci_low", "ci_high")


def best_configs(df, *, by=None, top=5):
    """The configs with the best mean validation metric over their ``ok`` seeds.

    Parameters
    ----------
    df : pandas.DataFrame
        Results in the ``sweeps.load`` schema.
    by : str, default=None
        A validation metric (``val_accuracy``, ``val_mse``, ``val_loss``); None takes the
        task's main one. Test and training metrics are refused.
    top : int, default=5
        How many configs to return.

    Returns
    -------
    pandas.DataFrame
        ``rank``, the config axes that vary in ``df`` with ``layers``, then
        ``<by>_mean``/``_std``/``_n``/``_ci_low``/``_ci_high`` and the same for the test
        counterpart of ``by`` (the honest estimate), best first; ``config_id`` last.
        ``attrs``: ``by``, ``test`` (the estimate's metric) and ``note`` when a config has
        a single seed (no interval).
    """
    df = prepare(df)
    kind = task_kind(df)
    if by is None:
        if kind is None:
            raise ValueError("no ok job yet: nothing to rank")
        by = main_metric(kind, "val")
    if not held_out(df, "val"):
        raise ValueError("this sweep holds out no validation data (a truth table, or "
                         "val_size = 0): it trains and is scored on every row, so there is "
                         "no honest way to choose between its configs; its metrics are "
                         "training metrics")
    split = by.split("_", 1)[0]
    if split != "val" or split not in SPLITS:
        raise ValueError(f"best configs are chosen on a validation metric, not {by!r}: "
                         "choosing on the test (or training) set makes the test estimate "
                         "of the winner optimistic; use e.g. "
                         f"{main_metric(kind or 'classification', 'val')} or val_loss")
    test = "test_" + by.split("_", 1)[1]
    if by not in df or not df.loc[df["status"] == "ok", by].notna().any():
        ok = df[df["status"] == "ok"]
        recorded = [m for m in available_metrics(ok) if m.startswith("val_")]
        raise ValueError(f"no ok job has {by!r}; this sweep records "
                         f"{', '.join(recorded) or 'no validation metric'}")
    axes = [a for a in varying_axes(df) if a not in DERIVED_ARCH]
    columns = [*DERIVED_ARCH, *axes]
    table = per_config(df, [by, test], stats=_SHOWN, columns=columns).reset_index()
    table = table.dropna(subset=[f"{by}_mean"])
    table = table.sort_values(f"{by}_mean", ascending=not higher_is_better(by),
                              kind="stable").head(top).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table = table[[c for c in table.columns if c != "config_id"] + ["config_id"]]
    table.attrs.update(by=by, test=test)
    if len(table) and (table[f"{test}_n"] < 2).any():
        table.attrs["note"] = "a config with one seed has no confidence interval"
    return table


def describe_config(row, axes):
    """``[2,10,10,2], activation=tanh, ...``: a config of a ranked table in one phrase."""
    parts = [str(row["layers"])] + [f"{a}={row[a]}" for a in axes if a in row.index]
    return ", ".join(parts)


def estimate_text(row, metric, *, short=False):
    """``0.930 ± 0.012 (95% CI over 3 seeds)``, or the value with why there is no interval.

    ``short`` leaves out the words in brackets (a table says them once).
    """
    mean, n = row[f"{metric}_mean"], int(row[f"{metric}_n"])
    if n < 2 or not np.isfinite(row[f"{metric}_ci_high"]):
        return f"{mean:.4g}" if short else f"{mean:.4g} (one seed: no interval)"
    low, high = row[f"{metric}_ci_low"], row[f"{metric}_ci_high"]
    clipped = np.clip([low, high], *metric_range(metric))
    if (clipped == [low, high]).all():
        return f"{mean:.4g} ± {high - mean:.2g}" + ("" if short else f" (95% CI over {n} seeds)")
    # An interval past the metric's range (an MSE below 0) is shown clipped, as the tables
    # show it: "± half-width" would claim the impossible values.
    low, high = (f"{v:.2g}" for v in clipped)
    return f"{mean:.4g} [{low}, {high}]" + ("" if short else f" (95% CI over {n} seeds, clipped "
                                                            "to the metric's range)")


def metric_words(metric):
    """``test_mse`` as ``test MSE``, ``val_accuracy`` as ``validation accuracy``."""
    split, name = metric.split("_", 1)
    return f"{'validation' if split == 'val' else split} {'MSE' if name == 'mse' else name}"


def headline(table):
    """The report's opening line: the config chosen on validation and its test estimate."""
    if table.empty:
        return None
    by, test = table.attrs["by"], table.attrs["test"]
    axes = [c for c in table.columns if c not in ("rank", *DERIVED_ARCH, "config_id")
            and not c.startswith((f"{by}_", f"{test}_"))]
    row = table.iloc[0]
    return (f"Best configuration chosen on {metric_words(by)}: {describe_config(row, axes)}; "
            f"{metric_words(test)} {estimate_text(row, test)}.")


def best_text(table):
    """``sweeps best`` output: the headline, then the ranked table with test estimates."""
    by, test = table.attrs["by"], table.attrs["test"]
    lines = [headline(table) or f"no config has an ok value of {by}"]
    shown = table.drop(columns=["config_id", "depth"])
    shown["seeds"] = table[f"{test}_n"].astype(int)
    for metric in (by, test):
        shown[metric] = [estimate_text(row, metric, short=True) for _, row in table.iterrows()]
        shown = shown.drop(columns=[f"{metric}_{s}" for s in _SHOWN])
    lines.append(shown.to_string(index=False))
    lines.append(f"ranked by mean {by} over ok seeds (± half the 95% Student t interval; "
                 f"[low, high] where it is clipped to the metric's range); "
                 f"{test} is the estimate for a config chosen this way, not a ranking")
    if table.attrs.get("note"):
        lines.append(f"note: {table.attrs['note']}")
    return "\n".join(lines)
