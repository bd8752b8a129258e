"""A population study's models: which parameters each budget slot trains.

``uniform`` takes ``space.sample(n, seed, ...)`` -- the very models ``designspace sample`` prints
with that seed. ``qmc`` draws a scrambled Sobol sequence through Optuna's ``QMCSampler`` (the
space's own define-by-run ``suggest``), keeping the points that fall in the complexity regime.
"""

from __future__ import annotations

import warnings
from typing import Any

import designspace as ds
from designspace.study.box import BoxTrial, plain, regime_box, rejects
from designspace.study.config import StudyConfig

__all__ = ["population_params"]

#: QMC gives up on a regime that keeps under 1% of its first 1000 points
_QMC_PROBE, _QMC_MIN_RATE = 1000, 0.01


def population_params(config: StudyConfig, n: int) -> list[dict[str, Any]]:
    """The sampled parameters of the study's ``n`` models, in slot order."""

    space = config.design_space()
    if config.sampler == "qmc":
        return _qmc(space, config, n)
    records = space.sample(n, seed=config.seed, resolution=config.resolution, flops=config.flops, params=config.params)
    names = space.param_names(config.resolution)
    return [{name: plain(rec[name]) for name in names} for rec in records]


def _qmc(space: Any, config: StudyConfig, n: int) -> list[dict[str, Any]]:
    """Scrambled Sobol points of the space's parameters (inside the regime's box), kept if in the regime.

    Rejection from a low-discrepancy sequence has no narrowing to help it: a regime that keeps
    under 1% of the box's points is refused with a pointer to the ``uniform`` sampler.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    study = optuna.create_study(sampler=optuna.samplers.QMCSampler(seed=config.seed, scramble=True))
    box = regime_box(config)
    out: list[dict[str, Any]] = []
    draws = 0
    while len(out) < n:
        draws += 1
        trial = study.ask()
        spec = space.suggest(BoxTrial(trial, box), resolution=config.resolution)
        ok = not rejects(config, space, trial.params, ds.complexity(spec, config.resolution))
        study.tell(trial, 0.0 if ok else None, state=None if ok else optuna.trial.TrialState.FAIL)
        if ok:
            out.append({k: plain(v) for k, v in trial.params.items()})
        elif draws >= _QMC_PROBE and len(out) < _QMC_MIN_RATE * draws:
            raise ValueError(
                f"study.sampler='qmc': only {len(out)} of {draws} Sobol points of {config.space} fall in the "
                "regime (space.flops/space.params) and the space's constraint; use sampler = 'uniform'"
                " (it samples the regime exactly)"
            )
    return out
