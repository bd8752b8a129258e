# %% [markdown]
# # Comparing two design spaces in a notebook
#
# A notebook-style script (cells marked `# %%`: VS Code, PyCharm and Jupytext open it as a
# notebook). It reads two populations from a study storage, draws their error EDFs, tests them
# and finds the good ranges of their parameters, with the functions `designspace analyze`'s
# report uses. By default it reads the committed AnyNetX-A and -E populations; set
# `DESIGNSPACE_EXAMPLE_STORAGE` and `DESIGNSPACE_EXAMPLE_STUDIES` (comma-separated) for your own.
# `tests/test_notebook_example.py` runs it on a small study it trains.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; in Jupyter, leave this out to see the figures inline
import matplotlib.pyplot as plt  # noqa: E402

import designspace as ds  # noqa: E402
from designspace.analysis import notebook as nb  # noqa: E402

storage = os.environ.get("DESIGNSPACE_EXAMPLE_STORAGE", "sqlite:///results/anynet_cifar/studies.db")
studies = os.environ.get("DESIGNSPACE_EXAMPLE_STUDIES", "anynetx_a,anynetx_e").split(",")
out = Path(os.environ.get("DESIGNSPACE_EXAMPLE_OUT", "."))

# %% One call: every trial of both studies as a DataFrame (a CSV export loads the same way)
df = ds.load(*studies, storage=storage)
print(df.groupby("study")["test_error"].describe())

# %% Error EDFs, plain and flops-normalized, side by side in axes we own
fig, (raw, normalized) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
nb.plot_edf(df, by="study", ax=raw)
nb.plot_edf(df, by="study", ax=normalized, normalized=True)
fig.savefig(out / "edfs.png")

# %% KS tests (tidy: one row per pair) and the report's verdict table (effect size, interval, Holm)
print(nb.ks(df, normalized=True))
verdicts = nb.compare(df, n_boot=500, permutations=500)
print(verdicts[["before", "after", "median_shift", "median_low", "median_high", "ks_p_adj", "verdict"]])

# %% Good ranges of every sampled parameter, and the first study's panels
ranges = nb.good_ranges(df)
print(ranges)
params = nb.plot_params(df, studies[0])
params.savefig(out / "params.png")
