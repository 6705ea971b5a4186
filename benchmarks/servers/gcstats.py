"""Garbage-collector statistics of each server worker during the load, written per PID.

:func:`install` (called by the project's ``AppConfig.ready()``) adds a ``gc.callbacks`` hook
that times every collection (``"start"`` to ``"stop"``). Only collections that happen while
the worker is serving the measured load count: from its first request marked
``X-Bench-Phase: load`` until :data:`WINDOW` seconds after its latest one (the warm-up,
start-up and shutdown are left out). On ``SIGTERM`` and at exit the worker writes
``<pid>.json`` into the run's GC folder: requests served, collections per generation,
full (generation 2) collections, and the longest pause of any collection and of a full one.
A process that served no measured request (gunicorn's arbiter under ``--preload``) writes nothing.

Both are needed: gunicorn's workers exit normally (``atexit`` runs), but uvicorn's restore
the ``SIGTERM`` disposition they found and raise the signal again once they have shut down,
so they die by the default action, without ``atexit``.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import signal
import threading
import time
from types import FrameType
from typing import Any

LOAD_PHASE = "load"
#: Seconds after a worker's latest measured request during which its collections still count.
WINDOW = 0.5


class _Stats:
    def __init__(self) -> None:
        self.loading = False
        self.requests = 0
        self.last_request = 0.0
        self.started = 0.0
        self.collections = [0, 0, 0]
        self.longest_pause = 0.0
        self.longest_full_pause = 0.0


_stats = _Stats()
_directory: str | None = None


def note_request(phase: str | None) -> None:
    """Called by the views for every request; ``phase`` is the ``X-Bench-Phase`` header."""
    if phase != LOAD_PHASE:
        return
    if not _stats.loading:
        _reset()
        _stats.loading = True
    _stats.requests += 1
    _stats.last_request = time.perf_counter()


def _callback(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _stats.started = time.perf_counter()
        return
    now = time.perf_counter()
    if not _stats.loading or now - _stats.last_request > WINDOW:
        return
    pause = now - _stats.started
    generation = info.get("generation", 0)
    _stats.collections[generation] += 1
    _stats.longest_pause = max(_stats.longest_pause, pause)
    if generation == 2:
        _stats.longest_full_pause = max(_stats.longest_full_pause, pause)


def _reset() -> None:
    global _stats
    _stats = _Stats()


def snapshot() -> dict[str, Any]:
    """This process's statistics, as written to its file."""
    return {
        "pid": os.getpid(),
        "requests": _stats.requests,
        "collections": list(_stats.collections),
        "full_collections": _stats.collections[2],
        "longest_pause_ms": _stats.longest_pause * 1e3,
        "longest_full_pause_ms": _stats.longest_full_pause * 1e3,
    }


def write() -> None:
    """Write this process's statistics to ``<pid>.json`` (nothing when it served no load)."""
    if _directory is None or not _stats.requests:
        return
    os.makedirs(_directory, exist_ok=True)
    final = os.path.join(_directory, f"{os.getpid()}.json")
    partial = final + ".partial"
    with open(partial, "w", encoding="utf-8") as stream:
        json.dump(snapshot(), stream)
    os.replace(partial, final)


def install(directory: str) -> None:
    """Install the hook once per process (forked children start with zeroed counters)."""
    global _directory
    if _directory is not None:
        return
    _directory = directory
    gc.callbacks.append(_callback)
    os.register_at_fork(after_in_child=_reset)
    atexit.register(write)
    if threading.current_thread() is threading.main_thread():
        _chain_sigterm()


def _chain_sigterm() -> None:
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(number: int, frame: FrameType | None) -> None:
        write()
        if callable(previous):
            previous(number, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


def read_all(directory: str) -> list[dict[str, Any]]:
    """Every worker's statistics found in ``directory``, sorted by PID."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            with open(os.path.join(directory, name), encoding="utf-8") as stream:
                found.append(json.load(stream))
    return sorted(found, key=lambda stats: stats["pid"])
