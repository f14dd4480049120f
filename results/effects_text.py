"""The sentences of :func:`results.effects`: one per axis, ranked, as a student reads them.

An axis the seeds cannot separate from zero is said to be so, with its F-test; a
significant one names the best value and how far the nearest and the farthest other
values are from it, with intervals, in how many configs, and Holm's p.
"""
from __future__ import annotations

import numpy as np


def _pct(share):
    return f"{100 * share:.2g} %" if share < 0.1 else f"{100 * share:.0f} %"


def _p(p):
    """``= 0.03``, or ``< 1e-16`` below what double precision resolves."""
    return "< 1e-16" if p < 1e-16 else f"= {p:.2g}"


def _range(low, high):
    return f"{_pct(low)[:-2]}-{_pct(high)}"


def axis_sentence(row, pairs, on, alpha, main=None):
    """One axis in one sentence: its share, and what the seeds can and cannot tell."""
    head = (f"{row.axis}: {_pct(row.share)} of the variance between configs (95 % CI "
            f"{_range(row.share_low, row.share_high)})")
    if not np.isfinite(row.p_value):
        return head + "; one seed per config: the seeds cannot test it."
    if not row.significant:
        return (head + "; the seeds cannot separate its effect from zero (F-test p = "
                f"{row.p_value:.2g} >= {alpha:g}).")
    shown = pairs.sort_values("diff", key=abs)
    if len(shown) > 2:
        shown = shown.iloc[[0, -1]]
    parts = []
    for p in shown.itertuples():
        word = "below" if p.diff < 0 else "above"
        # the gap from the best, positive; its interval keeps its sign (it may cross 0)
        low, high = (-p.ci_high, -p.ci_low) if p.diff < 0 else (p.ci_low, p.ci_high)
        parts.append(f"{p.other} {word} {p.best} by {abs(p.diff):.3g} ({low:.2g}..{high:.2g})"
                     f" in {p.wins} of {p.n_configs} configs, p {_p(p.p_holm)} (Holm)")
    more = len(pairs) - len(shown)
    tail = f"; {more} more values between" if more > 0 else ""
    estimate = ""
    if main is not None and "test_mean" in main:
        best = main[(main["axis"] == row.axis) & (main["value"] == row.best)].iloc[0]
        estimate = f"; test estimate at {row.best}: {best.test_mean:.3g}"
    return f"{head}; {'; '.join(parts)}{tail}{estimate}."


def effects_text(result):
    """What ``sweeps explain`` prints: the ranked sentences, interactions, then notes."""
    on = result["on"]
    lines = [f"Which axes matter for {on} (mean over the other axes; 95 % intervals over "
             f"seeds; significant at p < {result['alpha']:g}):"]
    lines += [f"{i}. {t}" for i, t in enumerate(result["axes"]["text"], 1)]
    for r in result["interactions"].itertuples():
        verdict = ("significant" if r.p_value < result["alpha"] else
                   "not separable from zero" if np.isfinite(r.p_value) else "untested")
        lines.append(f"interaction {r.axes}: {_pct(r.share)} of the variance between "
                     f"configs (95 % CI {_range(r.share_low, r.share_high)}),"
                     f" {verdict} (F-test p = {r.p_value:.2g})")
    lines += [f"note: {n}" for n in result["notes"]]
    return "\n".join(lines)
