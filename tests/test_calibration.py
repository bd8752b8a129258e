"""The calibration harness: its statistics on synthetic data with known ICC, the plan, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from designspace.calibration import stats
from designspace.calibration.plan import REFERENCE, load_plan

PLAN = Path(__file__).resolve().parents[1] / "experiments" / "calibration" / "cal1.toml"


def simulate(rng: np.random.Generator, n: int, k: int, icc: float, shift: float = 0.0) -> np.ndarray:
    """n models x k replicates: model effect sd 1, noise sd sqrt(1/icc - 1); replicate j shifted j*shift."""
    true = rng.normal(0, 1, (n, 1))
    return true + rng.normal(0, np.sqrt(1 / icc - 1), (n, k)) + shift * np.arange(k)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("icc", [0.3, 0.6, 0.9])
def test_icc_estimators_recover_the_known_icc(icc: float, k: int) -> None:
    m = simulate(np.random.default_rng(0), 20_000, k, icc)
    assert stats.icc_consistency(m) == pytest.approx(icc, abs=0.02)
    assert stats.icc_agreement(m) == pytest.approx(icc, abs=0.02)


def test_consistency_ignores_a_replicate_shift_agreement_does_not() -> None:
    rng = np.random.default_rng(1)
    m = simulate(rng, 200, 2, 0.8)
    shifted = m + np.array([0.0, 3.0])
    assert stats.icc_consistency(shifted) == pytest.approx(stats.icc_consistency(m))
    assert stats.icc_agreement(shifted) < stats.icc_agreement(m) - 0.3
    assert stats.spearman_between(shifted) == pytest.approx(stats.spearman_between(m))


@pytest.mark.parametrize("form", ["consistency", "agreement"])
def test_f_interval_covers_the_true_icc_95_percent_of_the_time(form: str) -> None:
    rng = np.random.default_rng(2)
    sims, hits = 1000, 0
    for _ in range(sims):
        lo, hi = stats.icc_f_ci(simulate(rng, 36, 2, 0.7), form)
        hits += lo <= 0.7 <= hi
    assert 0.93 <= hits / sims <= 0.97  # binomial sd at 0.95 and 1000 sims: 0.007


def test_bootstrap_interval_roughly_covers_and_shrinks_with_more_models() -> None:
    rng = np.random.default_rng(3)
    sims, hits = 60, 0
    for i in range(sims):
        lo, hi = stats.bootstrap_ci(simulate(rng, 36, 2, 0.7), stats._icc_c, n_boot=400, seed=i)
        hits += lo <= 0.7 <= hi
    assert hits / sims >= 0.8  # BCa at n = 36 covers ~0.9 (documented), not 0.95
    small = stats.bootstrap_ci(simulate(rng, 30, 2, 0.7), stats._icc_c, n_boot=400)
    large = stats.bootstrap_ci(simulate(rng, 600, 2, 0.7), stats._icc_c, n_boot=400)
    assert large[1] - large[0] < (small[1] - small[0]) / 2


def test_validity_against_a_reference() -> None:
    rng = np.random.default_rng(4)
    true = rng.normal(0, 1, 300)
    m = true[:, None] + rng.normal(0, 0.5, (300, 2))
    s = stats.summary(m, true, n_boot=300)
    assert s["spearman_reference"]["value"] > s["spearman_between"]["value"]  # a noiseless reference
    lo, hi = s["spearman_reference"]["ci95"]
    assert lo <= s["spearman_reference"]["value"] <= hi
    assert stats.spearman_reference(m, -true) < -0.8
    assert s["n"] == 300 and s["k"] == 2


def test_factor_effects_find_the_factor_that_lowers_the_noise() -> None:
    rng = np.random.default_rng(5)
    n = 200
    true = rng.normal(0, 1, (n, 1))
    levels = {f"p{i}": {"A": a, "B": b} for i, (a, b) in enumerate([(-1, -1), (1, -1), (-1, 1), (1, 1)])}
    noise = {-1: 1.0, 1: 0.5}  # A+ halves the noise: ICC 0.5 -> 0.8; B does nothing
    mats = {p: true + rng.normal(0, noise[lv["A"]], (n, 2)) for p, lv in levels.items()}
    effects = stats.factor_effects(mats, levels, n_boot=500)
    lo, hi = effects["A"]["ci95"]
    assert lo <= 0.3 <= hi and lo > 0.1
    lo, hi = effects["B"]["ci95"]
    assert lo <= 0 <= hi
    with pytest.raises(ValueError, match="both levels"):
        stats.factor_effects(mats, {p: {"A": 1, "B": lv["B"]} for p, lv in levels.items()})


@pytest.mark.parametrize(
    "bad, why",
    [(np.ones((2, 2)), "n >= 3"), (np.ones((5, 1)), "k >= 2"), (np.array([[1, 2], [3, np.nan], [4, 5]]), "finite")],
)
def test_bad_score_matrices_get_one_line_errors(bad: np.ndarray, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        stats.icc_consistency(bad)


def test_committed_plan_is_stratified_and_seeds_are_independent_between_replicates() -> None:
    plan = load_plan(PLAN)
    assert plan.size() == 36 and len(plan.spaces) == 6 and "regnetx" in plan.spaces
    ref = plan.studies(REFERENCE)
    assert len(ref) == 18 and all(c.train_subset is None and c.epochs == 4 for c in ref)
    f1 = plan.studies("f1")
    assert len(f1) == 36 and {c.train_subset for c in f1} == {20000}
    seeds = {r: {c.training_seed(k) for c in f1 if f".r{r}." in c.name for k in range(c.trials)} for r in (0, 1)}
    assert len(seeds[0]) == 36 and not seeds[0] & seeds[1]  # one seed per model, none shared
    crn = plan.studies("f2")
    common = {r: {dict(c.train)["common_seed"] for c in crn if f".r{r}." in c.name} for r in (0, 1)}
    assert len(common[0]) == len(common[1]) == 1 and common[0] != common[1]
    assert all(dict(c.train)["precision"] == "bf16" for c in f1)
    assert dict(plan.studies("f1_fp32")[0].train)["precision"] == "fp32"
    # the same models in every protocol: same space, regime and draw seed per cell
    assert [(c.space, c.flops, c.seed) for c in f1[:18]] == [(c.space, c.flops, c.seed) for c in ref]


@pytest.mark.parametrize(
    "edit, message",
    [
        (('precision = "bf16"', 'precision = "auto"'), "must be pinned"),
        (("bins = 3", "bins = 3\ncolour = 1"), "calibration.colour: unknown key"),
        (("epochs = 4", "epochs = 0"), "reference.epochs"),
        (('"regnetx"]', '"regnetz"]'), "regnetz"),
        (("eval_last = 3,", "eval_lats = 3,"), "train.eval_lats"),
    ],
)
def test_bad_plans_get_one_line_errors(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(PLAN.read_text().replace(*edit, 1))
    with pytest.raises(ValueError, match=message):
        load_plan(bad)


TINY_PLAN = """
[calibration]
name = "tiny"
storage = "sqlite:///{db}"
spaces = ["anynetx_a"]
flops = "0.2M:1M"
resolution = 16
bins = 1
models = 3
seed = 0
replicates = 2
precision = "fp32"

[data]
name = "synthetic:size=16,train=256,test=128"

[reference]
epochs = 2

[protocols.p]
epochs = 1
factors = {{ A = -1 }}
train = {{ scores = true, ema = 0.9, eval_last = 2 }}

[protocols.p_bf16]
epochs = 1
factors = {{ A = 1 }}
train = {{ scores = true, ema = 0.9, eval_last = 2, precision = "bf16" }}
"""


@pytest.mark.slow
def test_plan_runs_resumes_and_reports_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from designspace.calibration.report import write_report
    from designspace.calibration.run import pending, run_plan

    monkeypatch.setenv("DESIGNSPACE_ALLOW_EMULATED_PRECISION", "1")  # bf16 may be emulated on CI
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_PLAN.format(db=tmp_path / "tiny.db"))
    plan = load_plan(path)
    assert pending(plan, ["reference", "protocols"]) == {"reference": 3, "p": 6, "p_bf16": 6}
    assert run_plan(plan, ["p", "reference"], say=lambda m: None, max_trainings=4) == 4  # stopped early
    assert pending(plan, ["reference", "protocols"]) == {"reference": 3, "p": 2, "p_bf16": 6}
    assert run_plan(plan, ["reference", "protocols"], say=lambda m: None) == 11  # resumes: the rest only
    assert run_plan(plan, ["reference", "protocols"], say=lambda m: None) == 0
    md = write_report(plan, tmp_path / "out", n_boot=200)
    result = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert result["reference"]["models"] == 3
    p = result["protocols"]["p"]
    assert p["precision"] == ["fp32"] and p["trainings"] == 6 and p["device_name"]
    assert set(p["scores"]) == {"error", "flip_error", "ema_error", "last_error", "loss", "ema_loss"}
    error = p["scores"]["error"]
    assert error["models_complete"] == 3 and error["spearman_reference"]["n"] == 3
    assert error["core_seconds"] < p["scores"]["last_error"]["core_seconds"]  # more test passes cost more
    assert result["protocols"]["p_bf16"]["precision"] == ["bf16"]
    (pair,) = result["precision_agreement"]
    assert pair["protocols"] == ["p", "p_bf16"] and pair["trainings"] == 6
    assert "| p | error | 3 |" in md.read_text()
    effect = result["factor_effects"]["error"]
    assert effect["models_complete"] == 3 and set(effect["icc_consistency"]) == {"A"}
    assert "spearman_reference" in effect


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from designspace.cli import main

    assert main(["calibrate", "status", str(tmp_path / "missing.toml")]) == 2
    plan = tmp_path / "p.toml"
    plan.write_text(TINY_PLAN.format(db=tmp_path / "p.db"))
    assert main(["calibrate", "run", str(plan), "--part", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "missing.toml" in err[0] and "no protocol 'nope'" in err[1]
    assert main(["calibrate", "status", str(plan)]) == 0
    assert "reference       0/3 trainings done" in capsys.readouterr().out


def test_pareto_front_goal_and_best_point() -> None:
    from designspace.calibration.report import pareto

    def entry(cost: float, icc: float, lower: float, sref: float) -> dict:
        return {
            "core_seconds": cost,
            "icc_consistency": {"value": icc, "ci95": [lower, 0.99]},
            "spearman_reference": {"value": sref, "ci95": [0, 1], "n": 30},
        }

    protocols = {
        "a": {"scores": {"error": entry(40, 0.85, 0.75, 0.85)}},  # meets the goal
        "b": {"scores": {"error": entry(20, 0.60, 0.40, 0.70)}},  # cheaper, worse: on the front
        "c": {"scores": {"error": entry(50, 0.80, 0.70, 0.80)}},  # dearer and worse than a
        "d": {"scores": {"error": entry(30, 0.90, 0.65, 0.90)}},  # lower bound misses 0.7
    }
    result = pareto(protocols)
    front = {p["protocol"] for p in result["front"]}
    assert "c" not in front and {"b", "d"} <= front
    assert [p["protocol"] for p in result["meeting_goal"]] == ["a"]
    assert result["best"]["protocol"] == "a"
    del protocols["a"]
    assert pareto(protocols)["best"]["protocol"] == "d"  # none meets it: the most valid of the front
