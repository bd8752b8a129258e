"""Paired studies (``mode = "paired"``): a design principle as an intervention on the same models.

Each budget slot is one *pair*: a parent drawn from the study's space (the principle's parent space)
in the regime, and its child under the principle (:mod:`designspace.principles`), drawn when the
study is created and fixed into the slot's trial (``fixed_params = {"pair": ...}``). The slot's one
trial trains both members with common random numbers -- each of the study's training seeds
(``study.train_seed``, a list: replicates) once for the parent and once for the child, the same seed
for both, so both see identical batches, and with ``init_by_module`` (:mod:`designspace.train.crn`)
identical initial weights wherever their modules agree -- in the order parent, child for each seed.

A pair is complete only when every training of both members is: the trial's value, the paired
difference ``child_error - parent_error`` (points of test error, each the mean over the replicates;
negative: the child is better), is told to the storage once, after the last training. A worker killed
mid-pair leaves its trial RUNNING without a value; like any lost trial it is marked lost after the
grace period and the whole pair is trained again (same pair, same seeds), so no half-pair is ever
counted. A member that diverges or fails ends the pair as a FAIL result (``reason`` says which).

The trial records: ``pair`` (the pair's JSON), ``spec``/``flops``/``params``/``acts`` of the parent,
``child_spec``, ``child_flops``, ``child_params``, ``child_acts``, ``parent_errors``/``child_errors``
(one per seed), ``parent_error``/``child_error`` (their means), ``difference``, ``seeds``, and the
usual timing attributes summed over the trainings.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import designspace as ds
from designspace.study.box import in_regime
from designspace.study.config import StudyConfig
from designspace.study.outcome import RESULT_KEYS, DeviceFault, Outcome, combined, is_device_fault
from designspace.study.slots import FIXED
from designspace.study.training import TrainObjective

if TYPE_CHECKING:
    import optuna

    from designspace.principles import Pair, Principle

__all__ = ["PairObjective", "check_paired", "pair_params", "study_pairs"]

#: the key of a pair slot's fixed parameters
PAIR = "pair"


def _principle(config: StudyConfig) -> Principle:
    from designspace import principles  # deferred: the principles import torch

    return principles.get(str(config.principle))


def check_paired(config: StudyConfig) -> None:
    """One-line ``ValueError`` unless the principle exists and ``space.name`` is its parent space."""
    p = _principle(config)
    if config.space != p.parent:
        raise ValueError(
            f"space.name={config.space!r}: principle {p.name!r} maps {p.parent} to {p.child};"
            f" set space.name = {p.parent!r}"
        )


def study_pairs(config: StudyConfig, n: int) -> list[Pair]:
    """The study's first ``n`` pairs (seeded by ``study.seed``; a longer study extends them)."""
    from designspace.principles import draw_pairs  # deferred: imports torch

    return draw_pairs(
        _principle(config),
        n,
        seed=config.seed,
        resolution=config.resolution,
        flops=config.flops,
        params=config.params,
        group_rule=config.group_rule,
    ).pairs


def pair_params(config: StudyConfig, n: int) -> list[dict[str, Any]]:
    """The fixed parameters of slots 0..n-1: ``{"pair": <pair JSON>}``."""
    return [{PAIR: p.to_dict()} for p in study_pairs(config, n)]


class PairObjective(TrainObjective):
    """Train both members of a slot's pair with common random numbers; the value is their difference."""

    def pair(self, trial: optuna.Trial, slot: int) -> Pair:
        """The slot's pair as fixed when the study was made (drawn again if a repair lost it)."""
        from designspace.principles import Pair  # deferred: imports torch

        try:  # Optuna's Trial does not show its system attributes (its FrozenTrial does)
            fixed = trial.study._storage.get_trial_system_attrs(trial._trial_id).get(FIXED) or {}
        except AttributeError:
            fixed = {}
        if isinstance(fixed, dict) and isinstance(fixed.get(PAIR), dict):
            return Pair.from_dict(fixed[PAIR])
        return study_pairs(self.config, slot + 1)[slot]

    def __call__(self, trial: optuna.Trial, slot: int) -> Outcome:
        c = self.config
        principle = _principle(c)
        pair = self.pair(trial, slot)
        parent_space, child_space = principle.spaces(c.group_rule)
        specs = {
            "parent": parent_space.build(pair.parent_values, c.resolution),
            "child": child_space.build(pair.child_values, c.resolution),
        }
        cx = {m: ds.complexity(s, c.resolution) for m, s in specs.items()}
        attrs: dict[str, Any] = {
            "pair": pair.to_dict(),
            "principle": principle.name,
            "child_space": principle.child,
            "space": c.space,
            "resolution": c.resolution,
            "spec": specs["parent"].to_json(),
            **cx["parent"],
            "child_spec": specs["child"].to_json(),
            **{f"child_{k}": v for k, v in cx["child"].items()},
        }
        for key in ("spec", "flops", "child_spec", "child_flops"):  # visible while it trains
            trial.set_user_attr(key, attrs[key])
        for member, spec_cx in cx.items():
            why = in_regime(c, spec_cx)
            if why:  # pairs are drawn in the regime: a bug if it happens
                return Outcome("FAIL", reason=f"{member}: {why}", attrs=attrs)
        seeds = c.training_seeds(slot)
        recipe = replace(self.recipe, init_by_module=True)
        attrs["seeds"] = list(seeds)
        attrs["seed"] = seeds[0]
        attrs["train_config"] = recipe.to_dict()
        runs: dict[str, list[dict[str, Any]]] = {"parent": [], "child": []}
        for seed in seeds:
            for member in ("parent", "child"):
                where = f"{member}, seed {seed}: "
                try:
                    result = self._train_member(specs[member], seed, recipe)
                except MemoryError as e:
                    return Outcome("FAIL", reason=f"{where}out of memory: {e}", attrs=attrs)
                except Exception as e:  # noqa: BLE001 - any error is this pair's result, the study goes on
                    if is_device_fault(e):
                        raise DeviceFault(f"{type(e).__name__}: {e}") from e
                    return Outcome("FAIL", reason=f"{where}error: {type(e).__name__}: {e}", attrs=attrs)
                if result.status != "ok":
                    return Outcome("FAIL", reason=f"{where}{result.status}: {result.reason}", attrs=attrs)
                runs[member].append(result.to_dict())
                trial.set_user_attr("trainings_done", sum(map(len, runs.values())))
        errors = {m: [float(r["test_error"]) for r in rs] for m, rs in runs.items()}
        means = {m: sum(e) / len(e) for m, e in errors.items()}
        both = combined(runs["parent"] + runs["child"])
        attrs.update({k: both[k] for k in RESULT_KEYS if k in both and k not in ("test_error", "train_loss")})
        attrs.update(
            parent_errors=errors["parent"],
            child_errors=errors["child"],
            parent_error=means["parent"],
            child_error=means["child"],
            difference=means["child"] - means["parent"],
            trainings=len(runs["parent"]) + len(runs["child"]),
        )
        return Outcome("COMPLETE", value=means["child"] - means["parent"], attrs=attrs)

    def _train_member(self, spec: Any, seed: int, recipe: Any) -> Any:
        from designspace.train import train  # deferred: imports torch

        return train(
            spec, self.data, self.budget, seed, config=recipe, device=self.device, threads=self.threads, progress=False
        )
