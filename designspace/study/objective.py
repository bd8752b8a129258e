"""What one trial does, by the study's mode: its slots' parameters, its objective, the checks of its names.

An objective is any callable ``(trial: optuna.Trial, slot: int) -> Outcome``
(:mod:`designspace.study.outcome`); the worker owns the trial's life cycle (claiming, heartbeats,
storing attributes, telling the storage). Population and search studies train one model a trial
(:class:`~designspace.study.training.TrainObjective`), a paired study both members of a pair
(:class:`~designspace.study.paired.PairObjective`). Which models the slots hold: the sampled
population (:mod:`designspace.study.population`), a paired study's pairs, or nothing yet in a search
(its proposals are made as trials are claimed: :mod:`designspace.study.proposal`).

This module sits above those, which share their pieces through modules below them
(:mod:`designspace.study.box`, :mod:`designspace.study.outcome`), so the imports point one way.
"""

from __future__ import annotations

import importlib.util
from dataclasses import fields
from typing import Any

from designspace.study.box import in_regime, rejects
from designspace.study.config import StudyConfig
from designspace.study.outcome import DeviceFault, Objective, Outcome
from designspace.study.paired import PairObjective, check_paired, pair_params
from designspace.study.population import population_params
from designspace.study.precision import ALLOW_EMULATED, STUDY_PRECISION, check_precision, pin_precision
from designspace.study.training import TrainObjective
from designspace.ui.messages import close_matches, first_line

__all__ = [
    "ALLOW_EMULATED",
    "STUDY_PRECISION",
    "DeviceFault",
    "Objective",
    "Outcome",
    "TrainObjective",
    "check_config",
    "check_precision",
    "ensure_data",
    "in_regime",
    "make_objective",
    "pin_precision",
    "rejects",
    "slot_params",
]


def check_config(config: StudyConfig) -> None:
    """Check the names a config refers to (space, data set, recipe keys); one-line ValueError."""
    from designspace import spaces  # deferred: the spaces, data and trainer import torch
    from designspace.data import DATASETS  # deferred: imports torch
    from designspace.train import TrainConfig  # deferred: imports torch

    where = f"{config.source}: " if config.source else ""
    known = [f.name for f in fields(TrainConfig)]
    for key in config.train_overrides:
        if key not in known:
            close = close_matches(key, known, n=1)
            hint = f"did you mean 'train.{close[0]}'?" if close else "known: " + ", ".join(known)
            raise ValueError(f"{where}unknown key 'train.{key}' ({hint})")
    if config.sampler == "cmaes" and importlib.util.find_spec("cmaes") is None:
        raise ValueError(f"{where}study.sampler='cmaes' needs the cmaes package: pip install 'designspace[cmaes]'")
    checks = (
        (f"space.name={config.space!r}: ", lambda: spaces.get(config.space)),
        ("space.", lambda: config.design_space()),
        (f"data.name={config.dataset!r}: ", lambda: DATASETS.get(config.dataset.partition(":")[0])),
        ("train.", lambda: TrainConfig.from_dict(config.train_overrides)),
    )
    if config.mode == "paired":
        checks += (("study.principle: ", lambda: check_paired(config)),)
    for prefix, check in checks:
        try:
            check()
        except (ValueError, TypeError) as e:
            raise ValueError(f"{where}{prefix}{first_line(e)}") from None


def ensure_data(config: StudyConfig) -> None:
    """Download the data set once now if it is missing (not in every worker at the same time)."""
    from designspace.data import DATASETS  # deferred: imports torch

    source = DATASETS.get(config.dataset.partition(":")[0])
    locate, download = getattr(source, "locate", None), getattr(source, "download", None)
    if callable(locate) and callable(download) and locate(config.data_dir) is None:
        download(config.data_dir)


def slot_params(config: StudyConfig, n: int) -> list[dict[str, Any]]:
    """The fixed parameters of slots 0..n-1: the sampled population, or empty dicts in search mode."""
    if config.mode == "search":
        return [{} for _ in range(n)]
    if config.mode == "paired":
        return pair_params(config, n)
    return population_params(config, n)


def make_objective(config: StudyConfig, *, device: str = "auto", threads: int | None = None) -> TrainObjective:
    """The objective of the study's mode: :class:`TrainObjective`, or a paired study's :class:`PairObjective`."""
    if config.mode == "paired":
        return PairObjective(config, device=device, threads=threads)
    return TrainObjective(config, device=device, threads=threads)
