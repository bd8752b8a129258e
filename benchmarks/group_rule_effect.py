"""What pycls's compatibility rule changes against the old gcd rule, per AnyNetX space (JSON).

For each space, two populations of draws:

* ``all``: ``--draws`` seeded draws of the whole space (no regime), each built under both rules
  (the same drawn values): the share whose network differs (any stage's width or group width),
  split into "a width moved" and "a group width differs", with a 95% Wilson interval, and the
  flops quantiles under each rule;
* ``regime``: ``--n`` models sampled in the project's regime (default 32 px, 4-8 MF) under the
  pycls rule (the default): the share that the gcd rule would have built differently, and the
  flops quantiles of ``--n`` models sampled in the regime under each rule (same seed), with the
  two-sample KS statistic and p-value between them, and each rule's plain-rejection acceptance.

    python benchmarks/group_rule_effect.py [--draws 20000] [--n 5000] [--seed 0] [--resolution 32] [--flops 4M:8M]
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
from scipy import stats

from designspace import spaces
from designspace.spaces.fourstage import NUM_STAGES
from designspace.spaces.trials import BatchTrial

SPACES = ("anynetx_a", "anynetx_b", "anynetx_c", "anynetx_d", "anynetx_e")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def wilson(k: int, n: int, z: float = 1.959964) -> list[float]:
    """95% Wilson score interval of a proportion k / n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(centre - half, 4), round(centre + half, 4)]


def _share(mask: np.ndarray) -> dict[str, object]:
    k, n = int(mask.sum()), len(mask)
    return {"share": round(k / n, 4), "ci95": wilson(k, n), "n": n}


def _differences(space, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per draw: does any stage's width / group width differ between the two rules."""
    new = space.with_group_rule("pycls").derived_stages(cols)
    old = space.with_group_rule("gcd").derived_stages(cols)
    width = np.zeros(len(next(iter(cols.values()))), dtype=bool)
    group = width.copy()
    for i in range(NUM_STAGES):
        width |= new[i]["w"] != old[i]["w"]
        group |= new[i]["ge"] != old[i]["ge"]
    return {"any": width | group, "width": width, "group_width": group}


def _quantiles(x: np.ndarray) -> dict[str, int]:
    return {f"q{round(100 * q)}": int(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))}


def _columns(records: list[dict], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {k: np.asarray([r[k] for r in records], dtype=np.int64) for k in names}


def measure(name: str, draws: int, n: int, seed: int, resolution: int, flops: str) -> dict[str, object]:
    space = spaces.get(name)
    names = space.param_names(resolution)
    rng = np.random.Generator(np.random.PCG64(seed))
    cols = space.canonical({k: np.asarray(v) for k, v in space.draw(BatchTrial(rng, draws), resolution).items()})
    diff = _differences(space, cols)
    cx = {r: space.with_group_rule(r).batch_complexity(cols, resolution)["flops"] for r in ("pycls", "gcd")}
    out: dict[str, object] = {
        "all": {
            "draws": draws,
            "differ": _share(diff["any"]),
            "width_moved": _share(diff["width"]),
            "group_width_differs": _share(diff["group_width"]),
            "flops": {r: _quantiles(v) for r, v in cx.items()},
        }
    }
    t = time.perf_counter()
    res = {r: space.with_group_rule(r).sample_result(n, seed=seed, resolution=resolution, flops=flops) for r in cx}
    accepted = _columns(res["pycls"].records, names)
    rdiff = _differences(space, accepted)
    f = {r: np.asarray([rec["flops"] for rec in res[r].records]) for r in res}
    ks = stats.ks_2samp(f["pycls"], f["gcd"])
    out["regime"] = {
        "resolution": resolution,
        "flops": flops,
        "differ": _share(rdiff["any"]),
        "width_moved": _share(rdiff["width"]),
        "group_width_differs": _share(rdiff["group_width"]),
        "flops_quantiles": {r: _quantiles(v) for r, v in f.items()},
        "flops_ks": {"D": round(float(ks.statistic), 4), "p": float(f"{ks.pvalue:.3g}"), "n": [n, n]},
        "plain_acceptance": {r: float(f"{res[r].raw_acceptance:.3g}") for r in res},
        "seconds": round(time.perf_counter() - t, 1),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20_000)
    ap.add_argument("--n", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--flops", default="4M:8M")
    ap.add_argument("--space", action="append", choices=SPACES, help="default: all five")
    args = ap.parse_args()
    result = {
        "command": "python benchmarks/group_rule_effect.py"
        + f" --draws {args.draws} --n {args.n} --seed {args.seed} --resolution {args.resolution} --flops {args.flops}",
        "spaces": {
            s: measure(s, args.draws, args.n, args.seed, args.resolution, args.flops) for s in (args.space or SPACES)
        },
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
