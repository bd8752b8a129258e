"""The reproduction's configs (experiments/anynet_cifar) stay valid and its scripts stay runnable.

CI never runs the real studies (hours of CPU); this runs every config with 2 trials on a tiny
budget of the real CIFAR-10, then the calibration and report scripts on what they stored.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import optuna
import pytest

from designspace.data import load_dataset
from designspace.study.config import load_config
from designspace.study.export import trials_frame
from designspace.study.worker import run_worker

HERE = Path(__file__).resolve().parents[1] / "experiments" / "anynet_cifar"
POPULATIONS = ("anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e", "regnetx")
SUPPLEMENTS = ("regnetx_b",)  # populations beside the six, same setup, compared in a supplement
# calibration attempts in the order they ran (e1, e2, ...); the last one set the populations' budget
ATTEMPTS = tuple(
    sorted((p.stem.split("_")[1] for p in HERE.glob("calibration_*_seed0.toml")), key=lambda a: int(a[1:]))
)
CALIBRATION = tuple(f"calibration_{a}_{run}" for a in ATTEMPTS for run in ("seed0", "seed1", "long"))
pytestmark = pytest.mark.filterwarnings("ignore:The image decoding and encoding:DeprecationWarning")


def script(name: str):
    spec = importlib.util.spec_from_file_location(f"anynet_cifar_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def configs():
    return {path.stem: load_config(path) for path in sorted(HERE.glob("*.toml"))}


def test_the_configs_are_one_setup_that_differs_only_where_it_should():
    c = configs()
    assert set(c) == {*POPULATIONS, *SUPPLEMENTS, *CALIBRATION}
    base = c["anynetx_a"]
    for name in POPULATIONS + SUPPLEMENTS:
        assert (c[name].name, c[name].space, c[name].trials) == (name, name, 100)
        same = replace(c[name], name=base.name, space=base.space, group_rule=base.group_rule)
        assert same == base  # same regime, data, budget, recipe
        # v1 was sampled with the gcd rule: its AnyNetX configs pin it (RegNet has only pycls's)
        assert c[name].group_rule == ("pycls" if name.startswith("regnet") else "gcd")
    assert base.storage == "sqlite:///results/anynet_cifar/studies.db" and base.flops == (4e6, 8e6)
    for attempt in ATTEMPTS:
        seed0, seed1, long = (c[f"calibration_{attempt}_{run}"] for run in ("seed0", "seed1", "long"))
        assert seed0.space == "anynetx_a" and seed0.trials >= 32 and seed0.seed != base.seed
        assert seed0.group_rule == seed1.group_rule == long.group_rule == "gcd"
        assert (seed0.seed, seed0.flops, seed0.train_subset) == (seed1.seed, base.flops, seed1.train_subset)
        assert seed1.epochs == seed0.epochs and seed1.train_seed != seed0.train_seed
        assert not set(seed1.training_seeds(0)) & set(seed0.training_seeds(0))  # independent measurements
        assert len(seed1.training_seeds(0)) == len(seed0.training_seeds(0))
        # the 4x study: the same models and first training seed, 4x the epochs, one training per model
        # (its own study, or an earlier attempt's that is the same study: e5's is e1's)
        assert replace(long, name=seed0.name, epochs=seed0.epochs, train_seed=seed0.train_seed) == seed0
        assert long.epochs == 4 * seed0.epochs and long.training_seeds(0) == seed0.training_seeds(0)[:1]
        assert long.name in (f"calibration_{attempt}_long", *(f"calibration_{a}_long" for a in ATTEMPTS))
    last = c[f"calibration_{ATTEMPTS[-1]}_seed0"]
    calibrated = (last.epochs, last.train_subset, len(last.training_seeds(0)))
    assert calibrated == (base.epochs, base.train_subset, len(base.training_seeds(0)))  # the calibrated budget


@pytest.mark.slow
def test_configs_run_two_trials_and_the_scripts_report_them(tmp_path, monkeypatch, cifar_cache, shared_data, capsys):
    monkeypatch.setenv("DESIGNSPACE_CACHE", str(cifar_cache))
    monkeypatch.setenv("DESIGNSPACE_NO_DOWNLOAD", "1")
    load_dataset("cifar10", data_dir=shared_data)  # the native cache, which the studies' 32-px request reuses
    studies, calib = f"sqlite:///{tmp_path / 'studies.db'}", f"sqlite:///{tmp_path / 'calibration.db'}"
    for name, config in configs().items():
        tiny = replace(config, trials=2, data_dir=str(shared_data), train_subset=256, test_subset=200)
        report = run_worker(tiny, calib if name.startswith("calibration") else studies, threads=1)
        assert report is not None
    frame = trials_frame(studies, list(POPULATIONS + SUPPLEMENTS))
    assert (frame["state"] == "COMPLETE").all() and len(frame) == 14
    assert (frame["study"] == frame["space"]).all() and frame["flops"].between(4e6, 8e6).all()
    c = configs()
    runs = {name: trials_frame(calib, [c[name].name]) for name in CALIBRATION}
    assert all((f["state"] == "COMPLETE").all() and len(f) == 2 for f in runs.values())
    for attempt in ATTEMPTS:
        seed0, seed1, long = (runs[f"calibration_{attempt}_{run}"] for run in ("seed0", "seed1", "long"))
        assert seed0["spec"].equals(seed1["spec"]) and seed0["spec"].equals(long["spec"])
        first = c[f"calibration_{attempt}_seed1"].training_seed(0)
        assert seed0["seed"].tolist() == long["seed"].tolist() == [0, 1]
        assert seed1["seed"].tolist() == [first, first + 1]

    out = tmp_path / "results"
    calibrate = script("calibrate")
    for attempt in ATTEMPTS:
        args = ["--attempt", attempt, "--storage", calib, "--out", str(out / "calibration" / attempt)]
        assert calibrate.main(args) == 2  # 32 models needed
        assert "2 models are complete" in capsys.readouterr().err
        assert calibrate.main([*args, "--min-models", "2"]) == 0
        summary = json.loads((out / "calibration" / attempt / "calibration.json").read_text())
        assert summary["models"] == 2 and summary["comparisons"]["seed"]["n"] == 2
        assert summary["epochs"]["long"] == 4 * summary["epochs"]["seed0"]
        assert abs(summary["comparisons"]["budget"]["spearman"]) == pytest.approx(1.0)  # two points rank perfectly
        assert {p.name for p in (out / "calibration" / attempt).iterdir()} >= {"calibration.csv", "scatter_seed.png"}

    # an attempt stopped early: its comparisons short of --min-models are recorded, not measured,
    # and the plots an earlier complete run left are removed
    stopped = out / "calibration" / ATTEMPTS[0]
    args = ["--attempt", ATTEMPTS[0], "--storage", calib, "--out", str(stopped), "--min-models", "3"]
    assert calibrate.main([*args, "--partial"]) == 0
    summary = json.loads((stopped / "calibration.json").read_text())
    assert all(r == {"n": 2, "stopped": True} for r in summary["comparisons"].values())
    assert not list(stopped.glob("scatter_*")) and "not measured" in capsys.readouterr().out
    second = json.loads((out / "calibration" / ATTEMPTS[-1] / "calibration.json").read_text())["comparisons"]["seed"]
    assert second["noise_sd_per_run"] >= 0 and 0 <= second["icc"] <= 1

    report = script("report")
    args = ["--storage", studies, "--out", str(out), "--min-complete", "2", "--boot", "50", "--permutations", "99"]
    assert report.main(args) == 0
    text = (out / "REPORT.md").read_text()
    for step in ("A → B", "B → C", "C → D", "D → E", "E → RegNetX"):
        assert f"| {step}" in text
    assert "## Calibration" in text and "seed vs seed" in text and "other seed vs 4×" in text
    assert (
        "over 50 draws of 25% of the population" in text and "With n = 2 per space, an unweighted KS" in text
    )  # as run
    assert "## Seed noise in the populations" in text and "| AnyNetX-A | 2 |" in text  # two trainings per model
    for attempt in ATTEMPTS:  # every attempt's row, and the commands that regenerate it
        assert f"| {attempt} |" in text and f"calibrate.py --attempt {attempt} --min-models" in text
    assert f"--attempt {ATTEMPTS[0]} --min-models 3 --partial" in text and "not measured" in text
    assert f"calibration_{ATTEMPTS[-1]}_long.toml" in text and f"The populations train with {ATTEMPTS[-1]}'s" in text
    assert "| failed (no result) | attempts re-run |" in text  # a lost attempt run again is not a failed model
    assert "0 were attempts lost or interrupted and run again, and 0 are models' results" in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) >= 12 and all((out / link).is_file() for link in links), links  # every embedded plot exists
    assert (out / "analyze" / "anynetx_a-vs-anynetx_b" / "report.html").is_file()
    assert (out / "analyze" / "all" / "params_regnetx.png").is_file()
    assert sorted(p.name for p in out.glob("*.csv")) == sorted(f"{s}.csv" for s in POPULATIONS + SUPPLEMENTS)
    assert "regnetx_any_stages" not in text
    # the spaces' sizes, from the space registry: E's 10 dimensions and settings against RegNetX's 5
    assert "| AnyNetX-E | 10 (d1, d2, d3, d4, w1, w2, w3, w4, b, g) | 8.17e+11 | 6.76e+11 |" in text
    assert "| RegNetX | 5 (d, w0, wa, wm, g) | continuous | no closed form |" in text
    # RegNetX with b free: compared with E and with b = 1, its models by b, its good ranges with b
    assert "### Supplement: RegNetX with the bottleneck ratio free" in text
    assert "| E → RegNetX with b free | at least as good | 2 / 2 |" in text and "| RegNetX: b free → b = 1 |" in text
    assert "| b | models | median error % | min error % |" in text and "Study `regnetx_b` (2 models" in text
    assert re.search(r"\| b \| \d+ – \d+ \|", text)  # b's good range

    # a population set aside (RegNetX drawn before the 4-stage rule) is compared in a supplement
    optuna.copy_study(
        from_study_name="regnetx", from_storage=studies, to_storage=studies, to_study_name="regnetx_any_stages"
    )
    assert report.main(args) == 0
    text = (out / "REPORT.md").read_text()
    assert "### Supplement: RegNetX without pycls's 4-stage rule" in text
    assert "| E → RegNetX drawn without the 4-stage rule | none | 2 / 2 |" in text
    assert "| 4 | 2 |" in text  # its models by number of stages (these two are 4-stage models)
    assert "| regnetx_any_stages | 2 |" in text  # its cost counts
    assert (out / "regnetx_any_stages.csv").is_file()
    assert (out / "analyze" / "regnetx_any_stages-vs-regnetx" / "edf_normalized.png").is_file()
