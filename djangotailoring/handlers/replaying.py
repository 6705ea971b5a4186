"""Persist the contents of spill files, exactly once.

Every batch is written with the marker it had when it was spilled, so a batch that was in
fact committed before (or by an earlier, interrupted replay) is skipped. A file is deleted
only when all of its batches are in the database; safe to run twice, or concurrently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from djangotailoring.handlers.eventstore import EventStore
from djangotailoring.handlers.spilling import SpillFile, read_batches

__all__ = ["ReplayResult", "replay", "replay_steps"]


@dataclass
class ReplayResult:
    """What a replay did: events written, events found already written, files finished."""

    replayed: int = 0
    skipped: int = 0
    rejected: int = 0
    files: list[str] = field(default_factory=list)


def _replay_file(path: str, store: EventStore, result: ReplayResult) -> Iterator[None]:
    clean = True
    for batch_id, events in read_batches(path):
        written, skipped, refused = store.write_each(batch_id, events)
        result.replayed += written
        result.skipped += skipped
        if refused:
            # Kept on disk (the file stays) rather than lost; reported in the result.
            result.rejected += len(refused)
            clean = False
        yield
    if clean:
        os.remove(path)
        result.files.append(path)


def replay_steps(spill: SpillFile, store: EventStore, result: ReplayResult) -> Iterator[None]:
    """Replay ``spill`` one batch per step (the writer interleaves this with new records).

    Raises :class:`~djangotailoring.handlers.eventstore.Unavailable` when the database goes
    away; what was not written stays in a claimed file and is replayed next time.
    """
    claimed = spill.claim()
    paths = spill.leftovers()
    if claimed is not None and claimed not in paths:
        paths.append(claimed)
    for path in paths:
        if os.path.exists(path):
            yield from _replay_file(path, store, result)


def replay(spill: SpillFile, store: EventStore) -> ReplayResult:
    """Replay ``spill`` completely and return what was done."""
    result = ReplayResult()
    for _ in replay_steps(spill, store, result):
        pass
    return result
