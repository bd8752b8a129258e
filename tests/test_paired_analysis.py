"""Paired analysis: the median difference's interval, Wilcoxon's p, the three-way verdict, the table
from a trial export, and ``designspace analyze`` on paired studies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from designspace.analysis.paired import paired_table, paired_test, pairs_frame
from designspace.cli import main


def _export(study: str, principle: str, parent: np.ndarray, child: np.ndarray, noise: float, rng) -> pd.DataFrame:
    """A trial table as ``study export`` writes it for a paired study (two trainings per member)."""
    rows = []
    for i, (a, b) in enumerate(zip(parent, child)):
        pe = [a + noise * rng.standard_normal(), a + noise * rng.standard_normal()]
        ce = [b + noise * rng.standard_normal(), b + noise * rng.standard_normal()]
        rows.append(
            {
                "study": study, "space": "anynetx_d", "trial": i, "state": "COMPLETE",
                "test_error": np.mean(ce) - np.mean(pe), "flops": int(4e6 + 1e4 * i),
                "attr_principle": principle, "attr_slot": i, "attr_child_flops": int(4e6 + 1e4 * i),
                "attr_pair": json.dumps({"index": i}), "attr_parent_errors": json.dumps(pe),
                "attr_child_errors": json.dumps(ce),
            }
        )  # fmt: skip
    rows.append(
        {"study": study, "space": "anynetx_d", "trial": len(rows), "state": "FAIL", "attr_principle": principle}
    )
    return pd.DataFrame(rows)


def test_paired_test_statistics() -> None:
    rng = np.random.default_rng(0)
    parent = 50 + 5 * rng.standard_normal(60)  # models differ a lot...
    child = parent - 2 + 0.8 * rng.standard_normal(60)  # ...the principle moves each by -2
    t = paired_test(parent, child, alternative="less", n_boot=4000)
    d = child - parent
    assert t.n == 60 and t.median.estimate == pytest.approx(np.median(d))
    assert t.median.low < -2 < t.median.high and t.median.high - t.median.low < 1.0
    assert t.p == pytest.approx(stats.wilcoxon(d, alternative="less").pvalue)
    assert t.correlation > 0.9 and t.p_equiv > 0.5
    # unpaired, the same data give an interval several times wider: what pairing buys
    assert np.std(parent) / np.std(d) > 4
    with pytest.raises(ValueError, match="equal-length"):
        paired_test([1, 2, 3], [1, 2])


def test_table_verdicts_from_an_export() -> None:
    rng = np.random.default_rng(1)
    base = 50 + 5 * rng.standard_normal(50)
    trials = pd.concat(
        [
            _export("sorted", "sort_depths", base, base - 2.0, 0.5, rng),  # better
            _export("shared", "share_g", base, base + 0.05 * rng.standard_normal(50), 0.2, rng),  # equivalent
            _export("small", "tie_b", base[:6], base[:6] - 0.3, 3.0, rng),  # inconclusive
        ]
    )
    pairs = pairs_frame(trials)
    assert len(pairs) == 106 and set(pairs["replicates"]) == {2}
    one = pairs_frame(trials, replicates=1)
    first = json.loads(trials.iloc[0]["attr_parent_errors"])[0]
    assert one[(one["study"] == "sorted") & (one["slot"] == 0)]["parent_error"].item() == first
    table = paired_table(pairs, n_boot=2000).set_index("study")
    assert table.loc["sorted", "verdict"] == "better" and table.loc["sorted", "claim"] == "better"
    assert table.loc["shared", "verdict"] == "equivalent" and table.loc["shared", "claim"] == "no loss"
    assert table.loc["small", "verdict"] == "inconclusive"
    assert (table["p_adj"] >= table["p"] - 1e-12).all()  # Holm over the three studies


def test_analyze_cli_on_paired_csv(tmp_path, capsys) -> None:
    rng = np.random.default_rng(2)
    base = 50 + 5 * rng.standard_normal(20)
    path = tmp_path / "pairs.csv"
    waiting = pd.DataFrame([{"study": "sorted", "space": "anynetx_d", "trial": 99, "state": "WAITING"}])
    pd.concat([_export("sorted", "sort_depths", base, base - 2.0, 0.5, rng), waiting]).to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["analyze", "--csv", str(path), "--out", str(out), "--boot", "500"]) == 0
    text = capsys.readouterr().out
    assert "sorted (sort_depths, claim better): median child - parent" in text and ": better" in text
    assert {"pairs.csv", "paired.csv", "paired_differences.svg", "paired_differences.png"} <= {
        p.name for p in out.iterdir()
    }
    mixed = pd.concat([pd.read_csv(path), pd.DataFrame([{"study": "pop", "state": "COMPLETE", "test_error": 1.0}])])
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    assert main(["analyze", "--csv", str(tmp_path / "mixed.csv"), "--out", str(out)]) == 2
    assert "apart from populations (pop" in capsys.readouterr().err


def test_measure_script_ratio_of_trainings(tmp_path) -> None:
    """experiments/paired/measure.py: with sd 4 per population and sd 1 of the paired differences, the
    independent design needs about (16 + 16) / 1 = 32 times the trainings for the same interval width."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "experiments" / "paired" / "measure.py"
    spec = importlib.util.spec_from_file_location("paired_measure", path)
    measure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(measure)
    rng = np.random.default_rng(3)
    for name in ("before", "after"):
        e = 50 + 4 * rng.standard_normal(400)
        pd.DataFrame(
            {"state": "COMPLETE", "test_error": e, "attr_test_errors": [json.dumps([x, x]) for x in e]}
        ).to_csv(tmp_path / f"{name}.csv", index=False)
    parent = 50 + 4 * rng.standard_normal(400)
    pairs = pd.DataFrame({"parent_error": parent, "child_error": parent - 1 + rng.standard_normal(400)})
    pairs["difference"] = pairs["child_error"] - pairs["parent_error"]
    out = measure.measure(pairs, str(tmp_path / "before.csv"), str(tmp_path / "after.csv"), 1, 2000, 0)
    assert 24 < out["ratio_independent_per_paired_sd"] < 42
    low, high = out["ratio_sd_interval_95"]
    assert low < out["ratio_independent_per_paired_sd"] < high
    # the median-based ratio measures the same thing with more noise
    assert 12 < out["ratio_independent_per_paired_median"] < 80
    assert out["trainings_for_width_1pt"]["independent"] > 10 * out["trainings_for_width_1pt"]["paired"]
