"""The notebook API on a real small study: docs/examples/notebook_analysis.py runs, and the calls
draw into given axes and return tidy tables."""

from __future__ import annotations

import runpy
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

import designspace as ds  # noqa: E402
from designspace.analysis import notebook as nb  # noqa: E402
from designspace.cli import main  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "notebook_analysis.py"
CONFIG = """
[study]
name = "{space}_small"
trials = 5
seed = 3

[space]
name = "{space}"
flops = "1M:3M"

[data]
name = "synthetic:train=256,test=128"

[budget]
epochs = 1

[train]
batch_size = 64
lr = 0.4
"""


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two real small populations (5 trained models each) in one storage."""
    tmp = tmp_path_factory.mktemp("notebook")
    url = f"sqlite:///{tmp / 'studies.db'}"
    for space in ("anynetx_a", "anynetx_e"):
        config = tmp / f"{space}.toml"
        config.write_text(CONFIG.format(space=space))
        assert main(["study", "worker", str(config), "--storage", url, "--threads", "1", "--quiet"]) == 0
    return url


@pytest.mark.slow
def test_the_docs_notebook_example_runs_on_a_real_small_study(storage, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DESIGNSPACE_EXAMPLE_STORAGE", storage)
    monkeypatch.setenv("DESIGNSPACE_EXAMPLE_STUDIES", "anynetx_a_small,anynetx_e_small")
    monkeypatch.setenv("DESIGNSPACE_EXAMPLE_OUT", str(tmp_path))
    done = runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert len(done["df"]) == 10 and set(done["df"]["study"]) == {"anynetx_a_small", "anynetx_e_small"}
    assert set(done["ranges"]["population"]) == {"anynetx_a_small", "anynetx_e_small"}
    assert done["verdicts"]["verdict"].notna().all()
    for name in ("edfs.png", "params.png"):
        assert (tmp_path / name).stat().st_size > 10_000  # a drawn figure, not an empty canvas


@pytest.mark.slow
def test_notebook_calls_draw_into_given_axes_and_return_tidy_tables(storage) -> None:
    import matplotlib.pyplot as plt

    df = ds.load("anynetx_a_small", "anynetx_e_small", storage=storage)
    assert list(df["study"].unique()) == ["anynetx_a_small", "anynetx_e_small"]
    fig, ax = plt.subplots()
    try:
        assert nb.plot_edf(df, by="study", ax=ax, normalized=True) is fig
        assert len(ax.get_lines()) == 2 and "flops-normalized" in ax.get_ylabel()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["anynetx_a_small, n=5", "anynetx_e_small, n=5"]
    finally:
        plt.close(fig)
    by_space = nb.plot_edf(df, by="space", band=False)  # a new figure, populations by space
    assert [t.get_text() for t in by_space.axes[0].get_legend().get_texts()] == ["anynetx_a, n=5", "anynetx_e, n=5"]
    table = nb.ks(df)
    assert list(table.columns) == ["reference", "population", "n_reference", "n", "d", "p", "method", "normalized"]
    assert table.loc[0, "reference"] == "anynetx_a_small" and 0 <= table.loc[0, "d"] <= 1
    ranges = nb.good_ranges(df, names=["anynetx_e_small"], params=["d1", "w4"])
    assert list(ranges["parameter"]) == ["d1", "w4"] and (ranges["low"] <= ranges["high"]).all()
    with pytest.raises(ValueError, match="by='nope'"):
        nb.plot_edf(df, by="nope")
