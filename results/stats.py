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
#: Level of the paired test: a side is called better only when p < ALPHA.
ALPHA = 0.05
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


def paired_verdict(diffs, *, names, metric, higher_is_better, alpha=ALPHA, pairing="seeds"):
    """Who wins a paired comparison, by how much, and whether the test supports it.

    Parameters
    ----------
    diffs : array-like
        One difference ``A - B`` per pair (a config's mean over its paired seeds).
    names : (str, str)
        The two sides, A first: every sentence names A first.
    metric : str
    higher_is_better : bool
        Whether a positive difference means A is better.
    alpha : float, default=0.05
        Level of the test: a side is said to be better only when p < ``alpha``.
    pairing : {"seeds", "config means"}, default="seeds"
        What was paired: seeds with seeds, or (no seed on both sides) each config's mean
        over its own seeds on one side with the other side's.

    Returns
    -------
    dict
        ``n`` pairs, ``wins`` (name -> pairs it is better in), ``ties`` (``|d| <= TIE``),
        ``median`` difference with its 95% bootstrap interval ``ci_low``/``ci_high``,
        ``p_value`` of the two-sided Wilcoxon signed-rank test on the untied differences
        (ties are ties in the test too; NaN with fewer than two untied pairs),
        ``winner`` (the better side when p < alpha, else None), ``alpha``, ``pairing``
        and ``text``, the verdict line.
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
    untied = diffs[np.abs(diffs) > TIE]
    p_value = float(stats.wilcoxon(untied).pvalue) if len(untied) >= 2 else np.nan
    winner = None
    if p_value < alpha:
        ahead = np.sign(np.median(untied)) * sign or np.sign(better_a - better_b)
        winner = a if ahead > 0 else b
    verdict = {"a": a, "b": b, "metric": metric, "n": len(diffs),
               "wins": {a: better_a, b: better_b}, "ties": ties, "median": median,
               "ci_low": low, "ci_high": high, "p_value": p_value, "winner": winner,
               "higher_is_better": higher_is_better, "alpha": alpha, "pairing": pairing}
    verdict["text"] = verdict_text(verdict)
    return verdict


def verdict_text(v):
    """The verdict as one line, A named first, saying only what the test supports.

    ``adam vs adagrad on val_accuracy: adam better (Wilcoxon signed-rank p = 0.002 <
    0.05): adam better in 50 of 54 configs, adagrad in 4 (0 ties); median ...`` or
    ``... no significant difference (p = 0.5): ...``.
    """
    a, b = v["a"], v["b"]
    head = f"{a} vs {b} on {v['metric']}: "
    if not v["n"]:
        return head + "no config has an ok result on both sides: nothing to compare."
    p = v["p_value"]
    if np.isnan(p):
        head += "too few untied pairs to test (fewer than 2)"
    elif v["winner"] is None:
        head += f"no significant difference (p = {p:.2g})"
    else:
        head += f"{v['winner']} better (Wilcoxon signed-rank p = {p:.2g} < {v['alpha']:g})"
    counts = (f"{a} better in {v['wins'][a]} of {v['n']} configs, {b} in {v['wins'][b]} "
              f"({v['ties']} ties)")
    interval = ("" if np.isnan(v["ci_low"]) else
                f" (95% bootstrap CI {v['ci_low']:+.3g}..{v['ci_high']:+.3g})")
    paired = ("" if v.get("pairing", "seeds") == "seeds" else
              "; no seed is on both sides: each config's mean over its own seeds is paired "
              "with the other side's")
    return (f"{head}: {counts}; median difference {a} - {b} {v['median']:+.3g}{interval}"
            f"{paired}.")
