"""The spill file: prepared Events that could not be written yet, as JSON lines.

Each line is ``{"batch": <id>, "event": <prepared event>}``; lines of one batch are
consecutive. Appends are locked (``flock``) so several processes may share one file, and
each append is fsynced before it returns. Replaying first *claims* the file by renaming it,
so records appended meanwhile go to a fresh file and nothing is read twice or missed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; appends stay per-process safe
    fcntl = None  # type: ignore[assignment]

__all__ = ["SpillFile", "database_key", "default_spill_path", "read_batches"]

CLAIMED = ".replaying-"


def database_key(alias: str) -> str:
    """``<alias>-<digest>``: names database ``alias`` by its engine, name, host and port.

    Spill files and journal folders are named by it, so that two aliases of one database
    share them and two databases never do.
    """
    from django.db import connections

    config = connections.settings[alias]
    identity = "|".join(str(config.get(key, "")) for key in ("ENGINE", "NAME", "HOST", "PORT"))
    return f"{alias}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def default_spill_path(alias: str) -> str:
    """The spill file used when none is configured: per database, in the temp directory."""
    return os.path.join(
        tempfile.gettempdir(), f"djangotailoring-events-{database_key(alias)}.jsonl"
    )


LOCK_PATIENCE = 5.0


def _lock(fd: int) -> None:
    """Lock the file against other processes' appends and claims, waiting a bounded time.

    After ``LOCK_PATIENCE`` seconds the append goes ahead unlocked (one ``O_APPEND`` write
    still lands whole): a holder that never lets go, such as code interrupted by a signal
    handler that spills in the same process, must not hang the process.
    """
    if fcntl is None:
        return
    deadline = time.monotonic() + LOCK_PATIENCE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.005)


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class SpillFile:
    """Append batches to, and claim for replay, the spill file at ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _open_current(self) -> int:
        # The file may be claimed (renamed) between open and lock: then open the new one.
        while True:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            _lock(fd)
            try:
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    return fd
            except FileNotFoundError:
                pass
            _unlock(fd)
            os.close(fd)

    def append(self, batches: Iterable[tuple[str, Sequence[Mapping[str, Any]]]]) -> int:
        """Write ``(batch id, events)`` pairs durably; return the number of events written."""
        lines = [
            json.dumps({"batch": batch_id, "event": event}, separators=(",", ":")) + "\n"
            for batch_id, events in batches
            for event in events
        ]
        if not lines:
            return 0
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        payload = "".join(lines).encode("ascii")
        fd = self._open_current()
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            _unlock(fd)
            os.close(fd)
        return len(lines)

    def claim(self) -> str | None:
        """Rename the file for replay and return the new name (``None`` if there is none)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            _lock(fd)
            if not os.path.samestat(os.fstat(fd), os.stat(self.path)):
                return None
            claimed = f"{self.path}{CLAIMED}{os.getpid()}-{uuid.uuid4().hex[:8]}"
            os.rename(self.path, claimed)
            return claimed
        except FileNotFoundError:
            return None
        finally:
            os.close(fd)

    def leftovers(self) -> list[str]:
        """Claimed files whose replay did not finish (a crash, an outage)."""
        return sorted(glob.glob(glob.escape(self.path) + CLAIMED + "*"))

    def exists(self) -> bool:
        """Whether there is anything to replay."""
        return os.path.exists(self.path) or bool(self.leftovers())


def read_batches(path: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(batch id, events)`` from a spill file; a torn last line is skipped."""
    batch_id: str | None = None
    events: list[dict[str, Any]] = []
    with open(path, encoding="ascii", errors="replace") as lines:
        for line in lines:
            try:
                item = json.loads(line)
                current, event = str(item["batch"]), item["event"]
            except (ValueError, KeyError, TypeError):
                continue
            if current != batch_id and events:
                assert batch_id is not None
                yield batch_id, events
                events = []
            batch_id = current
            events.append(event)
    if events and batch_id is not None:
        yield batch_id, events
