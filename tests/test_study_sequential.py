"""Sequential stopping of population studies: the [sequential] table and the monitor's looks."""

import numpy as np
import pandas as pd
import pytest

from designspace.study.config import StudyConfig
from designspace.study.sequential import Monitor, SequentialRule

BASE = {"study": {"name": "x", "trials": 200}, "space": {"name": "anynetx_a"}, "budget": {"epochs": 1}}


def _config(**sequential) -> StudyConfig:
    return StudyConfig.from_dict({**BASE, "sequential": sequential})


def test_sequential_table_is_validated_and_kept_out_of_the_identity():
    c = _config(reference="anynetx_c", looks=[50, 100, 150, 200], spending="pocock")
    rule = SequentialRule.from_items(c.sequential, c.trials)
    assert rule.looks == (50, 100, 150, 200) and rule.spending == "pocock" and rule.alpha == 0.05
    assert hash(c) == hash(_config(reference="anynetx_c", looks=[50, 100, 150, 200], spending="pocock"))
    assert c.to_dict()["sequential"]["looks"] == [50, 100, 150, 200] and "sequential" not in c.identity()
    assert StudyConfig.from_dict(c.to_dict()) == c  # round trip
    for bad, message in (
        ({"looks": [50, 100]}, "missing key 'sequential.reference'"),
        ({"reference": "a", "looks": [100, 50]}, "increasing"),
        ({"reference": "a", "looks": [50, 300]}, "beyond study.trials"),
        ({"reference": "a", "looks": [50, 200], "spending": "haybittle"}, "spending"),
        ({"reference": "a", "looks": [50, 200], "when": 3}, "unknown key 'sequential.when'"),
    ):
        with pytest.raises(ValueError, match=message):
            _config(**bad)


def _frame(shift: float, n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for study, mu in (("ref", 60.0), ("x", 60.0 + shift)):
        flops = 10 ** rng.uniform(6.6, 6.9, n)
        err = mu - 10 * (np.log10(flops) - 6.6) + rng.normal(0, 1.5, n)
        rows.append(pd.DataFrame({"study": study, "trial": np.arange(n), "state": "COMPLETE", "test_error": err,
                                  "flops": flops}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def test_monitor_stops_a_study_whose_verdict_is_settled_and_not_a_null_one():
    rule = SequentialRule("ref", (50, 100, 150, 200))
    full = _frame(-5.0)
    seen = {"n": 50}

    def load(names):  # the study has seen["n"] models so far; the reference is complete
        return full[(full["study"] == "ref") | (full["trial"] < seen["n"])]

    m = Monitor(rule, "x", load)
    assert not m.due(49) and m.due(50)
    look = m.check()
    assert look.n == 50 and look.stop and look.z < -look.boundary  # a 5-point shift settles at the first look
    null = Monitor(rule, "x", lambda names: _frame(0.0, seed=1))
    assert null.due(200)
    last = null.check()
    assert last.n == 200 and not last.stop  # no shift: runs to the end
    assert not null.due(200)  # every look is used up
