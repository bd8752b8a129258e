"""Today's protocol's reliability, from trainings already made: the reproduction's populations.

Every model of results/anynet_cifar/studies.db (AnyNetX A-E, RegNetX and its two supplements,
4-8 MF) was trained twice with today's protocol (1 epoch over a fixed 20k subset, bf16, seeds k
and 1000 + k: independent), and both test errors are stored (``test_errors``). Their ICC(C,1)
and seed-seed Spearman (designspace.calibration.stats) per space, per flops tercile and pooled
say how reliable ONE training of today's protocol is, with no new training:

    python experiments/calibration/today.py    # -> results/calibration/today/{today.json,today.md}
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from designspace.calibration import stats
from designspace.study.join import open_existing

STORAGE = "sqlite:///results/anynet_cifar/studies.db"
STUDIES = (
    "anynetx_a",
    "anynetx_b",
    "anynetx_c",
    "anynetx_d",
    "anynetx_e",
    "regnetx",
    "regnetx_b",
    "regnetx_any_stages",
)
OUT = Path("results/calibration/today")


def pairs() -> pd.DataFrame:
    rows = []
    for name in STUDIES:
        for t in open_existing(STORAGE, name).trials():
            errors = t.user_attrs.get("test_errors")
            if t.state.name == "COMPLETE" and isinstance(errors, list) and len(errors) == 2:
                u = t.user_attrs
                rows.append(
                    {"study": name, "flops": u["flops"], "e0": errors[0], "e1": errors[1], "seconds": u.get("seconds")}
                )
    return pd.DataFrame(rows)


def line(label: str, part: pd.DataFrame) -> dict:
    s = stats.summary(part[["e0", "e1"]].to_numpy(), n_boot=2000)
    return {
        "set": label,
        "n": s["n"],
        "icc_consistency": s["icc_consistency"],
        "icc_agreement": s["icc_agreement"],
        "spearman_between": s["spearman_between"],
        "median_error": float(np.median(part[["e0", "e1"]].to_numpy())),
        "seed_difference_sd": float((part["e1"] - part["e0"]).std(ddof=1)),
        "median_seconds_per_training": float(part["seconds"].median() / 2),
    }


def main() -> None:
    frame = pairs()
    six = frame[frame["study"].isin(STUDIES[:6])]
    results = [line("six spaces (A-E, RegNetX), pooled", six)]
    results += [line(name, frame[frame["study"] == name]) for name in STUDIES]
    terciles = pd.qcut(six["flops"], 3, labels=["low", "mid", "high"])
    results += [line(f"six spaces, flops tercile {t}", six[terciles == t]) for t in ("low", "mid", "high")]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "today.json").write_text(json.dumps(results, indent=2) + "\n")

    def ci(e: dict) -> str:
        return f"{e['value']:.2f} [{e['ci95'][0]:.2f}, {e['ci95'][1]:.2f}]"

    lines = [
        "# Today's protocol: reliability of one training (1 epoch x 20k images, bf16)",
        "",
        "From the reproduction's populations (results/anynet_cifar/studies.db): each model trained twice with",
        "independent seeds. ICC(C,1): exact F 95% interval; Spearman: BCa bootstrap 95% over models.",
        "`python experiments/calibration/today.py`",
        "",
        "| set | n | ICC(C,1) | ICC(1,1) | Spearman seed-seed | median error % | sd of seed difference (pt) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['set']} | {r['n']} | {ci(r['icc_consistency'])} | {ci(r['icc_agreement'])}"
            f" | {ci(r['spearman_between'])} | {r['median_error']:.1f} | {r['seed_difference_sd']:.2f} |"
        )
    (OUT / "today.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
