"""The committed v1 reproduction (results/anynet_cifar/, sampled with the gcd rule) still replays exactly.

pycls's compatibility rule is the default now; the v1 studies were stored before ``space.group_rule``
existed, read as ``gcd`` (AnyNetX) / ``pycls`` (RegNet, its only rule), and their configs pin ``gcd``.
A config that does not pin it is refused in one line instead of switching rules mid-study.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import optuna
import pytest

from designspace.specs import NetSpec
from designspace.study.config import describe_difference, load_config
from designspace.study.join import join_study, open_existing
from designspace.study.population import population_params

ROOT = Path(__file__).resolve().parents[1]
RESULTS, CONFIGS = ROOT / "results" / "anynet_cifar", ROOT / "experiments" / "anynet_cifar"
ANYNET = ("anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e")

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def v1(tmp_path_factory) -> str:
    """A copy of the committed studies.db (opening a storage may touch it)."""
    path = tmp_path_factory.mktemp("v1") / "studies.db"
    shutil.copy(RESULTS / "studies.db", path)
    return f"sqlite:///{path}"


@pytest.mark.parametrize("name", [*ANYNET, "regnetx", "regnetx_b"])
def test_v1_studies_read_their_rule_and_their_configs_resume_them(v1: str, name: str) -> None:
    stored = open_existing(v1, name).config
    assert stored.group_rule == ("gcd" if name in ANYNET else "pycls")
    mine = load_config(CONFIGS / f"{name}.toml")
    assert describe_difference(stored.identity(), mine.identity()) is None  # resumes: same settings


def test_v1_calibration_studies_read_gcd_and_their_configs_resume_them(tmp_path) -> None:
    shutil.copy(RESULTS / "calibration.db", tmp_path / "calibration.db")
    url = f"sqlite:///{tmp_path / 'calibration.db'}"
    names = {s.study_name for s in optuna.get_all_study_summaries(url)}
    checked = 0
    for path in sorted(CONFIGS.glob("calibration_e*.toml")):
        mine = load_config(path)
        if mine.name in names:
            stored = open_existing(url, mine.name).config
            assert stored.group_rule == mine.group_rule == "gcd"
            assert describe_difference(stored.identity(), mine.identity()) is None, path.name
            checked += 1
    assert checked >= 13


@pytest.mark.parametrize("name", ANYNET)
def test_v1_trials_rebuild_their_networks_under_gcd_only(v1: str, name: str) -> None:
    config = open_existing(v1, name).config
    gcd, pycls = config.design_space(), replace(config, group_rule="pycls").design_space()
    trials = optuna.load_study(study_name=name, storage=v1).get_trials(deepcopy=False)
    done = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 100
    differ = 0
    for t in done:
        stored = NetSpec.from_json(t.user_attrs["spec"])
        assert gcd.suggest(optuna.trial.FixedTrial(t.params), 32) == stored
        differ += pycls.suggest(optuna.trial.FixedTrial(t.params), 32) != stored
    assert differ > 0  # the rules do give other networks for some of v1's draws


@pytest.mark.parametrize("name", ["anynetx_a", "anynetx_c"])
def test_v1_populations_resample_exactly(v1: str, name: str) -> None:
    """The v1 config's seeded population is the stored one, slot for slot (so a resumed study extends it)."""
    config = load_config(CONFIGS / f"{name}.toml")
    trials = optuna.load_study(study_name=name, storage=v1).get_trials(deepcopy=False)
    stored = {t.system_attrs["designspace:slot"]: t.system_attrs["fixed_params"] for t in trials}
    assert population_params(config, len(stored)) == [stored[k] for k in range(len(stored))]
    assert population_params(replace(config, group_rule="pycls"), len(stored)) != [
        stored[k] for k in range(len(stored))
    ]


def test_a_v1_study_refuses_another_rule_in_one_line(v1: str) -> None:
    config = replace(load_config(CONFIGS / "anynetx_c.toml"), group_rule="pycls")
    with pytest.raises(ValueError, match=r"space\.group_rule is 'gcd' in the study, 'pycls' here") as e:
        join_study(config, v1, lambda n: population_params(config, n))
    assert "\n" not in str(e.value)


def test_group_rule_setting_is_checked_in_one_line() -> None:
    from designspace.study.config import StudyConfig
    from designspace.study.objective import check_config

    def config(space: str, rule: str) -> StudyConfig:
        body = {
            "study": {"name": "q", "trials": 2},
            "space": {"name": space, "group_rule": rule},
            "budget": {"epochs": 1},
        }
        return StudyConfig.from_dict(body)

    with pytest.raises(ValueError, match=r"^space\.group_rule='lcm': must be one of pycls, gcd$"):
        config("anynetx_a", "lcm")
    assert config("anynetx_a", "gcd").to_dict()["space"]["group_rule"] == "gcd"
    assert config("anynetx_a", "pycls").design_space().group_rule == "pycls"
    with pytest.raises(ValueError, match=r"^space\.group_rule='gcd': space resnet has no choice of group rule"):
        check_config(config("resnet", "gcd"))
