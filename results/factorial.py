"""The arithmetic of a factorial experiment: a grid of configs, seeds as replicates.

A sweep whose varying axes form a full grid is a factorial design with replicates: each
config is a cell, each ok seed a replicate of it. This module works on the cell means as
an array with one dimension per factor (``means``, shape ``(n_1, ..., n_k)``), and on
stacks of such arrays (a leading dimension of bootstrap resamples), with numpy only:

- main effects and two-way interactions as sums of squares of the cell means (the
  "unweighted means" analysis of a design whose cells hold unequal numbers of seeds; with
  equal numbers it is the ordinary factorial ANOVA, as ``statsmodels``' ``anova_lm``);
- the error term from the seeds: the spread of the seeds around their cell's mean, less
  the part every config shares for a seed when every cell holds the same seeds (the
  seeds are then blocks, as in a randomized complete block design);
- F-tests of each effect against that error, so that a sweep in which only the seeds
  differ calls an axis significant at the nominal rate.
"""
from __future__ import annotations

import itertools

import numpy as np


def effect_sums(means, n_factors):
    """Sums of squares of the main effects and two-way interactions of cell means.

    Parameters
    ----------
    means : ndarray, shape (..., n_1, ..., n_k)
        Cell means; leading dimensions (resamples) are kept.
    n_factors : int
        k, the number of trailing factor dimensions.

    Returns
    -------
    dict
        ``(j,)`` and ``(j, l)`` -> sums of squares on the cell-mean scale (multiply by
        the number of seeds per cell for the scale of single jobs), ``"between"`` -> the
        sum of squares between cells, and ``"main"`` -> {j: the marginal means of factor
        j}, each with the leading dimensions of ``means``.
    """
    lead = means.ndim - n_factors
    dims = [lead + j for j in range(n_factors)]
    size = np.prod(means.shape[lead:])
    grand = means.mean(axis=tuple(dims), keepdims=True)
    out = {"between": ((means - grand) ** 2).sum(axis=tuple(dims)), "main": {}}
    centred = {}
    for j in range(n_factors):
        keep = [d for d in dims if d != dims[j]]
        m = means.mean(axis=tuple(keep), keepdims=True) - grand
        centred[j] = m
        out["main"][j] = np.squeeze(m + grand, axis=tuple(keep))
        out[(j,)] = (m ** 2).sum(axis=tuple(dims)) * size / means.shape[dims[j]]
    for j, l in itertools.combinations(range(n_factors), 2):
        keep = [d for d in dims if d not in (dims[j], dims[l])]
        m = means.mean(axis=tuple(keep), keepdims=True) - grand - centred[j] - centred[l]
        out[(j, l)] = ((m ** 2).sum(axis=tuple(dims)) * size
                       / (means.shape[dims[j]] * means.shape[dims[l]]))
    return out


def error_term(values, counts, seeds=None):
    """The seeds' error mean square and its degrees of freedom.

    Parameters
    ----------
    values : ndarray, shape (C, r_max)
        Each cell's ok values (NaN-padded), cells in grid order.
    counts : ndarray of int, shape (C,)
        Ok seeds per cell.
    seeds : ndarray, shape (C, r_max), default=None
        Each value's seed. When every cell holds the same seeds (in the same columns),
        the seeds are blocks: what one seed shares across configs is taken out of the
        error, as the paired comparison pairs seeds with seeds.

    Returns
    -------
    ms : float
        NaN when no cell has two seeds.
    df : int
    blocked : bool
        Whether the seed blocks were taken out.
    """
    n_cells, total = len(counts), int(counts.sum())
    means = np.nanmean(values, axis=1)
    within = float(np.nansum((values - means[:, None]) ** 2))
    df = total - n_cells
    blocked = (seeds is not None and (counts == values.shape[1]).all() and n_cells > 1
               and values.shape[1] > 1 and (seeds == seeds[:1]).all())
    if blocked:
        r = values.shape[1]
        seed_means = values.mean(axis=0)
        within -= n_cells * float(((seed_means - seed_means.mean()) ** 2).sum())
        df = (n_cells - 1) * (r - 1)
    return (within / df if df > 0 else np.nan), df, bool(blocked)


def f_test(ss_cells, df_effect, replicates, ms_error, df_error):
    """p-value of an effect against the seeds' error (NaN without an error term)."""
    from scipy import stats

    if not df_error or not np.isfinite(ms_error) or df_effect < 1:
        return np.nan
    if ms_error <= 0:
        return 0.0 if ss_cells > 0 else 1.0
    f = ss_cells * replicates / df_effect / ms_error
    return float(stats.f.sf(f, df_effect, df_error))


def holm(p_values):
    """Holm's step-down adjustment of ``p_values`` (NaN kept, not counted)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m, running = len(order), 0.0
    for i, index in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[index]))
        out[index] = running
    return out


def resample_means(values, counts, shape, *, n_resamples, seed=0):
    """Cell means of bootstrap resamples: each cell's seeds drawn with replacement.

    Returns
    -------
    means : ndarray, shape (n_resamples, *shape)
    ms : ndarray, shape (n_resamples,)
        Each resample's error mean square (within cells; NaN with one seed per cell).
    """
    rng = np.random.default_rng(seed)
    n_cells, r_max = values.shape
    # Seeds drawn with replacement vary (r - 1) / r as much as the seeds do: each value's
    # distance from its config's mean is stretched by sqrt(r / (r - 1)) to make up for it
    # (few seeds would otherwise give intervals too narrow).
    centre = np.nanmean(values, axis=1, keepdims=True)
    stretch = np.sqrt(counts / np.maximum(counts - 1, 1))[:, None]
    values = centre + (values - centre) * stretch
    draws = (rng.random((n_resamples, n_cells, r_max)) * counts[None, :, None]).astype(int)
    picked = np.take_along_axis(np.broadcast_to(values, (n_resamples, n_cells, r_max)),
                                draws, axis=2)
    mask = np.arange(r_max)[None, None, :] < counts[None, :, None]
    means = np.where(mask, picked, 0.0).sum(axis=2) / counts[None, :]
    within = np.where(mask, (picked - means[..., None]) ** 2, 0.0).sum(axis=(1, 2))
    df = counts.sum() - n_cells
    ms = within / df if df > 0 else np.full(n_resamples, np.nan)
    return means.reshape((n_resamples, *shape)), ms


def corrected_share(ss, df_effect, between, df_between, ms, replicates):
    """An effect's share of the variance between configs, the seeds' noise taken out.

    Noise in the cell means adds about ``df * ms / replicates`` to every sum of squares
    (to the between-config total ``df_between`` times that), so plain eta squared
    overstates effects that are absent and understates the rest. Subtracting it (as
    omega squared does) estimates the share among the true config means; clipped at 0.
    Without an error term (one seed per config) it is plain eta squared.
    """
    ms = np.where(np.isfinite(ms), ms, 0.0)
    noise = ms / replicates
    effect = np.maximum(ss - df_effect * noise, 0.0)
    total = np.maximum(between - df_between * noise, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, effect / np.where(total > 0, total, 1), 0.0)


def pivot_interval(estimate, plug_in, resampled, confidence=0.95):
    """The basic bootstrap interval of a share, clipped to [0, 1].

    In the bootstrap world the true cell means are the observed ones, so the "true" share
    there is the plain share of the observed means (``plug_in``, eta squared); the spread
    of ``resampled - plug_in`` is the error of the estimator, laid around ``estimate``.
    """
    resampled = np.asarray(resampled, dtype=float)
    resampled = resampled[np.isfinite(resampled)]
    if not resampled.size:
        return np.nan, np.nan
    tail = (1 - confidence) / 2
    low, high = np.quantile(resampled - plug_in, [tail, 1 - tail])
    return float(np.clip(estimate - high, 0, 1)), float(np.clip(estimate - low, 0, 1))
