"""results: tables, figure grids and an HTML report from a sweep's results.

>>> import sweeps, results
>>> df = sweeps.load("runs/sine")                            # doctest: +SKIP
>>> results.summary_table(df, sort_by="test_mse").head()     # doctest: +SKIP
>>> fig = results.fit_grid(df)                               # doctest: +SKIP
>>> results.save_figure(fig, "fits.svg")                     # doctest: +SKIP
>>> results.build_report("runs/sine")                        # doctest: +SKIP
PosixPath('runs/sine/report')

Everything reads the DataFrame of ``sweeps.load``; nothing here trains or runs jobs.
Figures that need predictions rebuild the networks from the stored weights via ``nncore``.
"""
import sys
from importlib import import_module
from types import ModuleType

#: Each public name and the module that holds it: imported on first use (PEP 562, as in
#: ``sweeps``), so a light module (``results.report_cache``) loads without the figures.
_HOMES = {
    "compare": "results.compare", "comparison_text": "results.compare",
    "write_comparison": "results.compare",
    **dict.fromkeys(["boundary_comparison", "compare_plot", "decision_boundaries",
                     "error_heatmaps", "fit_grid", "loss_curves", "metric_vs_size",
                     "save_figure", "weight_histograms", "weight_stat_curves"], "results.figures"),
    "load_results": "results.frame", "build_report": "results.report",
    "best_configs": "results.selection", "best_text": "results.selection",
    **dict.fromkeys(["grid_pivot", "status_counts", "summary_table", "width_depth_pivot",
                     "write_table"], "results.tables"),
}

__all__ = sorted(_HOMES)


class _Package(ModuleType):
    """The package, whose ``compare`` stays the function once ``results.compare`` loads.

    Importing a submodule sets it as an attribute of its package; the function
    ``results.compare`` shares its module's name, so that attribute is not taken.
    """

    def __setattr__(self, name, value):
        if not (name in _HOMES and isinstance(value, ModuleType)):
            super().__setattr__(name, value)


def __getattr__(name):
    if name in _HOMES:
        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'results' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])


sys.modules[__name__].__class__ = _Package
