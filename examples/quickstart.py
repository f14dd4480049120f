# %% [markdown]
# # nnsweeps from Python: run, look, choose, compare
#
# The cells below are what a notebook would hold (open this file in Jupyter with jupytext,
# paste the cells into one, or run it whole: `python examples/quickstart.py`). A tiny
# sweep of the `sine` preset, a few seconds on 2 cores: three architectures, two
# optimizers, three seeds. Results go to `runs/quickstart`; running it again trains nothing
# (every job is cached), and Ctrl-C (Jupyter's stop button) keeps every finished job.

# %%
from pathlib import Path

import results
import sweeps

OUT = Path("runs/quickstart")

# %% [markdown]
# `sweeps.run` is `sweeps run` from Python: the same spec, overrides as `--set`, a progress
# bar (a widget in Jupyter), and the results frame back, one row per job.

# %%
df = sweeps.run("sine", out=OUT, jobs=2, overrides=[
    "hidden=[[3],[10],[10,10]]", "optimizer=adam,gd", "lr=0.05", "epochs=300",
    "seed=0,1,2"])
print(df[["layers", "optimizer", "seed", "status", "val_mse", "test_mse"]].head().to_string())

# %% [markdown]
# One row per config, with the mean and 95% interval over seeds; then the configs ranked on
# validation (`sweeps best`), the test metric beside each as the honest estimate.

# %%
summary = results.summary_table(df, metrics=["val_mse", "test_mse"], sort_by="val_mse",
                                varying_only=True)
print(summary.filter(regex="^(layers|optimizer|val_mse_mean|test_mse_(mean|ci_.*))$")
      .to_string())
print(results.best_text(results.best_configs(df, top=3)))

# %% [markdown]
# Adam against plain gradient descent, config by config and seed by seed (`sweeps
# compare --by optimizer`): the verdict first.

# %%
table = results.compare(df, by="optimizer")
print(table.attrs["verdict"]["text"])

# %% [markdown]
# Figure functions take the frame and return a matplotlib figure: in Jupyter, a cell ending
# in `results.fit_grid(df)` shows it; here it is saved. `results.build_report(OUT)` writes
# the whole HTML report, as `sweeps report runs/quickstart` does.

# %%
fig = results.fit_grid(df[df["optimizer"] == "adam"])
print("figure:", results.save_figure(fig, OUT / "fits.png"))
