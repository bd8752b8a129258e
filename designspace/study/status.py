"""``study status``: a study's progress (counts per state), best trials and throughput."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from optuna.trial import TrialState

from designspace.study.slots import Ledger, outcome_of, reason_of
from designspace.study.storage import open_storage
from designspace.ui.numbers import si

if TYPE_CHECKING:
    from designspace.study.join import StudyHandle

__all__ = ["list_studies", "render_status", "study_summary"]


def _shape(spec_json: Any) -> str:
    try:
        data = json.loads(spec_json)
        stages = data["stages"]
        return "d=" + ",".join(str(s["depth"]) for s in stages) + " w=" + ",".join(str(s["width"]) for s in stages)
    except (TypeError, ValueError, KeyError):
        return ""


def study_summary(handle: StudyHandle, *, top: int = 5) -> dict[str, Any]:
    """A JSON-able summary of one study."""
    trials = handle.trials()
    budget = handle.budget()
    ledger = Ledger.of(trials, budget)
    states = Counter(t.state.name for t in trials)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    complete = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.value)
    starts = [t.datetime_start for t in trials if t.datetime_start is not None]
    ends = [t.datetime_complete for t in ledger.settled.values() if t.datetime_complete is not None]
    span = (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0
    seconds = _numbers(t.user_attrs.get("seconds") for t in ledger.settled.values())
    ips = _numbers(t.user_attrs.get("images_per_second") for t in complete)
    return {
        "study": handle.name,
        "space": handle.config.space,
        "mode": handle.config.mode,
        "storage": handle.url.display,
        "budget": budget,
        "settled": len(ledger.settled),
        "done": ledger.done,
        "states": dict(sorted(states.items())),
        "failed_results": sum(1 for t in failed if outcome_of(t) == "result"),
        "fail_reasons": dict(Counter(_reason_kind(reason_of(t)) for t in failed).most_common(6)),
        "best": [
            {
                "trial": t.number,
                "test_error": t.value,
                "flops": t.user_attrs.get("flops"),
                "params": t.user_attrs.get("params"),
                "shape": _shape(t.user_attrs.get("spec")),
            }
            for t in complete[:top]
        ],
        "throughput": {
            "trials_per_hour": round(3600 * len(ends) / span, 2) if span > 0 else None,
            "mean_trial_seconds": round(sum(seconds) / len(seconds), 2) if seconds else None,
            "mean_images_per_second": round(sum(ips) / len(ips), 1) if ips else None,
            "workers": len({t.user_attrs.get("worker") for t in trials if t.user_attrs.get("worker")}),
            "wall_seconds": round(span, 1),
        },
    }


def _numbers(values: Any) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _reason_kind(reason: str) -> str:
    """'diverged: loss nan at step 3' -> 'diverged' (groups similar reasons)."""
    head = reason.split(":", 1)[0].strip()
    if head == "error":
        parts = reason.split(":")
        return ":".join(p.strip() for p in parts[:2])
    return head or "failed"


def _si(n: Any) -> str:
    """A complexity as ``12.50M`` (``-`` when the trial has none)."""
    return si(n, ".2f") if isinstance(n, (int, float)) else "-"


def render_status(s: dict[str, Any]) -> str:
    lines = [f"study {s['study']} ({s['mode']}, space {s['space']}) in {s['storage']}"]
    progress = "done" if s["done"] else "in progress"
    lines.append(f"  budget {s['budget']} trials: {s['settled']} with a result ({progress})")
    lines.append("  states: " + ", ".join(f"{k} {v}" for k, v in s["states"].items()))
    if s["fail_reasons"]:
        lines.append("  failures: " + ", ".join(f"{k} {v}" for k, v in s["fail_reasons"].items()))
    t = s["throughput"]
    if t["trials_per_hour"] is not None:
        lines.append(
            f"  throughput: {t['trials_per_hour']:.1f} trials/hour over {t['wall_seconds']:.0f}s, "
            f"{t['workers']} worker(s), {t['mean_trial_seconds']}s per trial"
            + (f", {t['mean_images_per_second']:.0f} images/s" if t["mean_images_per_second"] else "")
        )
    if s["best"]:
        lines.append("  best trials:")
        for b in s["best"]:
            lines.append(
                f"    #{b['trial']:<5} error {b['test_error']:6.2f}%  flops {_si(b['flops']):>7}  "
                f"params {_si(b['params']):>7}  {b['shape']}"
            )
    return "\n".join(lines)


def list_studies(url: str) -> list[dict[str, Any]]:
    """Every study in a storage with its progress."""
    storage = open_storage(url, create=False)
    out = []
    for s in storage.get_all_studies():
        trials = storage.get_all_trials(s._study_id, deepcopy=False)
        budget = s.user_attrs.get("trials")
        ledger = Ledger.of(trials, int(budget)) if budget else None
        out.append(
            {
                "study": s.study_name,
                "space": s.user_attrs.get("space", "?"),
                "mode": s.user_attrs.get("mode", "?"),
                "budget": budget,
                "settled": len(ledger.settled) if ledger else None,
                "trials": len(trials),
                "running": sum(1 for t in trials if t.state == TrialState.RUNNING),
            }
        )
    return out
