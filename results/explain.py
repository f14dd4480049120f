"""``sweeps explain`` and the report's "What matters in this sweep": effects, written out.

:func:`results.effects` computes; this module loads a sweep, writes the effects' tables
and figures, and gives the report its section.
"""
from __future__ import annotations

import logging
from pathlib import Path

from results.effects import effects
from results.figures.effects import interaction_plot, main_effects, variance_shares
from results.figures.layout import close, save_figure
from results.frame import load_results
from results.tables import write_table

log = logging.getLogger(__name__)
FIGURES = (("effects_shares", "Share of the variance between configs", variance_shares),
           ("effects_main", "Main effects", main_effects),
           ("effects_interaction", "Interaction of the leading pair", interaction_plot))


def write_effects(out_dir, target=None, *, on=None, alpha=0.05, figure_format="png"):
    """Load the sweep in ``out_dir``, explain it, and write tables and figures to ``target``.

    Parameters
    ----------
    out_dir : str or Path
        Output directory of a sweep.
    target : str or Path, default=None
        Where to write ``effects_*.csv`` / ``.md`` and the figures; None writes nothing.
    on, alpha
        As for :func:`results.effects`.
    figure_format : {"png", "svg", "pdf"}, default="png"

    Returns
    -------
    dict
        The effects, with ``files`` (name -> Path written).
    """
    result = effects(load_results(out_dir, curves=False, weights=False), on=on, alpha=alpha)
    result["files"] = {}
    if target is not None:
        target = Path(target)
        for name in ("axes", "main", "pairs", "interactions"):
            result["files"].update({f"{name}.{fmt}": path for fmt, path in write_table(
                result[name], target / f"effects_{name}", formats=("csv", "md")).items()})
        for name, _, path in figures(result, target, figure_format):
            result["files"][name] = path
    return result


def figures(result, folder, fmt):
    """Draw and save the effects figures: [(name, title, Path or the error text)]."""
    out = []
    for name, title, func in FIGURES:
        if func is interaction_plot and result["interactions"].empty:
            continue
        try:
            fig = func(result)
        except Exception as err:  # noqa: BLE001 - reported on the page, not swallowed
            log.warning("figure %s not drawn: %s", name, err)
            out.append((name, title, f"not drawn: {type(err).__name__}: {err}"))
            continue
        try:
            out.append((name, title, save_figure(fig, Path(folder) / name, fmt)))
        finally:
            close(fig)
    return out


def report_section(df, folder, fmt, sweep=None):
    """The report's "What matters in this sweep": (sentences, figures), or None.

    Figure captions start with ``sweep``'s name when given, as the report's others do.

    None when nothing can be explained (one config, no ok job, several tasks): the
    report then simply has no such section.
    """
    try:
        result = effects(df)
    except ValueError as err:
        log.info("no effects section: %s", err)
        return None
    except Exception as err:  # noqa: BLE001 - shown on the page, not swallowed
        log.warning("effects not computed: %s", err)
        return [f"not computed: {type(err).__name__}: {err}"], []
    lines = list(result["axes"]["text"]) + [f"note: {n}" for n in result["notes"]]
    prefix = f"{sweep}: " if sweep else ""
    return lines, [(prefix + title, path) for _, title, path in figures(result, folder, fmt)]
