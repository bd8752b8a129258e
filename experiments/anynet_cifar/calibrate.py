"""Is the reproduction's per-trial budget long enough to rank models? (issue: targets >= 0.6)

Reads the three calibration studies of one attempt (``--attempt e2``: ``calibration_e2_seed0``,
``_seed1``, ``_long``: the same 32 AnyNetX-A models, seed 100, 4-8 MF, trained with two training
seeds at the budget and once at 4x the budget) and writes to ``results/anynet_cifar/calibration/<attempt>/``:

* ``calibration.csv``: one row per model (its spec, flops, params and the three test errors);
* ``calibration.json``: the Spearman (and Pearson) correlations with 95% bootstrap intervals,
  one run's noise against the spread between models (ICC), and the CPU time spent;
* ``scatter_seed.{png,svg}``, ``scatter_budget.{png,svg}``: the two comparisons as scatter plots.

    python experiments/anynet_cifar/calibrate.py --attempt eN [--storage URL] [--out DIR] [--min-models N] [--partial]

Each attempt's config says why it came; run.sh lists the exact command for each (``--min-models``
for a 4x study stopped early, ``--partial`` for one stopped before it could be compared).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from designspace.analysis import reliability
from designspace.analysis.pipeline import spec_summary
from designspace.analysis.plots import render
from designspace.study.config import StudyConfig, load_config
from designspace.study.export import trials_frame
from designspace.study.join import open_existing

RUNS = ("seed0", "seed1", "long")
TARGET = 0.6
#: the two targets, then a second estimate of the budget's (the other seed against the 4x study:
#: one Spearman over 32 models moves by ~0.15 between seeds), reported beside the target, not for it
COMPARISONS = {"seed": ("seed0", "seed1"), "budget": ("seed0", "long"), "budget_seed1": ("seed1", "long")}
TARGETS = ("seed", "budget")


HERE = Path(__file__).resolve().parent


def studies(attempt: str) -> dict[str, str]:
    """The study each of the attempt's configs (``calibration_<attempt>_<run>.toml``) runs: its own,
    or an earlier attempt's where the two would be the same study (e5's 4x study is e1's)."""
    names = {}
    for run in RUNS:
        path = HERE / f"calibration_{attempt}_{run}.toml"
        if not path.is_file():
            raise ValueError(f"no calibration attempt {attempt!r}: {path.name} does not exist")
        names[run] = load_config(path).name
    return names


def trainings(config: StudyConfig) -> int:
    """How many trainings one model's error averages (one per training seed)."""
    return len(config.training_seeds(0))


def seeds_text(config: StudyConfig, n: int) -> str:
    """'training seed 0..31', or for model k trained once per seed 'seeds k, 1000+k (mean)'."""
    seeds = config.training_seeds(0)
    if len(seeds) == 1:
        return f"training seed {seeds[0]}..{seeds[0] + n - 1}"
    return f"seeds {', '.join(f'{s}+k' if s else 'k' for s in seeds)} (mean)"


def load(storage: str, attempt: str, *, partial: bool = False) -> tuple[pd.DataFrame, dict[str, StudyConfig]]:
    """One row per model of the first study (by its population index) with the three test errors,
    and the three studies' configs as stored. Models are matched by spec: a re-queued slot (a
    worker was stopped) has a new trial number but the same model. With ``partial``, a seed1 or
    4x study never started counts as no models (its config from its file)."""
    names = studies(attempt)
    configs: dict[str, StudyConfig] = {}
    frames: dict[str, pd.DataFrame | None] = {}
    for key, name in names.items():
        try:
            configs[key] = open_existing(storage, name).config
        except ValueError:
            if not partial or key == "seed0":
                raise
            configs[key], frames[key] = load_config(HERE / f"calibration_{attempt}_{key}.toml"), None
        else:
            frames[key] = trials_frame(storage, [name])
    models = frames["seed0"].drop_duplicates("spec").sort_values("trial").set_index("spec")
    table = pd.DataFrame({"flops": models["flops"], "params": models["params"]})
    for key, frame in frames.items():
        if frame is None:
            table[f"error_{key}"] = table[f"seconds_{key}"] = np.nan
            continue
        if not set(frame["spec"].dropna()) <= set(models.index):
            raise ValueError(f"{names[key]} trained other models than {names['seed0']}")
        done = frame[frame["state"] == "COMPLETE"].set_index("spec")
        table[f"error_{key}"] = done["test_error"].reindex(table.index)
        table[f"seconds_{key}"] = done["seconds"].reindex(table.index)
    table.index = pd.Index(range(len(table)), name="model")
    table.insert(2, "spec", models.index.map(spec_summary))
    if len({c.train_subset for c in configs.values()}) > 1:
        raise ValueError(f"the studies of attempt {attempt} train on different subsets")
    return table, configs


def boot_ci(x: np.ndarray, y: np.ndarray, n_boot: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of Spearman's rho over resampled models."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    rx = stats.rankdata(x[idx], axis=1)
    ry = stats.rankdata(y[idx], axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rx * ry).sum(1) / np.sqrt((rx**2).sum(1) * (ry**2).sum(1))
    lo, hi = np.nanpercentile(rho, [2.5, 97.5])
    return float(lo), float(hi)


def compare(table: pd.DataFrame, a: str, b: str) -> dict:
    ok = table[f"error_{a}"].notna() & table[f"error_{b}"].notna()
    x = table.loc[ok, f"error_{a}"].to_numpy(float)
    y = table.loc[ok, f"error_{b}"].to_numpy(float)
    rho = stats.spearmanr(x, y)
    lo, hi = boot_ci(x, y)
    diff = y - x
    return {
        "n": int(ok.sum()),
        "spearman": float(rho.statistic),
        "spearman_p": float(rho.pvalue),
        "spearman_ci95": [lo, hi],
        "pearson": float(stats.pearsonr(x, y).statistic),
        "kendall": float(stats.kendalltau(x, y).statistic),
        "mean_difference": float(diff.mean()),
        "sd_difference": float(diff.std(ddof=1)),
        "sd_between_models": float(np.std((x + y) / 2, ddof=1)),
        "meets_target": bool(rho.statistic >= TARGET),
    }


def noise_and_spread(table: pd.DataFrame) -> dict[str, float]:
    """One run's noise, the spread between models' true errors and the ICC from the two seeds
    (:mod:`designspace.analysis.reliability`). A run is one trial: where a study trains each model
    with several seeds, their mean."""
    return reliability.noise_and_spread(table["error_seed0"], table["error_seed1"])


def images_text(subset: int | None) -> str:
    return f"{subset / 1000:g}k" if subset else "all images"


def labels(key: str, configs: dict[str, StudyConfig], n: int) -> tuple[str, str]:
    if key == "seed":
        return seeds_text(configs["seed0"], n), seeds_text(configs["seed1"], n)
    data = images_text(configs["seed0"].train_subset)
    short, long = configs["seed0"], configs["long"]
    times = f"{trainings(short)} x " if trainings(short) > 1 else ""
    return f"budget: {times}{short.epochs:g} epoch(s) x {data}", f"4x budget: {long.epochs:g} epochs x {data}"


def scatter(table: pd.DataFrame, key: str, result: dict, out: Path, configs: dict[str, StudyConfig]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = COMPARISONS[key]
    xlabel, ylabel = labels(key, configs, len(table))
    x, y = table[f"error_{a}"], table[f"error_{b}"]
    fig, ax = plt.subplots(figsize=(4.6, 4.4), layout="constrained")
    sc = ax.scatter(x, y, c=table["flops"] / 1e6, cmap="viridis", s=28, edgecolors="k", linewidths=0.3)
    if key == "seed":  # the same quantity twice: equal axes, the diagonal is agreement
        lo = float(np.nanmin([x.min(), y.min()])) - 2
        hi = float(np.nanmax([x.max(), y.max()])) + 2
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=0.8, ls="--", zorder=0)
        ax.set(xlim=(lo, hi), ylim=(lo, hi))
    else:  # 4x the training lowers every error: only the order is compared, each axis its own range
        ax.margins(0.08)
    ax.set(xlabel=f"test error %, {xlabel}", ylabel=f"test error %, {ylabel}")
    ci = result["spearman_ci95"]
    ax.set_title(
        f"{'Seed vs seed' if key == 'seed' else 'Budget vs 4x budget'}: Spearman {result['spearman']:.2f}"
        f" [{ci[0]:.2f}, {ci[1]:.2f}], n={result['n']}",
        fontsize=9,
    )
    fig.colorbar(sc, ax=ax, label="MFLOPs (multiply-adds)")
    ax.grid(alpha=0.3)
    render(fig, out, f"scatter_{key}")  # byte-identical files when the data are the same
    plt.close(fig)


def _mean(errors: pd.Series) -> float | None:
    """The mean test error, None (JSON null) where a study has none."""
    return float(errors.mean()) if errors.notna().any() else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--attempt", required=True, help="the studies calibration_<attempt>_{seed0,seed1,long}")
    p.add_argument("--storage", default="sqlite:///results/anynet_cifar/calibration.db")
    p.add_argument("--out", help="default: results/anynet_cifar/calibration/<attempt>")
    p.add_argument("--min-models", type=int, default=32, help="models each study must have trained (default 32)")
    p.add_argument("--partial", action="store_true", help="record comparisons short of --min-models as stopped")
    args = p.parse_args(argv)
    try:
        names = studies(args.attempt)
        table, configs = load(args.storage, args.attempt, partial=args.partial)
    except ValueError as e:
        print(f"calibrate: {e}", file=sys.stderr)
        return 2
    results: dict[str, dict] = {}
    for key, (a, b) in COMPARISONS.items():
        complete = int((table[f"error_{a}"].notna() & table[f"error_{b}"].notna()).sum())
        if complete >= args.min_models:
            results[key] = compare(table, a, b)
        elif args.partial:
            results[key] = {"n": complete, "stopped": True}
        else:
            print(
                f"calibrate: {complete} models are complete in both {a} and {b}; {args.min_models} are needed"
                " (run the calibration studies first, or --partial for an attempt stopped early)",
                file=sys.stderr,
            )
            return 2
    if "seed" in results and not results["seed"].get("stopped"):
        results["seed"].update(noise_and_spread(table))
    out = Path(args.out or f"results/anynet_cifar/calibration/{args.attempt}")
    out.mkdir(parents=True, exist_ok=True)
    seconds = {k: float(table[f"seconds_{k}"].sum()) for k in RUNS}
    summary = {
        "attempt": args.attempt,
        "studies": names,
        "epochs": {k: c.epochs for k, c in configs.items()},
        "trainings_per_model": {k: trainings(c) for k, c in configs.items()},
        "train_subset": configs["seed0"].train_subset,
        "target": TARGET,
        "models": len(table),
        "min_models": args.min_models,
        "mean_error": {k: _mean(table[f"error_{k}"]) for k in RUNS},
        "comparisons": results,
        "training_cpu_hours": {k: v / 3600 for k, v in seconds.items()},
        "not_complete": {k: int(table[f"error_{k}"].isna().sum()) for k in RUNS},
    }
    table.to_csv(out / "calibration.csv", float_format="%.6g")
    (out / "calibration.json").write_text(json.dumps(summary, indent=2) + "\n")
    for key in TARGETS:
        if not results[key].get("stopped"):
            scatter(table, key, results[key], out, configs)
        else:  # no plot of a comparison not measured, not even one left by an earlier run
            for ext in ("png", "svg"):
                (out / f"scatter_{key}.{ext}").unlink(missing_ok=True)
    for key, r in results.items():
        if r.get("stopped"):
            print(f"{key:12s} not measured: {r['n']} models complete in both (stopped early)")
            continue
        ci = r["spearman_ci95"]
        verdict = ("meets" if r["meets_target"] else "MISSES") if key in TARGETS else "second estimate of"
        print(
            f"{key:12s} Spearman {r['spearman']:.3f} [{ci[0]:.2f}, {ci[1]:.2f}] (n={r['n']}): {verdict} the target"
            f" {TARGET}; difference sd {r['sd_difference']:.2f} pt"
            f" vs spread between models {r['sd_between_models']:.2f} pt"
            + (f"; one run's noise {r['noise_sd_per_run']:.2f} pt, ICC {r['icc']:.2f}" if "icc" in r else "")
        )
    plots = [f"scatter_{key}.png" for key in TARGETS if not results[key].get("stopped")]
    print(f"wrote {out}/" + ", ".join(["calibration.csv", "calibration.json", *plots]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
