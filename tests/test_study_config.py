"""Study TOML files: defaults, round trips, and one-line errors naming the key (exit 2)."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

import pytest

from designspace.cli import main
from designspace.study.config import StudyConfig, load_config
from designspace.study.storage import default_url, parse_url

GOOD = """
[study]
name = "t"
trials = 4
seed = 3

[space]
name = "anynetx_a"
flops = "1M:8M"

[data]
name = "synthetic:train=64,test=32"

[budget]
epochs = 1

[train]
lr = 0.1
batch_size = 32
"""


def write(tmp_path, text: str, name: str = "t.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_defaults_and_round_trip(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert (config.name, config.mode, config.sampler, config.trials, config.seed) == (
        "t",
        "population",
        "uniform",
        4,
        3,
    )
    assert config.flops == (1e6, 8e6) and config.params is None
    assert config.train_overrides == {"lr": 0.1, "batch_size": 32}
    again = StudyConfig.from_dict(config.to_dict())
    assert again == config and hash(again) == hash(config)
    assert load_config(write(tmp_path, GOOD), trials=9).trials == 9


def test_train_seed_defaults_to_the_study_seed():
    config = StudyConfig(name="t", space="anynetx_a", trials=2, seed=3, epochs=1)
    assert [config.training_seed(k) for k in range(3)] == [3, 4, 5]
    assert "train_seed" not in config.to_dict()["study"]
    other = StudyConfig.from_dict({**config.to_dict(), "study": {**config.to_dict()["study"], "train_seed": 100}})
    assert other.seed == 3 and [other.training_seed(k) for k in range(2)] == [100, 101]
    assert other != config and StudyConfig.from_dict(other.to_dict()) == other


def test_a_list_of_training_seeds_gives_each_trial_one_training_per_entry():
    config = StudyConfig(name="t", space="anynetx_a", trials=2, train_seed=[0, 1000], epochs=1)
    assert config.train_seed == (0, 1000) and hash(config) == hash(replace(config))
    assert [config.training_seeds(k) for k in range(2)] == [(0, 1000), (1, 1001)] and config.training_seed(1) == 1
    assert config.to_dict()["study"]["train_seed"] == [0, 1000]  # JSON-able, and read back equal
    assert StudyConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert StudyConfig(name="t", space="anynetx_a", trials=2, train_seed=4, epochs=1).training_seeds(1) == (5,)
    for bad in ([], [1, 1], [1, "2"], [1.5]):
        with pytest.raises(ValueError, match="study.train_seed"):
            StudyConfig.from_dict(
                {
                    "study": {"name": "t", "trials": 2, "train_seed": bad},
                    "space": {"name": "x"},
                    "budget": {"epochs": 1},
                }
            )


def test_name_defaults_to_the_file_stem_and_search_defaults_to_tpe(tmp_path):
    text = GOOD.replace('name = "t"\n', "").replace("seed = 3", 'mode = "search"')
    config = load_config(write(tmp_path, text, "my-study.toml"))
    assert config.name == "my-study" and config.sampler == "tpe"


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("trials = 4", "trails = 4"), "study.trails"),
        (("[budget]", "[budgets]"), "budgets"),
        (("lr = 0.1", "lrr = 0.1"), "train.lrr"),
        (("trials = 4", "trials = 0"), "study.trials"),
        (("trials = 4", 'trials = "many"'), "study.trials"),
        (("seed = 3", 'mode = "grid"'), "study.mode"),
        (("seed = 3", 'sampler = "tpe"'), "study.sampler"),
        (('flops = "1M:8M"', 'flops = "8M:1M"'), "flops"),
        (('flops = "1M:8M"', "flops = [1, 2, 3]"), "space.flops"),
        (("epochs = 1", "epochs = -1"), "budget.epochs"),
        (("epochs = 1", "epochs = 1\nseconds = 3"), "budget"),
        (("lr = 0.1", "lr = -0.1"), "train.lr"),
        (('name = "anynetx_a"', 'name = "anynetx_zz"'), "space.name"),
        (('name = "synthetic:train=64,test=32"', 'name = "cifar11"'), "data.name"),
        (("seed = 3", "heartbeat_interval = 90"), "study.grace_period"),
        (("seed = 3", "seed = 3\ntrain_seed = 1.5"), "study.train_seed"),
    ],
)
def test_bad_config_is_one_line_naming_the_key_and_exit_2(tmp_path, capsys, edit, key):
    path = write(tmp_path, GOOD.replace(*edit))
    code = main(["study", "run", str(path), "--storage", f"sqlite:///{tmp_path / 's.db'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and key in err[0], err
    assert not (tmp_path / "s.db").exists()  # checked before anything is created


def test_invalid_toml_and_missing_file(tmp_path, capsys):
    assert main(["study", "run", str(write(tmp_path, "[study\n"))]) == 2
    assert "invalid TOML" in capsys.readouterr().err
    assert main(["study", "run", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_storage_urls():
    assert parse_url("journal:/shared/s.log").path == "/shared/s.log"
    assert parse_url("journal:///shared/s.log").path == "/shared/s.log"
    assert parse_url("sqlite:///results/a.db").kind == "sqlite"
    pg = parse_url("postgres://u:secret@h/db")
    assert pg.kind == "rdb" and pg.url.startswith("postgresql://") and "secret" not in pg.display
    assert default_url("q") == "sqlite:///results/q.db"
    for bad in ("", "redis://x", "results/a.db", "sqlite:///:memory:", "journal:"):
        with pytest.raises(ValueError):
            parse_url(bad)


def test_every_key_is_read_and_written_from_the_dataclass_fields():
    """The fields are the one schema: each keyed field is written under its key and read back equal,
    and an unknown key's message offers the fields' keys."""
    from dataclasses import fields

    configs = [
        StudyConfig(
            **{"name": "a", "mode": "search", "sampler": "random", "trials": 5, "seed": 1, "train_seed": 2},
            **{"storage": "sqlite:///x.db", "heartbeat_interval": 5, "grace_period": 30, "pruner": "median"},
            **{"space": "anynetx_a", "resolution": 16, "flops": (1e6, 2e6), "params": (0, 1e6), "group_rule": "gcd"},
            **{"dataset": "synthetic", "data_dir": "/d", "train_subset": 10, "test_subset": 5, "data_seed": 3},
            **{"epochs": 2, "train": {"lr": 0.1}, "pruning": {"reports_per_epoch": 2}, "cluster": {"workers": 2}},
        ),
        StudyConfig(name="b", mode="paired", principle="sort_depths", trials=5, space="anynetx_a", seconds=3),
        StudyConfig(
            name="c", trials=6, space="anynetx_a", epochs=1, sequential=(("looks", [3, 6]), ("reference", "q"))
        ),
    ]
    written = set()
    for config in configs:
        data = config.to_dict()
        assert StudyConfig.from_dict(json.loads(json.dumps(data))) == config
        for section, body in data.items():  # [study] etc. hold keys; [train] etc. are one table each
            scalar = section in ("study", "space", "data", "budget")
            written |= {f"{section}.{key}" for key in body} if scalar else {section}
    keys = {f.metadata["key"] for f in fields(StudyConfig) if "key" in f.metadata}
    assert written == keys and len(keys) == len(fields(StudyConfig)) - 1  # every field but `source`
    with pytest.raises(ValueError, match=r"unknown key 'data.sed' \(did you mean 'data.seed'\?\)"):
        StudyConfig.from_dict({**configs[0].to_dict(), "data": {"name": "cifar10", "sed": 1}})
