"""Studies: train N models of a design space on one machine or many, stored in Optuna storage.

``designspace study run|worker|status|export`` (see docs/studies.md). Modules:

* :mod:`~designspace.study.config`: the TOML file -> frozen :class:`StudyConfig`;
* :mod:`~designspace.study.storage`: storage URLs (SQLite, PostgreSQL/MySQL, journal files);
* :mod:`~designspace.study.join`: create or join a study, its queue of budget slots;
* :mod:`~designspace.study.slots`: the bookkeeping (slots, outcomes, exactly-once accounting);
* :mod:`~designspace.study.objective`: what a trial does by the study's mode, from
  :mod:`~designspace.study.population` / :mod:`~designspace.study.proposal` (which models:
  population draws; search proposals inside the complexity regime), :mod:`~designspace.study.training`
  (one trial: build, train, report) and :mod:`~designspace.study.paired` (a principle's pairs), which
  share :mod:`~designspace.study.box` (the regime's box) and :mod:`~designspace.study.outcome` (how a
  trial ends);
* :mod:`~designspace.study.worker`: the claim-run-store loop, made of
  :mod:`~designspace.study.view` (what changed since the last look),
  :mod:`~designspace.study.claims` (claim and end a trial in one transaction each),
  :mod:`~designspace.study.lease` (heartbeats), :mod:`~designspace.study.repair` (lost trials,
  missing slots), :mod:`~designspace.study.outage` (waiting out a storage outage),
  :mod:`~designspace.study.signals` (stopping cleanly), :mod:`~designspace.study.sampling`;
* :mod:`~designspace.study.runner`: N local worker processes, and :mod:`~designspace.study.progress`: their bar;
* :mod:`~designspace.study.status`, :mod:`~designspace.study.export`, :mod:`~designspace.study.plot`.
"""

from designspace.study.config import StudyConfig, load_config
from designspace.study.export import trials_frame

__all__ = ["StudyConfig", "load_config", "trials_frame"]
