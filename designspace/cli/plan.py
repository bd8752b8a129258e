"""``designspace plan``: how many models per space a comparison needs.

From pilot data (two studies, as ``designspace analyze`` reads them) or from a noise level (the
between-model sd of true errors and one training's seed noise, e.g. from a calibration), the models
per space that the median-shift test needs to detect a shift of ``--effect`` points, and that the
equivalence test needs to show a shift inside ``±--margin`` points, at ``--power``; then how those
numbers change with the trainings averaged per model (``--replicates``, with ``--icc``, the
reliability of one training). ``--comparisons M`` plans at the level a Holm family of M comparisons
gives its hardest step (``alpha / M``). Formulas: ``designspace.analysis.power``.

    designspace plan anynetx_c anynetx_d --storage sqlite:///results/anynet_cifar/studies.db --effect 1
    designspace plan --spread 1.3 --noise 1.0 --effect 0.5 --replicates 1 2 4
"""

from __future__ import annotations

import argparse
import json

from designspace.cli.command import add_command
from designspace.cli.trials import load_trials


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "plan", __doc__, raw=True)
    p.add_argument("studies", nargs="*", metavar="STUDY", help="two pilot studies (before, after)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL holding the pilot studies")
    p.add_argument("--csv", nargs="+", metavar="FILE", help="trial tables holding the pilot studies")
    p.add_argument("--normalize", choices=("flops", "params", "none"), default="flops", help="(default: flops)")
    p.add_argument("--spread", type=float, help="between-model sd of true errors, points (instead of pilots)")
    p.add_argument("--noise", type=float, default=0.0, help="one training's seed-noise sd, points (default: 0)")
    p.add_argument("--effect", type=float, default=1.0, help="median shift to detect, points (default: 1)")
    p.add_argument("--margin", type=float, help="equivalence margin, points (default: compare.DEFAULT_MARGIN, 1)")
    p.add_argument("--shift", type=float, default=0.0, help="true shift assumed for equivalence (default: 0)")
    p.add_argument("--power", type=float, default=0.8, help="(default: 0.8)")
    p.add_argument("--alpha", type=float, default=0.05, help="(default: 0.05)")
    p.add_argument("--comparisons", type=int, default=1, help="comparisons in the report's family (default: 1)")
    p.add_argument("--alternative", choices=("two-sided", "less", "greater"), default="two-sided")
    p.add_argument("--icc", type=float, help="reliability of one training (for --replicates with pilots)")
    p.add_argument("--pilot-replicates", type=int, default=1, help="trainings per model in the pilot (default: 1)")
    p.add_argument("--replicates", type=int, nargs="+", default=[1, 2, 4], help="trainings per model to plan for")
    p.add_argument("--boot", type=int, default=4000, help="bootstrap resamples of the pilot (default: 4000)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def pilot_sd(args: argparse.Namespace) -> tuple[float, str]:
    """The unit sd from two pilot studies, and where it came from."""
    from designspace.analysis.compare import compare_pair  # deferred: loads scipy
    from designspace.analysis.edf import complexity_weights  # deferred: loads scipy
    from designspace.analysis.inputs import populations  # deferred: loads scipy

    if len(args.studies) != 2:
        raise ValueError(f"name two pilot studies (got {len(args.studies)}), or give --spread")
    frame = load_trials(args.studies, storage=args.storage, csv=args.csv)
    a, b = populations(frame, args.studies, known=bool(args.storage))
    kw: dict = {}
    if args.normalize != "none":
        norm = complexity_weights([a.column(args.normalize), b.column(args.normalize)], by=args.normalize)
        kw = dict(w1=norm.weights[0], w2=norm.weights[1], strata1=norm.bins[0], strata2=norm.bins[1])
    t = compare_pair(a.errors, b.errors, **kw, permutations=1, n_boot=args.boot)
    how = "" if args.normalize == "none" else f", {args.normalize}-normalized"
    return t.unit_sd, f"pilot {a.name} (n={a.n}) vs {b.name} (n={b.n}){how}: bootstrap se {t.se:.3f} pt"


def run(args: argparse.Namespace) -> int:
    from designspace.analysis.compare import DEFAULT_MARGIN  # deferred: loads scipy
    from designspace.analysis.power import (
        Plan,
        noise_factor,
        unit_sd_from_noise,
    )  # deferred: loads scipy

    if args.margin is None:
        args.margin = DEFAULT_MARGIN

    if args.comparisons < 1:
        raise ValueError(f"--comparisons={args.comparisons}: must be >= 1")
    if args.spread is not None:
        if args.studies or args.storage or args.csv:
            raise ValueError("give pilot studies or --spread, not both")
        source = f"noise level: spread {args.spread:g} pt, one training's noise {args.noise:g} pt"
        sds = {r: unit_sd_from_noise(args.spread, args.noise, r) for r in args.replicates}
        base = unit_sd_from_noise(args.spread, args.noise, args.pilot_replicates)
    else:
        base, source = pilot_sd(args)
        if args.icc is None:  # without the reliability of one training: the pilot's own protocol only
            sds = {args.pilot_replicates: base}
        else:
            sds = {r: base * noise_factor(args.icc, r, args.pilot_replicates) ** 0.5 for r in args.replicates}
    level = args.alpha / args.comparisons
    plans = {
        r: Plan.make(sd, args.effect, args.margin, alpha=level, power=args.power, alternative=args.alternative,
                     shift=args.shift)
        for r, sd in sds.items()
    }  # fmt: skip
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "unit_sd": base,
                    "alpha": level,
                    "plans": [{"replicates": r, **p.__dict__} for r, p in plans.items()],
                }
            )
        )
        return 0
    print(f"{source}; unit sd of the median shift {base:.2f} pt (se = sd / sqrt(n per space))")
    print(
        f"level {level:.3g} (alpha {args.alpha:g} / {args.comparisons} comparison(s)), power {args.power:.0%}; "
        f"difference: a median shift of {args.effect:g} pt ({args.alternative}); equivalence: inside "
        f"±{args.margin:g} pt when the true shift is {args.shift:g} pt"
    )
    print(
        "trainings per model | unit sd | n per space: difference | equivalence | trainings per space (diff. / equiv.)"
    )
    for r, p in plans.items():

        def cell(n: int | None, r: int = r) -> tuple[str, str]:
            return ("unreachable", "–") if n is None else (str(n), str(n * r))

        nd, td = cell(p.n_difference)
        ne, te = cell(p.n_equivalence)
        print(f"{r} | {p.sd:.2f} | {nd} | {ne} | {td} / {te}")
    return 0
