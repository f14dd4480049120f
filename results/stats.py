"""Statistics of a sweep's conclusions: intervals over seeds and paired comparisons.

Seeds are the replicates of a config, so an interval over seeds says how much a config's
mean would move with other seeds (Student t: few seeds, unknown variance). A comparison of
two settings pairs configs that differ only in those settings; its verdict counts wins,
gives the median difference with a bootstrap interval, and tests the paired differences
with the Wilcoxon signed-rank test (no normality assumed).
"""
from __future__ import annotations

import numpy as np

CONFIDENCE = 0.95
#: Differences smaller than this (absolute) are ties: two accuracies of one test set are
#: often exactly equal, and float noise must not turn equal into a win.
TIE = 1e-12


def t_halfwidth(std, n, confidence=CONFIDENCE):
    """Half-width of the Student t interval of a mean: ``t(n-1) * std / sqrt(n)``.

    Vectorized over ``std`` and ``n``; NaN where ``n < 2`` (one seed has no interval).
    """
    from scipy import stats

    std, n = np.asarray(std, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2, n - 1)
        return np.where(n >= 2, t * std / np.sqrt(n), np.nan)


def t_interval(values, confidence=CONFIDENCE):
    """``(low, high)`` Student t interval of the mean of ``values`` (NaN when n < 2)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return np.nan, np.nan
    mean, half = values.mean(), t_halfwidth(values.std(ddof=1), len(values), confidence)
    return float(mean - half), float(mean + half)


def bootstrap_median_ci(values, *, confidence=CONFIDENCE, n_resamples=10_000, seed=0):
    """Percentile bootstrap interval of the median of ``values`` (deterministic ``seed``)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    medians = np.median(rng.choice(values, size=(n_resamples, len(values))), axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)


def paired_verdict(diffs, *, names, metric, higher_is_better):
    """Who wins a paired comparison, by how much, and how sure that is.

    Parameters
    ----------
    diffs : array-like
        One difference ``A - B`` per pair (a config's mean over its paired seeds).
    names : (str, str)
        The two sides, A first.
    metric : str
    higher_is_better : bool
        Whether a positive difference means A is better.

    Returns
    -------
    dict
        ``n`` pairs, ``wins`` (name -> pairs it is better in), ``ties``, ``median``
        difference with its 95% bootstrap interval ``ci_low``/``ci_high``, ``p_value`` of
        the two-sided Wilcoxon signed-rank test (NaN with fewer than two non-tied pairs),
        ``winner`` (None when neither wins more pairs) and ``text``, the verdict line.
    """
    from scipy import stats

    diffs = np.asarray(diffs, dtype=float)
    diffs = diffs[np.isfinite(diffs)]
    a, b = names
    sign = 1 if higher_is_better else -1
    better_a = int(np.sum(sign * diffs > TIE))
    better_b = int(np.sum(sign * diffs < -TIE))
    ties = len(diffs) - better_a - better_b
    median = float(np.median(diffs)) if len(diffs) else np.nan
    low, high = bootstrap_median_ci(diffs)
    nonzero = diffs[np.abs(diffs) > TIE]
    p_value = float(stats.wilcoxon(diffs).pvalue) if len(nonzero) >= 2 else np.nan
    winner = a if better_a > better_b else b if better_b > better_a else None
    verdict = {"a": a, "b": b, "metric": metric, "n": len(diffs),
               "wins": {a: better_a, b: better_b}, "ties": ties, "median": median,
               "ci_low": low, "ci_high": high, "p_value": p_value, "winner": winner,
               "higher_is_better": higher_is_better}
    verdict["text"] = verdict_text(verdict)
    return verdict


def verdict_text(v):
    """The verdict as one line, e.g. ``adam vs adagrad on val_accuracy: adam better in ...``."""
    head = f"{v['a']} vs {v['b']} on {v['metric']}: "
    if not v["n"]:
        return head + "no config has an ok result on both sides: nothing to compare."
    if v["winner"] is None:
        head += (f"neither is better more often ({v['wins'][v['a']]} - {v['wins'][v['b']]} "
                 f"of {v['n']} configs, {v['ties']} ties)")
    else:
        head += (f"{v['winner']} better in {v['wins'][v['winner']]} of {v['n']} configs "
                 f"({v['ties']} ties)")
    interval = ("" if np.isnan(v["ci_low"]) else
                f" (95% bootstrap CI {v['ci_low']:+.3g}..{v['ci_high']:+.3g})")
    p = "n/a (fewer than 2 untied pairs)" if np.isnan(v["p_value"]) else f"{v['p_value']:.2g}"
    return (f"{head}; median difference {v['a']} - {v['b']} {v['median']:+.3g}{interval}; "
            f"Wilcoxon signed-rank p = {p}.")
