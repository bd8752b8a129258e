"""A trial's attributes go in one INSERT that replaces a key the trial has already, in each SQL
dialect claims.py writes: SQLite and PostgreSQL (run by the other tests) and MySQL, checked here
as the statement it compiles to (no MySQL server in CI); and the order workers try trials in."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from optuna.storages._rdb import models
from optuna.trial import TrialState, create_trial
from sqlalchemy.dialects import mysql, postgresql, sqlite

from designspace.study.claims import _upsert, claim_order

ATTRS = {"worker": "host:1", "sampled": {"d1": 3}, "flops": 4.5e6}
UPSERTS = {  # dialect -> (its SQLAlchemy dialect, the clause that replaces an existing key)
    "mysql": (mysql.dialect(), "ON DUPLICATE KEY UPDATE value_json = VALUES(value_json)"),
    "postgresql": (postgresql.dialect(), "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json"),
    "sqlite": (sqlite.dialect(), 'ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json'),
}


@pytest.mark.parametrize("dialect", sorted(UPSERTS))
@pytest.mark.parametrize("model", [models.TrialUserAttributeModel, models.TrialSystemAttributeModel])
def test_attributes_are_one_insert_that_replaces_existing_keys(dialect, model):
    sql_dialect, replaces = UPSERTS[dialect]
    rdb = SimpleNamespace(engine=SimpleNamespace(name=dialect))  # _upsert asks only the engine's dialect
    compiled = _upsert(rdb, model, 7, ATTRS).compile(dialect=sql_dialect)
    text = " ".join(str(compiled).split())
    assert text.startswith(f"INSERT INTO {model.__tablename__} ")
    assert text.endswith(replaces), text
    assert text.count("INSERT") == 1 and text.count("), (") == len(ATTRS) - 1  # one statement, a row per key
    rows = sorted((v for k, v in compiled.params.items() if k.startswith("key_")), key=str)
    assert rows == sorted(ATTRS)
    values = {compiled.params[f"key_m{i}"]: compiled.params[f"value_json_m{i}"] for i in range(len(ATTRS))}
    assert values == {"worker": '"host:1"', "sampled": '{"d1": 3}', "flops": "4500000.0"}
    assert {compiled.params[f"trial_id_m{i}"] for i in range(len(ATTRS))} == {7}


@pytest.mark.parametrize("model", [models.TrialUserAttributeModel, models.TrialSystemAttributeModel])
def test_the_replace_rests_on_a_unique_trial_and_key(model):
    """ON DUPLICATE KEY / ON CONFLICT replace a key only where (trial_id, key) is unique in Optuna's schema."""
    unique = [
        {c.name for c in constraint.columns}
        for constraint in model.__table__.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    ]
    assert {"trial_id", "key"} in unique


def test_workers_that_lose_the_race_for_the_first_trial_spread_over_the_queue():
    queue = [create_trial(state=TrialState.WAITING) for _ in range(100)]
    for i, t in enumerate(queue):
        t.number = i
    orders = {name: claim_order(queue, name) for name in (f"node{k}:{1000 + k}" for k in range(16))}
    for order in orders.values():
        assert order[0] is queue[0]  # alone, a worker runs the queue in order
        assert sorted(t.number for t in order) == list(range(100))
    seconds = {order[1].number for order in orders.values()}
    assert len(seconds) >= 12, seconds  # the losers of the first race try different trials next
    assert claim_order(queue[:2], "a:1") == queue[:2]
