"""``designspace plan``: sample sizes from a noise level or pilot studies; bad input is exit 2."""

import json

import numpy as np
import pandas as pd

from designspace.analysis.power import n_difference, n_equivalence, noise_factor, unit_sd_from_noise
from designspace.cli import main


def test_plan_from_a_noise_level_matches_the_library(capsys):
    assert (
        main(["plan", "--spread", "1.3", "--noise", "1.0", "--effect", "0.5", "--replicates", "1", "2", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    for row in out["plans"]:
        sd = unit_sd_from_noise(1.3, 1.0, row["replicates"])
        assert row["sd"] == sd and row["n_difference"] == n_difference(0.5, sd)
        assert row["n_equivalence"] == n_equivalence(1.0, sd)
    assert out["plans"][1]["n_difference"] < out["plans"][0]["n_difference"]  # a second training buys power


def test_plan_from_pilot_studies_with_replicates_and_a_family(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for study in ("a", "b"):
        flops = 10 ** rng.uniform(6.6, 6.9, 60)
        rows.append(pd.DataFrame({"study": study, "space": study, "trial": range(60), "state": "COMPLETE",
                                  "test_error": rng.normal(60, 2, 60), "flops": flops}))  # fmt: skip
    csv = tmp_path / "pilot.csv"
    pd.concat(rows).to_csv(csv, index=False)
    argv = ["plan", "a", "b", "--csv", str(csv), "--effect", "1", "--icc", "0.6", "--pilot-replicates", "2"]
    assert main([*argv, "--comparisons", "5", "--json", "--boot", "500"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["alpha"] == 0.01 and "pilot a (n=60) vs b (n=60), flops-normalized" in out["source"]
    by_r = {p["replicates"]: p for p in out["plans"]}
    assert by_r[1]["sd"] ** 2 == np.float64(out["unit_sd"]) ** 2 * noise_factor(0.6, 1, 2)
    assert by_r[1]["n_difference"] > by_r[2]["n_difference"] > by_r[4]["n_difference"]
    assert main([*argv, "--boot", "300"]) == 0
    text = capsys.readouterr().out
    assert "n per space: difference | equivalence" in text and "unit sd of the median shift" in text


def test_plan_bad_input_is_one_line_exit_2(capsys):
    assert main(["plan", "--effect", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "name two pilot studies" in err
    assert main(["plan", "--spread", "1", "--comparisons", "0"]) == 2
    assert "--comparisons" in capsys.readouterr().err
