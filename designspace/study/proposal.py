"""Search mode: which model a trial trains -- the sampler's proposal, inside the complexity regime.

A small regime holds a tiny part of a design space (AnyNetX-A at 32 px, 1-3 MF: ~1e-7 of it), so
letting TPE/CMA-ES suggest freely and rejecting what falls outside would almost never accept.
Instead, for every search trial:

* the parameters are suggested inside the *box* of the regime: each parameter's range (or
  choices) is cut to the values the space's exact narrowing keeps (``space.narrow``: values that
  provably cannot meet the regime are gone), the same box for every trial of the study;
* while the study has fewer than ``startup_trials`` complete or pruned trials (and always for the
  ``random`` sampler) the model is a uniform draw from the regime (``space.sample``, seeded by
  slot and attempt: the distribution of rejection sampling from the whole space);
* then the sampler (multivariate TPE, or CMA-ES) proposes in a scratch in-memory copy of the
  study (its complete, pruned and running trials, so TPE's constant liar sees the other workers'
  models, and TPE ranks a pruned model by the last error it reported, as Optuna's TPE does);
  proposals outside the regime (or the space's own constraint, ``space.valid``: RegNet's four
  stages) are told a penalty error there -- never stored -- so the sampler
  quickly learns where the regime lies, until one fits (typically 10-30 proposals), for at most
  ``TRIES`` proposals or ``SECONDS``; failing that, a uniform draw from the regime.

The accepted parameters are fixed into the real trial (Optuna's ``fixed_params``) before the
space's ``suggest`` runs on it through the same box, so the storage holds exactly one trial per
model, with the box's distributions, and later proposals learn from it. The trial's user
attribute ``proposal`` says which way its model was chosen.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import designspace as ds
from designspace.study.box import BoxTrial, plain, regime_box, rejects
from designspace.study.config import StudyConfig

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

__all__ = ["propose", "startup_trials", "uniform_draw"]

#: scratch proposals per trial (and seconds) before falling back to a uniform draw from the regime
TRIES = 300
SECONDS = 10.0
#: what a scratch proposal outside the regime is told: worse than any error (%), so the sampler
#: learns within a few dozen proposals where the regime lies, near the study's best models
PENALTY = 101.0


def startup_trials(config: StudyConfig) -> int:
    """Complete trials before the sampler takes over (TPE's 10, fewer for small budgets)."""
    return min(10, max(2, config.trials // 3))


def uniform_draw(space: Any, config: StudyConfig, seed: int) -> dict[str, Any]:
    """One model drawn uniformly from the space (within the regime), as sampled parameters."""
    record = space.sample(1, seed=seed, resolution=config.resolution, flops=config.flops, params=config.params)[0]
    return {name: plain(record[name]) for name in space.param_names(config.resolution)}


def propose(
    config: StudyConfig, space: Any, trials: list[FrozenTrial], seed: int, sampler: Any
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(parameters, sampler system attributes to keep, how they were chosen) for one search trial."""
    import optuna
    from optuna.trial import TrialState

    kept_states = (TrialState.COMPLETE, TrialState.PRUNED)  # Optuna's TPE counts both as observations
    complete = [t for t in trials if t.state in kept_states and t.params]
    if config.sampler == "random" or len(complete) < startup_trials(config):
        return uniform_draw(space, config, seed), {}, "uniform"
    box = regime_box(config)
    scratch = optuna.create_study(sampler=sampler)
    scratch.add_trials([t for t in trials if t.params and t.state in (*kept_states, TrialState.RUNNING)])
    deadline = time.monotonic() + SECONDS
    for _ in range(TRIES):
        trial = scratch.ask()
        spec = space.suggest(BoxTrial(trial, box), resolution=config.resolution)
        if not rejects(config, space, trial.params, ds.complexity(spec, config.resolution)):
            params = {k: plain(v) for k, v in trial.params.items()}
            frozen = next(t for t in scratch.get_trials(deepcopy=False) if t.number == trial.number)
            kept = {k: v for k, v in frozen.system_attrs.items() if k != "fixed_params"}
            return params, kept, config.sampler
        scratch.tell(trial, PENALTY)
        if time.monotonic() > deadline:
            break
    return uniform_draw(space, config, seed), {}, f"uniform ({config.sampler} proposed nothing in the regime)"
