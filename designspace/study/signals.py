"""Stopping a worker cleanly: SIGINT/SIGTERM become one ``KeyboardInterrupt``, held back while a
trial is being claimed (so that a claimed trial is never left without an owner)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["die_with_parent", "signals_deferred", "stop_if_signalled", "stop_on_signals", "stop_requested"]


class _Deferral:
    """What :func:`signals_deferred` tells the handler of :func:`stop_on_signals`, and whether it
    ran (one per process, as signal handlers are)."""

    depth = 0
    #: the signal that asked this process to stop (None: none yet)
    signalled: str | None = None


_deferral = _Deferral()


def stop_requested() -> str | None:
    """The name of the signal that asked this process to stop, if one did."""
    return _deferral.signalled


def stop_on_signals() -> Callable[[], None]:
    """SIGINT/SIGTERM raise ``KeyboardInterrupt`` once; later ones are ignored during clean-up.

    Returns a function restoring the previous handlers (main thread only).
    """
    # Plain attributes, not a threading.Event: a handler runs between two bytecodes of the main
    # thread, possibly inside another run of itself (SIGINT, then the parent's SIGTERM), and
    # Event.set() takes a non-reentrant lock -- the second run would wait forever on the first.
    _deferral.signalled = None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, frame: object) -> None:
        if _deferral.signalled:
            return
        name = _deferral.signalled = signal.Signals(signum).name
        if _deferral.depth:  # inside signals_deferred: raised when the block ends
            return
        raise KeyboardInterrupt(name)

    for s in previous:
        signal.signal(s, handler)
    # Raised inside a finalizer or weakref callback (SQLAlchemy's registry cleans up in one), the
    # interrupt cannot propagate: Python prints it as "Exception ignored in ..." with a traceback
    # and drops it. The worker still stops (stop_if_signalled raises it again), so say nothing.
    previous_hook = sys.unraisablehook

    def unraisable(args: Any) -> None:
        if not (_deferral.signalled and isinstance(args.exc_value, KeyboardInterrupt)):
            previous_hook(args)

    sys.unraisablehook = unraisable

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)
        sys.unraisablehook = previous_hook
        _deferral.signalled = None  # the handler's state goes with it

    return restore


def stop_if_signalled() -> None:
    """Raise the KeyboardInterrupt a signal asked for, if code in between lost it.

    A KeyboardInterrupt raised at an arbitrary bytecode can be turned into another exception by
    library code it lands in: Optuna's journal lock, interrupted right after unlinking its lock
    file, unlinks it again in ``except BaseException`` and raises FileNotFoundError instead. The
    worker would record that as the trial's error and go on running. After any failure, and
    before each new trial, the worker asks here whether it was told to stop.
    """
    if _deferral.signalled and not _deferral.depth:
        raise KeyboardInterrupt(_deferral.signalled)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT/SIGTERM wait until the block ends (main thread; elsewhere a no-op).

    Claiming writes RUNNING to the storage and then returns the trial; a KeyboardInterrupt in
    between would leave a RUNNING trial that no worker knows it owns (it only comes back once its
    grace period has passed). Blocking the signals is not enough: one received just before the
    block still runs its Python handler at the next bytecode, inside the block. So the handler of
    :func:`stop_on_signals` defers to the block's end too; POSIX also holds new ones back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = {signal.SIGINT, signal.SIGTERM}
    mask = hasattr(signal, "pthread_sigmask")
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals) if mask else None
    _deferral.depth += 1
    try:
        yield
    finally:
        if mask:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        _deferral.depth -= 1
    stop_if_signalled()  # a signal that came inside the block


def die_with_parent() -> None:
    """Linux: SIGTERM this worker when the parent ``study run`` dies (even by SIGKILL), so that
    it marks its trial interrupted instead of running on unseen."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker finishes the study on its own
        return
    if os.getppid() != parent:  # the parent died before prctl
        os.kill(os.getpid(), signal.SIGTERM)
