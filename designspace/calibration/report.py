"""A calibration's figures: reliability, validity, error levels and cost per protocol and score.

Reads every trial of a plan's studies (:func:`collect`), matches each protocol's replicates and the
reference by model (space, flops bin and slot: the same model in every study of a cell), and
writes ``calibration.json`` (every figure), ``calibration.md`` (the table) and ``trials.csv`` (one
row per training) to the output folder. Only models with a result in every replicate and in the
reference enter a protocol's statistics (the count is reported).

Core-seconds per training: the median over a protocol's trainings of the process CPU time of
the whole run (``cpu_seconds``: set-up, training, evaluation; not wall time, which grows when
other processes share the cores) with the evaluations replaced by those the score needs: one
test pass for ``error`` and ``loss``, two for ``flip_error``, one more for ``ema_*``,
``eval_last - 1`` more for ``last_error`` (a pass costs the run's measured evaluation CPU time
divided by its passes). Trials recorded before ``cpu_seconds`` existed fall back to wall time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from designspace.calibration import stats
from designspace.calibration.plan import REFERENCE, CalibrationPlan
from designspace.study.join import open_existing
from designspace.study.slots import is_settled, slot_of

__all__ = ["SCORES", "collect", "compute", "write_report"]

#: scores a protocol may measure (TrainResult.scores), lower is better for each
SCORES = ("error", "flip_error", "ema_error", "last_error", "loss", "ema_loss")
#: issue 23's goal for one training: ICC >= 0.8 with its 95% lower bound >= 0.7, Spearman vs the
#: reference >= 0.8, at <= 42 core-seconds (today's cost)
GOAL = {"icc": 0.8, "icc_lower": 0.7, "spearman_reference": 0.8, "core_seconds": 42.0}


def collect(plan: CalibrationPlan) -> pd.DataFrame:
    """One row per trial with a result (COMPLETE or a FAIL result) of the plan's studies."""
    from optuna.trial import TrialState

    rows: list[dict[str, Any]] = []
    for protocol in [REFERENCE, *plan.protocol_names]:
        for config in plan.studies(protocol):
            _, _, rep, space, bin_ = config.name.split(".")
            try:
                handle = open_existing(plan.storage, config.name)
            except (ValueError, FileNotFoundError):
                continue  # not started yet
            for t in handle.trials():
                if not is_settled(t):
                    continue
                u = t.user_attrs
                row = {
                    "protocol": protocol,
                    "replicate": int(rep[1:]),
                    "space": space,
                    "bin": int(bin_[1:]),
                    "slot": slot_of(t),
                    "state": t.state.name,
                    "test_error": t.value if t.state == TrialState.COMPLETE else math.nan,
                    "flops": u.get("flops"),
                    "seconds": u.get("seconds"),
                    "total_seconds": u.get("total_seconds"),
                    "cpu_seconds": u.get("cpu_seconds", u.get("total_seconds")),
                    "precision": u.get("precision"),
                    "device_name": u.get("device_name"),
                    "seed": u.get("seed"),
                    "spec": u.get("spec"),
                    "reason": u.get("reason", ""),
                }
                for key, value in (u.get("scores") or {}).items():
                    row[f"score_{key}"] = value
                rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["model"] = frame["space"] + "/f" + frame["bin"].astype(str) + "/" + frame["slot"].astype(str)
    specs = frame.groupby("model")["spec"].nunique()
    if (specs > 1).any():
        raise ValueError(f"model {specs[specs > 1].index[0]} has different specs in different studies")
    return frame


def _passes(plan: CalibrationPlan, protocol: str) -> dict[str, int]:
    """Test-set passes each score needs, and all of them together (``all``)."""
    train = dict(plan.protocol(protocol).train)
    last = int(train.get("eval_last", 0))
    ema = float(train.get("ema", 0)) > 0
    out = {"error": 1, "loss": 1, "flip_error": 2}
    if ema:
        out.update(ema_error=2, ema_loss=2)
    if last > 1:
        out["last_error"] = last
    out["all"] = 2 + (1 if ema else 0) + (last - 1 if last > 1 else 0)
    return out


def _score_column(frame: pd.DataFrame, score: str) -> str:
    return "test_error" if score == "error" and "score_error" not in frame else f"score_{score}"


def compute(plan: CalibrationPlan, frame: pd.DataFrame, *, n_boot: int = 2000) -> dict[str, Any]:
    """Every figure of the report as a JSON-able dict."""
    out: dict[str, Any] = {"plan": plan.name, "models_planned": plan.size(), "protocols": {}}
    if frame.empty:
        return out
    ref = frame[(frame["protocol"] == REFERENCE) & (frame["state"] == "COMPLETE")].set_index("model")["test_error"]
    out["reference"] = {
        "epochs": plan.reference.epochs,
        "train_subset": plan.reference.train_subset,
        "images": plan.reference.images(),
        "models": int(ref.notna().sum()),
        "median_error": _float(ref.median()),
        "core_seconds": _float(frame.loc[frame["protocol"] == REFERENCE, "cpu_seconds"].median()),
    }
    for protocol in plan.protocol_names:
        part = frame[frame["protocol"] == protocol]
        if part.empty:
            continue
        p = plan.protocol(protocol)
        info: dict[str, Any] = {
            "epochs": p.epochs,
            "train_subset": p.train_subset,
            "images": p.images(),
            "common_seed": p.common_seed,
            "train": dict(p.train),
            "trainings": int(len(part)),
            "failed": int((part["state"] != "COMPLETE").sum()),
            "precision": sorted(part["precision"].dropna().unique().tolist()),
            "device_name": sorted(part["device_name"].dropna().unique().tolist()),
            "train_core_seconds": _float(part["seconds"].median()),
            "scores": {},
        }
        passes = _passes(plan, protocol)
        eval_total = part.get("score_eval_cpu_seconds", part.get("score_eval_seconds"))
        for score in SCORES:
            column = _score_column(part, score)
            if column not in part or part[column].isna().all():
                continue
            wide = part.pivot_table(index="model", columns="replicate", values=column, aggfunc="first")
            wide = wide.reindex(columns=range(plan.replicates_of(protocol)))
            complete = wide.dropna()
            entry: dict[str, Any] = {
                "models_complete": int(len(complete)),
                "median": _float(np.median(complete.to_numpy())) if len(complete) else None,
            }
            if eval_total is not None and score in passes:
                per_pass = eval_total / passes["all"]
                cost = part["cpu_seconds"] - eval_total + per_pass * passes[score]
                entry["core_seconds"] = _float(cost.median())
            else:
                entry["core_seconds"] = _float(part["cpu_seconds"].median())
            if len(complete) >= 3:
                entry.update(stats.summary(complete.to_numpy(), n_boot=n_boot))
                with_ref = complete.join(ref.rename("reference"), how="inner").dropna()
                if len(with_ref) >= 3:
                    r = stats.summary(with_ref.iloc[:, :-1].to_numpy(), with_ref["reference"].to_numpy(), n_boot=n_boot)
                    entry["spearman_reference"] = {**r["spearman_reference"], "n": int(len(with_ref))}
            info["scores"][score] = entry
        out["protocols"][protocol] = info
    out["precision_agreement"] = _precision_pairs(plan, frame, n_boot)
    out["factor_effects"] = _factor_effects(plan, frame, ref, n_boot)
    out["pareto"] = pareto(out["protocols"])
    return out


def pareto(protocols: dict[str, Any]) -> dict[str, Any]:
    """(protocol, score) points with core-seconds, ICC and validity; the non-dominated ones (no
    other point is as cheap, as reliable and as valid, and better in one); those meeting the goal
    (:data:`GOAL`) and the best point: the cheapest meeting it, else the most valid of the front."""
    points = []
    for name, info in protocols.items():
        for score, e in info["scores"].items():
            if "icc_consistency" not in e or e.get("core_seconds") is None:
                continue
            sref = e.get("spearman_reference")
            points.append(
                {
                    "protocol": name,
                    "score": score,
                    "core_seconds": e["core_seconds"],
                    "icc": e["icc_consistency"]["value"],
                    "icc_lower": e["icc_consistency"]["ci95"][0],
                    "spearman_reference": sref["value"] if sref else None,
                }
            )

    def better_or_equal(a: dict, b: dict) -> bool:
        va, vb = a["spearman_reference"], b["spearman_reference"]
        valid = (va if va is not None else -2) >= (vb if vb is not None else -2)
        return a["core_seconds"] <= b["core_seconds"] and a["icc"] >= b["icc"] and valid

    front = [
        p for p in points if not any(better_or_equal(q, p) and q != p and not better_or_equal(p, q) for q in points)
    ]
    meeting = [
        p
        for p in points
        if p["icc"] >= GOAL["icc"]
        and p["icc_lower"] >= GOAL["icc_lower"]
        and p["spearman_reference"] is not None
        and p["spearman_reference"] >= GOAL["spearman_reference"]
        and p["core_seconds"] <= GOAL["core_seconds"]
    ]
    if meeting:
        best = min(meeting, key=lambda p: p["core_seconds"])
    else:
        valid = [p for p in front if p["spearman_reference"] is not None]
        best = max(valid, key=lambda p: (p["spearman_reference"], p["icc"])) if valid else None
    return {"goal": GOAL, "points": points, "front": front, "meeting_goal": meeting, "best": best}


def _factor_effects(plan: CalibrationPlan, frame: pd.DataFrame, ref: pd.Series, n_boot: int) -> dict[str, Any]:
    """Main effects of the designed experiment's factors on ICC(C,1) and on Spearman vs the
    reference, per score, over the models complete in every protocol of the design."""
    design = [p for p in plan.protocols if p.factors]
    if len(design) < 2:
        return {}
    out: dict[str, Any] = {"protocols": [p.name for p in design]}
    for score in SCORES:
        wides = {}
        for p in design:
            part = frame[frame["protocol"] == p.name]
            column = _score_column(part, score)
            if part.empty or column not in part:
                break
            wide = part.pivot_table(index="model", columns="replicate", values=column, aggfunc="first")
            wides[p.name] = wide.reindex(columns=range(plan.replicates)).dropna()
        else:
            common = sorted(set.intersection(*(set(w.index) for w in wides.values())))
            if len(common) < 3:
                out[score] = {"models_complete": len(common)}
                continue
            levels = {p.name: dict(p.factors) for p in design}
            mats = {k: w.loc[common].to_numpy() for k, w in wides.items()}
            entry: dict[str, Any] = {
                "models_complete": len(common),
                "icc_consistency": stats.factor_effects(mats, levels, n_boot=n_boot),
            }
            with_ref = [m for m in common if m in ref.index and np.isfinite(ref[m])]
            if len(with_ref) >= 3:
                r = ref.loc[with_ref].to_numpy()[:, None]
                mats = {k: np.hstack([w.loc[with_ref].to_numpy(), r]) for k, w in wides.items()}
                entry["spearman_reference"] = stats.factor_effects(mats, levels, stats._against_last, n_boot=n_boot)
                entry["models_with_reference"] = len(with_ref)
            out[score] = entry
    return out


def _precision_pairs(plan: CalibrationPlan, frame: pd.DataFrame, n_boot: int) -> list[dict[str, Any]]:
    """Protocols that differ only in precision (same seeds): Spearman of the same trainings."""
    out = []
    protocols = plan.protocols
    for i, a in enumerate(protocols):
        for b in protocols[i + 1 :]:
            ta = {k: v for k, v in a.train if k != "precision"}
            tb = {k: v for k, v in b.train if k != "precision"}
            same = (a.epochs, a.train_subset, a.common_seed) == (b.epochs, b.train_subset, b.common_seed) and ta == tb
            pa = dict(a.train).get("precision", plan.precision)
            pb = dict(b.train).get("precision", plan.precision)
            if not same or pa == pb:
                continue
            cols = []
            for name in (a.name, b.name):
                part = frame[(frame["protocol"] == name) & (frame["state"] == "COMPLETE")]
                cols.append(part.set_index(["model", "replicate"])["test_error"])
            both = pd.concat(cols, axis=1, keys=["a", "b"]).dropna()
            entry: dict[str, Any] = {"protocols": [a.name, b.name], "precisions": [pa, pb], "trainings": int(len(both))}
            if len(both) >= 3:
                m = both.to_numpy()
                rho = stats._between(m)
                entry["spearman"] = {
                    "value": float(rho),
                    "ci95": list(stats.bootstrap_ci(m, stats._between, n_boot=n_boot)),
                }
                entry["mean_difference"] = float((m[:, 1] - m[:, 0]).mean())
                entry["sd_difference"] = float((m[:, 1] - m[:, 0]).std(ddof=1))
            out.append(entry)
    return out


def _finite(value: Any) -> Any:
    """NaN/inf (a degenerate statistic) -> None, recursively: strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _ci(entry: dict[str, Any] | None) -> str:
    if not entry:
        return "-"
    lo, hi = entry["ci95"]
    return f"{entry['value']:.2f} [{lo:.2f}, {hi:.2f}]"


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# Calibration {result['plan']}", ""]
    ref = result.get("reference")
    if ref:
        median = f"{ref['median_error']:.1f}%" if ref["median_error"] is not None else "-"
        cost = f"{ref['core_seconds']:.0f}" if ref["core_seconds"] is not None else "-"
        lines.append(
            f"Reference: {ref['epochs']:g} epochs x {ref['train_subset'] or 'all'} images, {ref['models']} models"
            f" of {result['models_planned']} trained, median error {median}, {cost} core-s per training."
        )
        lines.append("")
    lines += [
        "ICC = ICC(C,1) (two-way, consistency, one training), exact F 95% interval; Spearman: mean over pairs"
        " of replicates / over replicates against the reference, BCa bootstrap 95% interval over models.",
        "",
        "| protocol | score | n | ICC(C,1) | Spearman seed-seed | n ref | Spearman vs reference"
        " | median error | core-s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, info in result["protocols"].items():
        for score, e in info["scores"].items():
            sref = e.get("spearman_reference")
            median = f"{e['median']:.3g}" if e.get("median") is not None else "-"
            cost = f"{e['core_seconds']:.0f}" if e.get("core_seconds") is not None else "-"
            lines.append(
                f"| {name} | {score} | {e['models_complete']} | {_ci(e.get('icc_consistency'))}"
                f" | {_ci(e.get('spearman_between'))} | {sref['n'] if sref else 0} | {_ci(sref)} | {median} | {cost} |"
            )
    front = (result.get("pareto") or {}).get("front") or []
    if front:
        best = result["pareto"]["best"]
        lines += ["", "Pareto front (core-seconds, ICC(C,1), Spearman vs reference; none better in all three):", ""]
        for p in sorted(front, key=lambda p: p["core_seconds"]):
            sref = f"{p['spearman_reference']:.2f}" if p["spearman_reference"] is not None else "-"
            mark = " **best**" if p == best else ""
            lines.append(
                f"- {p['protocol']} / {p['score']}: {p['core_seconds']:.0f} core-s, ICC {p['icc']:.2f}, {sref}{mark}"
            )
        met = result["pareto"]["meeting_goal"]
        lines.append(
            f"- meeting the goal {result['pareto']['goal']}: "
            + (", ".join(f"{p['protocol']}/{p['score']}" for p in met) or "none")
        )
    effects = result.get("factor_effects") or {}
    scored = {k: v for k, v in effects.items() if isinstance(v, dict) and "icc_consistency" in v}
    if scored:
        lines += [
            "",
            f"Main effects of the factorial's factors (protocols {', '.join(effects['protocols'])}; mean at +1"
            " minus mean at -1; resolution III: aliased with two-factor interactions; percentile bootstrap 95%):",
            "",
            "| score | n | factor | effect on ICC(C,1) | effect on Spearman vs reference |",
            "|---|---|---|---|---|",
        ]
        for score, e in scored.items():
            for factor, icc in e["icc_consistency"].items():
                sref = (e.get("spearman_reference") or {}).get(factor)
                lines.append(f"| {score} | {e['models_complete']} | {factor} | {_ci(icc)} | {_ci(sref)} |")
    pairs = result.get("precision_agreement") or []
    if pairs:
        lines += ["", "| precision pair | trainings | Spearman | mean difference (pt) |", "|---|---|---|---|"]
        for p in pairs:
            diff = f"{p['mean_difference']:+.2f} (sd {p['sd_difference']:.2f})" if "mean_difference" in p else "-"
            lines.append(
                f"| {p['protocols'][0]} ({p['precisions'][0]}) vs {p['protocols'][1]} ({p['precisions'][1]})"
                f" | {p['trainings']} | {_ci(p.get('spearman'))} | {diff} |"
            )
    return "\n".join(lines) + "\n"


def write_report(plan: CalibrationPlan, out: str | Path, *, n_boot: int = 2000) -> Path:
    """Write calibration.json, calibration.md and trials.csv to ``out``; returns the .md path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = collect(plan)
    result = compute(plan, frame, n_boot=n_boot)
    if not frame.empty:
        frame.drop(columns=["spec"]).to_csv(out / "trials.csv", index=False, float_format="%.6g")
    (out / "calibration.json").write_text(json.dumps(_finite(result), indent=2, allow_nan=False) + "\n")
    md = out / "calibration.md"
    md.write_text(markdown(result))
    return md
