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
from results.compare import compare, comparison_text, write_comparison
from results.effects import effects, effects_text
from results.explain import write_effects
from results.figures import (boundary_comparison, compare_plot, decision_boundaries,
                             error_heatmaps, fit_grid, layer_stats, loss_curves, metric_vs_size,
                             save_figure, weight_histograms)
from results.frame import load_results
from results.report import build_report
from results.selection import best_configs, best_text
from results.tables import (grid_pivot, status_counts, summary_table, width_depth_pivot,
                            write_table)

__all__ = ["best_configs", "best_text", "boundary_comparison", "build_report", "compare",
           "compare_plot", "comparison_text", "decision_boundaries", "effects",
           "effects_text", "error_heatmaps",
           "fit_grid", "grid_pivot", "layer_stats", "load_results", "loss_curves",
           "metric_vs_size", "save_figure", "status_counts", "summary_table",
           "weight_histograms", "width_depth_pivot", "write_comparison", "write_effects",
           "write_table"]
