"""Seeds and samplers of a search: each proposal has its own stream (study seed, slot, attempt)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from designspace.study.proposal import startup_trials

if TYPE_CHECKING:
    from designspace.study.config import StudyConfig

__all__ = ["make_sampler", "mix_seed"]


def make_sampler(config: StudyConfig, seed: int) -> Any:
    """The search sampler for one proposal (seeded per slot and attempt: workers never share a stream)."""
    import optuna

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if config.sampler == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed, constant_liar=True, multivariate=True, n_startup_trials=startup_trials(config)
        )
    if config.sampler == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    return optuna.samplers.RandomSampler(seed=seed)


def mix_seed(*values: int) -> int:
    """A 32-bit seed from integers (FNV-1a): one stream per study seed, slot and attempt."""
    h = 1469598103934665603
    for v in values:
        h = ((h ^ (int(v) & 0xFFFFFFFFFFFFFFFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h % (2**32)
