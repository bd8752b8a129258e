"""Create a study in a storage or join the existing one, and keep its queue of slots filled.

The first process to create the study (storage-level atomic: a unique study name) stores the
config in the study's user attributes and enqueues one WAITING trial per budget slot. Every other
process checks that its config agrees with the stored one, so workers started from copies of one
TOML file on many machines cooperate without a coordinator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from designspace.study.config import StudyConfig, describe_difference
from designspace.study.slots import FIXED, SLOT, STUDY_CREATED, STUDY_QUEUED, Ledger
from designspace.study.storage import StorageURL, open_storage, parse_url

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage
    from optuna.trial import FrozenTrial

__all__ = ["StudyHandle", "join_study", "open_existing"]

#: the fixed params of slots 0..n-1: a callable, so that the population is drawn only when needed
SlotParams = Callable[[int], list[dict[str, Any]]]


@dataclass
class StudyHandle:
    """An open study: its config (as stored), storage and Optuna ``Study``."""

    config: StudyConfig
    url: StorageURL
    storage: BaseStorage
    study: optuna.Study
    study_id: int
    created: bool = False

    @property
    def name(self) -> str:
        return self.config.name

    def trials(self) -> list[FrozenTrial]:
        return self.storage.get_all_trials(self.study_id, deepcopy=False)

    def budget(self) -> int:
        value = self.storage.get_study_user_attrs(self.study_id).get("trials", self.config.trials)
        return max(int(value), 1)

    def ledger(self) -> Ledger:
        return Ledger.of(self.trials(), self.budget())

    def queued(self) -> int:
        return int(self.storage.get_study_system_attrs(self.study_id).get(STUDY_QUEUED, 0))

    def created_at(self) -> float:
        return float(self.storage.get_study_system_attrs(self.study_id).get(STUDY_CREATED, 0.0))

    def enqueue(self, slot: int, params: dict[str, Any], **system_attrs: Any) -> None:
        """A new WAITING trial for ``slot`` (its sampled parameters fixed to ``params``)."""
        import optuna
        from optuna.trial import TrialState

        template = optuna.trial.create_trial(
            state=TrialState.WAITING, system_attrs={FIXED: dict(params), SLOT: slot, **system_attrs}
        )
        self.storage.create_new_trial(self.study_id, template_trial=template)


def _load_optuna_study(storage: BaseStorage, name: str) -> optuna.Study:
    import optuna

    return optuna.load_study(study_name=name, storage=storage)


def join_study(
    config: StudyConfig,
    url: str | StorageURL,
    slot_params: SlotParams,
    *,
    wait_for_queue: float = 60.0,
) -> StudyHandle:
    """Create the study (and its queue) or join it; the budget grows to ``config.trials`` if larger.

    ``slot_params(n)`` gives the fixed parameters of slots ``0..n-1`` (population mode: the
    sampled models; search mode: empty dicts, the sampler fills them).
    """
    import optuna
    from optuna.exceptions import DuplicatedStudyError

    parsed = url if isinstance(url, StorageURL) else parse_url(url)
    storage = optuna.storages.get_storage(open_storage(parsed, create=True))
    try:
        storage.get_study_id_from_name(config.name)
        queue = None
    except KeyError:  # draw the models first: a sampling error then leaves no half-made study
        queue = slot_params(config.trials)
    try:
        study_id = storage.create_new_study([optuna.study.StudyDirection.MINIMIZE], config.name)
        created = True
    except DuplicatedStudyError:
        study_id = storage.get_study_id_from_name(config.name)
        created = False
    handle = StudyHandle(config, parsed, storage, _load_optuna_study(storage, config.name), study_id, created)
    if created:
        _initialize(handle, queue if queue is not None else slot_params(config.trials))
        return handle
    _wait_for_creator(handle, wait_for_queue)
    stored = _stored_config(handle)
    handle.config = stored.with_trials(max(stored.trials, handle.budget()))
    _wait_for_queue(handle, wait_for_queue)
    if config.trials > handle.budget():
        _extend(handle, config.trials, slot_params)
    return handle


def open_existing(url: str | StorageURL, name: str) -> StudyHandle:
    """Open a study for reading (``status``/``export``): the storage and the study must exist."""
    import optuna

    parsed = url if isinstance(url, StorageURL) else parse_url(url)
    storage = optuna.storages.get_storage(open_storage(parsed, create=False))
    names = [s.study_name for s in storage.get_all_studies()]
    if name not in names:
        known = ", ".join(names) if names else "none"
        raise ValueError(f"no study {name!r} in {parsed.display} (studies: {known})")
    study_id = storage.get_study_id_from_name(name)
    handle = StudyHandle(None, parsed, storage, _load_optuna_study(storage, name), study_id)  # type: ignore[arg-type]
    # The storage's name wins: a study copied or renamed in its storage (optuna.copy_study) keeps
    # the config it was created with, whose study.name is the old one.
    handle.config = replace(_stored_config(handle), name=name)
    handle.config = handle.config.with_trials(handle.budget())
    return handle


def _initialize(handle: StudyHandle, queue: list[dict[str, Any]]) -> None:
    from designspace.study.version import code_version

    config, storage, sid = handle.config, handle.storage, handle.study_id
    for key, value in {
        "config": config.to_dict(),
        "mode": config.mode,
        "space": config.space,
        "dataset": config.dataset,
        "trials": config.trials,
        "created_by": code_version(),
    }.items():
        storage.set_study_user_attr(sid, key, value)
    storage.set_study_system_attr(sid, STUDY_CREATED, time.time())  # joiners wait for this
    for slot, params in enumerate(queue):
        handle.enqueue(slot, params)
    storage.set_study_system_attr(sid, STUDY_QUEUED, config.trials)


def _stored_config(handle: StudyHandle) -> StudyConfig:
    attrs = handle.storage.get_study_user_attrs(handle.study_id)
    if "config" not in attrs:
        raise ValueError(
            f"study {handle.study.study_name!r} in {handle.url.display} was not made by designspace; "
            "choose another study.name"
        )
    stored = StudyConfig.from_stored(attrs["config"], source=f"study {handle.study.study_name!r}")
    mine = handle.config
    if mine is not None:
        diff = describe_difference(stored.identity(), mine.identity())
        if diff:
            raise ValueError(
                f"study {mine.name!r} already exists in {handle.url.display} with other settings: {diff}; "
                "give this one another study.name"
            )
    return stored


def _wait_for_creator(handle: StudyHandle, timeout: float) -> None:
    """A joiner racing the creator waits until it has stored the config (a foreign study: 10 s)."""
    start = time.monotonic()
    while handle.created_at() == 0.0:
        ours = "config" in handle.storage.get_study_user_attrs(handle.study_id)
        if time.monotonic() - start > (timeout if ours else 10.0):
            return
        time.sleep(0.2)


def _wait_for_queue(handle: StudyHandle, timeout: float) -> None:
    """A joiner waits until the creator has enqueued every slot (a creator that died is given up)."""
    deadline = time.monotonic() + timeout
    while handle.queued() < handle.budget():
        if time.monotonic() > deadline or time.time() - handle.created_at() > timeout:
            # The creator died while enqueueing: the workers' repair fills the missing slots.
            handle.storage.set_study_system_attr(handle.study_id, STUDY_QUEUED, handle.budget())
            return
        time.sleep(0.5)


def _extend(handle: StudyHandle, trials: int, slot_params: SlotParams) -> None:
    old = handle.budget()
    ledger = handle.ledger()
    # The new slots must continue the population the study already has.
    fresh = slot_params(trials)
    for slot in range(old):
        known = ledger.params_for(slot)
        if known is not None and known != fresh[slot]:
            raise ValueError(
                f"cannot raise study {handle.name!r} from {old} to {trials} trials: the space samples "
                f"another population for {trials} models; run a new study instead"
            )
    for slot in range(old, trials):
        handle.enqueue(slot, fresh[slot])
    handle.config = handle.config.with_trials(trials)
    # the stored config follows the budget (before, it kept the budget the study was created with)
    handle.storage.set_study_user_attr(handle.study_id, "config", handle.config.to_dict())
    handle.storage.set_study_user_attr(handle.study_id, "trials", trials)
    handle.storage.set_study_system_attr(handle.study_id, STUDY_QUEUED, trials)
