"""The study's bookkeeping: budget slots, outcomes, and what every worker reads from the storage.

A study with a budget of N trials owns N *slots*. At creation the study is given one WAITING
trial per slot (population mode: with the slot's sampled parameters fixed; search mode: empty,
the sampler fills it when a worker runs it). A worker *claims* a WAITING trial with the storage's
atomic WAITING -> RUNNING transition, runs it, and ends it with one of these outcomes (trial system
attribute ``designspace:outcome``):

========== ========= =====================================================================
outcome    state     meaning
========== ========= =====================================================================
result     COMPLETE  trained; the value is the test error (%)
result     FAIL      trained and failed: diverged, out of memory, raised (reason attribute)
result     PRUNED    stopped early by the search's pruner (designspace.study.pruners)
lost       FAIL      its worker stopped sending heartbeats (killed, machine gone)
interrupted FAIL     its worker was stopped (Ctrl-C, SIGTERM)
duplicate  FAIL      a second trial for a slot that already had one (a repair race), not run
========== ========= =====================================================================

A slot is *settled* by its first ``result`` trial; the study is done when all N slots are.
A slot whose trial ended lost or interrupted gets a new WAITING trial (same parameters in
population mode), so every slot ends with exactly one result: no duplicates, nothing lost. The
third loss of one slot is its result (FAIL): a model that kills its worker every time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

__all__ = [
    "FIXED",
    "HEARTBEAT",
    "MAX_LOST",
    "OUTCOME",
    "SLOT",
    "Ledger",
    "is_settled",
    "outcome_of",
    "slot_of",
]

SLOT = "designspace:slot"
OUTCOME = "designspace:outcome"
HEARTBEAT = "designspace:heartbeat"
SILENT = "designspace:silent_for"
FIXED = "fixed_params"  # Optuna's own key for enqueued parameters

RESULT, LOST, INTERRUPTED, DUPLICATE = "result", "lost", "interrupted", "duplicate"

#: a slot whose worker is lost this many times ends with a FAIL result (a model that kills its
#: worker, e.g. by exhausting host memory, would otherwise be re-queued forever)
MAX_LOST = 3

#: study system attributes
STUDY_QUEUED = "designspace:queued"  # the slot count whose WAITING trials the creator has enqueued
STUDY_CREATED = "designspace:created"  # unix time of creation


def slot_of(trial: FrozenTrial) -> int | None:
    value = trial.system_attrs.get(SLOT)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def outcome_of(trial: FrozenTrial) -> str | None:
    return trial.system_attrs.get(OUTCOME)


def is_settled(trial: FrozenTrial) -> bool:
    """A trial that counts toward the budget: COMPLETE, or FAIL/PRUNED with a training result."""
    from optuna.trial import TrialState

    if trial.state == TrialState.COMPLETE:
        return True
    return trial.state in (TrialState.FAIL, TrialState.PRUNED) and outcome_of(trial) == RESULT


def last_sign_of_life(trial: FrozenTrial) -> float:
    """Unix time of a running trial's last heartbeat (its start when it has none yet)."""
    beat = trial.system_attrs.get(HEARTBEAT)
    if isinstance(beat, (int, float)):
        return float(beat)
    return trial.datetime_start.timestamp() if trial.datetime_start is not None else 0.0


def reason_of(trial: FrozenTrial) -> str:
    """Why a trial did not complete ('' when it did)."""
    from optuna.trial import TrialState

    if trial.state == TrialState.COMPLETE:
        return ""
    reason = trial.user_attrs.get("reason")
    if reason:
        return str(reason)
    if outcome_of(trial) == LOST:  # marked by another worker, which knows only the silence
        silent = trial.system_attrs.get(SILENT)
        return f"worker lost: no heartbeat for {silent}s" if silent is not None else "worker lost"
    if trial.state == TrialState.FAIL:
        return "failed"
    return ""


@dataclass
class Ledger:
    """The slots of one study as read from its trials at one moment."""

    budget: int
    settled: dict[int, FrozenTrial] = field(default_factory=dict)
    live: dict[int, list[FrozenTrial]] = field(default_factory=lambda: defaultdict(list))
    history: dict[int, list[FrozenTrial]] = field(default_factory=lambda: defaultdict(list))
    others: list[FrozenTrial] = field(default_factory=list)  # trials without a slot (made by hand)

    @classmethod
    def of(cls, trials: list[FrozenTrial], budget: int) -> Ledger:
        from optuna.trial import TrialState

        ledger = cls(budget=budget)
        for t in sorted(trials, key=lambda t: t.number):
            slot = slot_of(t)
            if slot is None or not 0 <= slot < budget:
                ledger.others.append(t)
                continue
            ledger.history[slot].append(t)
            if is_settled(t):
                ledger.settled.setdefault(slot, t)
            elif t.state in (TrialState.WAITING, TrialState.RUNNING):
                ledger.live[slot].append(t)
        return ledger

    @property
    def done(self) -> bool:
        return len(self.settled) >= self.budget

    @property
    def missing(self) -> list[int]:
        """Slots with no result and no WAITING/RUNNING trial: they need a new trial."""
        return [k for k in range(self.budget) if k not in self.settled and not self.live.get(k)]

    def claimable(self) -> list[FrozenTrial]:
        """WAITING trials of unsettled slots, the first of each slot first."""
        from optuna.trial import TrialState

        out = [t for k, ts in self.live.items() if k not in self.settled for t in ts if t.state == TrialState.WAITING]
        return sorted(out, key=lambda t: (slot_of(t), t.number))

    def orphans(self) -> list[FrozenTrial]:
        """WAITING trials of slots that already have a result (left by a repair race)."""
        from optuna.trial import TrialState

        return [t for k, ts in self.live.items() if k in self.settled for t in ts if t.state == TrialState.WAITING]

    def running(self) -> list[FrozenTrial]:
        from optuna.trial import TrialState

        return [t for ts in self.live.values() for t in ts if t.state == TrialState.RUNNING]

    def keeps(self, trial: FrozenTrial) -> bool:
        """Whether the just-claimed ``trial`` is its slot's one live trial.

        It is when its slot has no result and no live trial with a lower number. Every worker
        writes its claim before it reads, so of two trials claimed for one slot at the same time,
        the higher-numbered one always sees the other and gives way.
        """
        slot = slot_of(trial)
        if slot is None or slot in self.settled:
            return False
        live = self.live.get(slot, [])
        return bool(live) and min(t.number for t in live) == trial.number

    def params_for(self, slot: int) -> dict[str, Any] | None:
        """The fixed parameters an earlier trial of ``slot`` was given (None if none was)."""
        for t in reversed(self.history.get(slot, [])):
            fixed = t.system_attrs.get(FIXED)
            if isinstance(fixed, dict):
                return dict(fixed)
        return None

    def counts(self) -> dict[str, int]:
        """Trials per state name (``FAIL`` split as ``FAIL`` results and ``FAIL:<outcome>``)."""
        from optuna.trial import TrialState

        out: dict[str, int] = defaultdict(int)
        for ts in self.history.values():
            for t in ts:
                name = t.state.name
                if t.state == TrialState.FAIL and outcome_of(t) not in (RESULT, None):
                    name = f"FAIL:{outcome_of(t)}"
                out[name] += 1
        return dict(out)
