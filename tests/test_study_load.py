"""``ds.load`` (designspace.study.load): trials of study names, TOML files and CSV exports as one DataFrame."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import designspace as ds
from designspace.analysis.inputs import read_csvs

RESULTS = Path(__file__).resolve().parents[1] / "results" / "anynet_cifar"


def test_load_of_csv_exports_is_their_rows_in_order() -> None:
    a, b = RESULTS / "anynetx_a.csv", RESULTS / "anynetx_b.csv"
    df = ds.load(a, str(b))
    expected = pd.concat([read_csvs([a]), read_csvs([b])], ignore_index=True, sort=False)
    pd.testing.assert_frame_equal(df, expected)
    assert list(df["study"].unique()) == ["anynetx_a", "anynetx_b"]


def test_load_needs_a_source_and_analysis_load_says_where_it_moved() -> None:
    with pytest.raises(ValueError, match="name at least one study"):
        ds.load()
    with pytest.raises(AttributeError, match=r"designspace\.load"):
        ds.analysis.load  # noqa: B018 - the attribute access is the test


@pytest.mark.slow
def test_load_of_a_study_name_reads_its_storage_as_the_export_does(tmp_path: Path) -> None:
    db = tmp_path / "studies.db"
    shutil.copy(RESULTS / "studies.db", db)  # a copy: opening a storage may write to it
    df = ds.load("anynetx_a", "anynetx_e", storage=f"sqlite:///{db}")
    exported = read_csvs([RESULTS / "anynetx_a.csv", RESULTS / "anynetx_e.csv"])  # study run wrote these
    assert len(df) == len(exported) and sorted(df.columns) == sorted(exported.columns)
    for column in ("study", "trial", "state", "test_error", "flops", "spec"):
        pd.testing.assert_series_equal(df[column], exported[column], check_dtype=False)
    shutil.copy(db, tmp_path / "anynetx_a.db")  # a TOML file without a storage: RESULTS/NAME.db
    toml = tmp_path / "a.toml"
    toml.write_text(
        '[study]\nname = "anynetx_a"\ntrials = 102\n[space]\nname = "anynetx_a"\n'
        '[data]\nname = "cifar10"\n[budget]\nepochs = 1\n'
    )
    alone = ds.load(toml, results=tmp_path)
    only_a = df[df["study"] == "anynetx_a"][alone.columns]  # the study alone: no columns of e's parameters
    assert len(alone) == 102
    pd.testing.assert_frame_equal(alone, only_a, check_dtype=False)
