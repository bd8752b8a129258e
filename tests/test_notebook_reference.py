"""The notebook API's reference population (ks and compare), on the committed CSV exports (no training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from designspace.analysis import notebook as nb
from designspace.analysis.inputs import read_csvs

RESULTS = Path(__file__).resolve().parents[1] / "results" / "anynet_cifar"


@pytest.fixture(scope="module")
def df():
    return read_csvs([RESULTS / "anynetx_a.csv", RESULTS / "anynetx_b.csv", RESULTS / "anynetx_c.csv"])


def test_ks_against_the_first_or_a_named_reference(df) -> None:
    first = nb.ks(df)
    assert list(first["reference"]) == ["anynetx_a", "anynetx_a"]
    assert list(first["population"]) == ["anynetx_b", "anynetx_c"]
    named = nb.ks(df, reference="anynetx_b")
    assert list(named["reference"]) == ["anynetx_b", "anynetx_b"]
    assert list(named["population"]) == ["anynetx_a", "anynetx_c"]
    assert named.loc[0, "d"] == pytest.approx(first.loc[0, "d"])  # the same pair, either way round


def test_a_bad_reference_or_one_population_is_a_value_error(df) -> None:
    for call in (nb.ks, nb.compare):
        with pytest.raises(ValueError, match=r"reference='nope': not one of anynetx_a, anynetx_b, anynetx_c"):
            call(df, reference="nope")
        with pytest.raises(ValueError, match=f"{call.__name__}: need at least two populations"):
            call(df, names=["anynetx_a"])
    table = nb.compare(df, reference="anynetx_c", names=["anynetx_a", "anynetx_c"], n_boot=50, permutations=50)
    assert list(zip(table["before"], table["after"])) == [("anynetx_c", "anynetx_a")]
