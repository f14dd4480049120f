"""Figure functions: a tidy results frame in, a ``matplotlib.figure.Figure`` out.

Every function takes the ``sweeps.load`` DataFrame first and keyword-only options after it
(the seaborn convention) and returns the figure; saving is :func:`save_figure`'s job.
"""
from results.figures.boundaries import boundary_comparison, decision_boundaries
from results.figures.curves import loss_curves
from results.figures.fit_grid import fit_grid
from results.figures.heatmaps import error_heatmaps
from results.figures.layout import save_figure
from results.figures.paired import compare_plot
from results.figures.size import metric_vs_size
from results.figures.weights import weight_histograms, weight_stat_curves

__all__ = ["boundary_comparison", "compare_plot", "decision_boundaries", "error_heatmaps",
           "fit_grid", "loss_curves", "metric_vs_size", "save_figure", "weight_histograms",
           "weight_stat_curves"]
