"""The journal: every record handed to ``EventHandler``, on local disk before the writer sees it.

Each handler of each process appends what its callers log to a journal of its own, one
``write()`` per record (no ``fsync`` unless asked for): once that call has returned, the
record is in the kernel's page cache and survives the death of the process by any means.
The writer thread reads the journal back, writes batches, and marks them in the journal;
segments whose records are all committed are deleted. The journal of a process that died
is replayed, exactly once, by the next process that starts a handler for the same database
(or by ``manage.py replay_events``).

Layout, in the folder of one database (``<journal_dir>/<alias>-<digest>/``)::

    <owner>.lock             locked (flock, exclusive) by the owner for as long as it lives
    <owner>.<n>.journal      segments n = 0, 1, 2, ...; a new one every ``SEGMENT_BYTES``

The kernel releases the lock when the owner dies, so a journal whose lock can be taken
belongs to nobody alive (no process id is trusted). Lines of format version 1::

    J1 {"owner": ..., "segment": n, "pid": ..., "created": ...}   first line of a segment
    R <seq> <record as JSON>                                     a record handed over
    B <batch id> <first seq> <last seq>                          a batch about to be written
    D <batch id>                                                 that batch is committed

A batch's marker is committed with its rows (see ``WrittenBatch``), so a replay writes an
unfinished batch under its own id, and the database skips it if it was committed after all.
Records that no batch covers are marked before they are written by the replay, so that a
replay that dies half-way is itself replayed exactly once. A line that cannot be read (torn
by a crash or a full disk) is skipped and counted.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import mmap
import os
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - no flock (Windows): the journal stays off
    fcntl = None  # type: ignore[assignment]

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None  # type: ignore[assignment]

from djangotailoring.handlers.spilling import database_key
from djangotailoring.limits import HANDLER_LOGGER_NAME

__all__ = [
    "FORMAT_VERSION",
    "SEGMENT_BYTES",
    "ClaimedJournal",
    "Journal",
    "JournalReader",
    "JournalUnavailable",
    "claim_dead_journals",
    "decode_record",
    "default_journal_dir",
    "encode_record",
    "journal_folder",
]

FORMAT_VERSION = 1
SEGMENT_BYTES = 4 * 1024 * 1024
HEADER = b"J%d " % FORMAT_VERSION
LOCK_SUFFIX = ".lock"
SEGMENT_SUFFIX = ".journal"
internal_logger = logging.getLogger(HANDLER_LOGGER_NAME)

FSYNC_NEVER = "never"
FSYNC_BATCH = "batch"

#: How far beyond the last append the writer has the kernel map a segment's pages in, so
#: that a log call copies into a page that is there already: the first write to a page of
#: a shared file mapping is a page fault, a few microseconds that a busy request would pay.
POPULATE_AHEAD = 256 * 1024
#: The most a single call maps in (a short hold of the GIL, as the writer's slices are).
POPULATE_STEP = 32 * 1024
# madvise(MADV_POPULATE_WRITE), Linux 5.14: fault pages in writable without writing them.
# Python names it from 3.13 on; elsewhere (or on an older kernel) appends fault as before.
_MADV_POPULATE_WRITE: int | None = getattr(
    mmap, "MADV_POPULATE_WRITE", 23 if sys.platform.startswith("linux") else None
)


class JournalUnavailable(Exception):
    """The journal cannot be used here (no ``flock``, a folder that cannot be written)."""


# Encoding ---------------------------------------------------------------------------------

_json_dumps = json.JSONEncoder(separators=(",", ":")).encode


# Marks JSON written by the json module: orjson would read its integers beyond 64 bits as
# floats.
_BY_JSON = b"j"


def encode_record(handed: Mapping[str, Any]) -> bytes:
    """A handed-over record as one line of JSON (no newline in it)."""
    if orjson is not None:
        try:
            return orjson.dumps(handed)
        except TypeError:
            # Beyond orjson: an integer over 64 bits, a lone surrogate. json escapes them.
            pass
    return _BY_JSON + _json_dumps(handed).encode("ascii")


def decode_record(data: bytes) -> Any:
    """The record of a journal line, as :func:`encode_record` wrote it."""
    if data[:1] == _BY_JSON:
        return json.loads(data[1:])
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)  # pragma: no cover - orjson is a dependency


# Where journals live ----------------------------------------------------------------------


def default_journal_dir() -> str:
    """The journal folder used when none is configured: per user, in the temp directory."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return os.path.join(tempfile.gettempdir(), f"djangotailoring-journal-{user}")


def journal_folder(journal_dir: str, alias: str) -> str:
    """The folder of the journals of database ``alias`` (one per database server and name)."""
    return os.path.join(journal_dir, database_key(alias))


def _segment_path(folder: str, owner: str, number: int) -> str:
    return os.path.join(folder, f"{owner}.{number:06d}{SEGMENT_SUFFIX}")


def _segments_of(folder: str, owner: str) -> list[tuple[int, str]]:
    found = []
    prefix = os.path.join(glob.escape(folder), glob.escape(owner))
    for path in glob.glob(f"{prefix}.*{SEGMENT_SUFFIX}"):
        number = os.path.basename(path)[len(owner) + 1 : -len(SEGMENT_SUFFIX)]
        if number.isdigit():
            found.append((int(number), path))
    return sorted(found)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# The owner's side -------------------------------------------------------------------------


@dataclass
class Segment:
    """One file of a live journal: its number, path, the seq of its first record, its end.

    ``end`` is the offset after the last line appended; the file beyond it is reserved
    space (zeros).
    """

    number: int
    path: str
    first_seq: int
    fd: int
    mapped: mmap.mmap
    size: int
    end: int = 0
    #: Offset up to which the writer had the pages mapped in (``populate_ahead``).
    populated: int = 0


# How long a journal that could not reserve its next segment (a full disk) waits before
# it tries again.
RETRY_SECONDS = 1.0


class Journal:
    """The journal of one handler in this process: appended to by callers, read by the writer.

    Each segment is reserved on disk when it is made (``posix_fallocate``, so that a full
    disk is found out then, as an error, and never while writing) and mapped into memory:
    an append is a copy into the page cache, with no system call, and the calling thread
    keeps the GIL (a thread that gave it up on every log call would wait for the writer
    thread on every log call). The pages belong to the file, not to the process: they
    reach the disk whatever becomes of the process.

    ``append()`` is the only method callers' threads run; everything else is the writer's.
    Appends, markers and switching to a new segment hold one re-entrant lock (a signal
    handler that logs in the middle of an append appends after it), never while waiting
    for the disk to sync.
    """

    def __init__(
        self,
        folder: str,
        *,
        fsync: str | float = FSYNC_NEVER,
        max_bytes: int = 512 * 1024 * 1024,
        segment_bytes: int = SEGMENT_BYTES,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            raise JournalUnavailable("this platform has no flock()")
        self.folder = folder
        self.fsync = fsync
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._on_refused = on_refused
        self._lock = threading.RLock()
        self._segments: deque[Segment] = deque()
        self._current: Segment | None = None
        self._lock_fd = -1
        self._live_bytes = 0
        self._refusing = False
        self._retry_at = 0.0
        self._populating = _MADV_POPULATE_WRITE is not None
        self._last_sync = time.monotonic()
        self._closed = False
        #: The seq the next record gets.
        self.next_seq = 0
        #: Every record up to this seq is committed (or handled otherwise); -1: none yet.
        self.done_through = -1
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            self._take_lock()
            self._new_segment(0)
        except (OSError, ValueError) as error:
            self.release()
            raise JournalUnavailable(f"cannot write the journal in {folder}: {error}") from error

    @property
    def lock_path(self) -> str:
        """The owner's lock file."""
        return os.path.join(self.folder, self.owner + LOCK_SUFFIX)

    def _take_lock(self) -> None:
        # Locked under a name no claimer looks at, then renamed: a claimer never sees the
        # lock file of a live owner unlocked.
        creating = os.path.join(self.folder, f".{self.owner}.creating")
        fd = os.open(creating, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(creating, self.lock_path)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(creating)
            raise
        self._lock_fd = fd

    def _new_segment(self, room: int) -> None:
        """Reserve and map the next segment, with room for a line of ``room`` bytes."""
        number = self._segments[-1].number + 1 if self._segments else 0
        path = _segment_path(self.folder, self.owner, number)
        header = {
            "owner": self.owner,
            "segment": number,
            "pid": os.getpid(),
            "created": time.time(),
        }
        line = HEADER + _json_dumps(header).encode() + b"\n"
        size = max(self.segment_bytes, len(line) + room)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            if hasattr(os, "posix_fallocate"):
                os.posix_fallocate(fd, 0, size)
            else:  # pragma: no cover - macOS: a sparse file
                os.ftruncate(fd, size)
            mapped = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except (OSError, ValueError):
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise
        mapped[: len(line)] = line
        segment = Segment(number, path, self.next_seq, fd, mapped, size, len(line))
        self._segments.append(segment)
        self._current = segment
        self._live_bytes += segment.end

    # Callers ------------------------------------------------------------------------------

    def append(self, payload: bytes) -> bool:
        """Append one record; ``False`` when it cannot be kept (nothing half-counted)."""
        # The hot path of every log call: acquire()/release() cost less than ``with``.
        lock = self._lock
        lock.acquire()
        try:
            segment = self._current
            if segment is None:
                return False
            seq = self.next_seq
            line = b"R %d %b\n" % (seq, payload)
            size = len(line)
            end = segment.end
            if end + size > segment.size or self._live_bytes >= self.max_bytes:
                if self._live_bytes >= self.max_bytes:
                    return self._refuse(f"it holds {self.max_bytes} bytes not yet written")
                segment = self._next_segment(size)
                if segment is None:
                    return False
                end = segment.end
            segment.mapped[end : end + size] = line
            segment.end = end + size
            self._live_bytes += size
            self.next_seq = seq + 1
            return True
        finally:
            lock.release()

    def _next_segment(self, room: int) -> Segment | None:
        now = time.monotonic()
        if now < self._retry_at:
            return None
        try:
            self._new_segment(room)
        except (OSError, ValueError) as error:
            # A full disk, a file-size limit: try again in a while, not on every call.
            self._retry_at = now + RETRY_SECONDS
            self._refuse(str(error))
            return None
        self._refusing = False
        return self._current

    def _refuse(self, reason: str) -> bool:
        if not self._refusing:
            self._refusing = True
            if self._on_refused is not None:
                self._on_refused(reason)
        return False

    # The writer ---------------------------------------------------------------------------

    def segments(self) -> list[Segment]:
        """The live segments, oldest first."""
        with self._lock:
            return list(self._segments)

    @property
    def current_segment(self) -> int:
        """The number of the segment appends go to."""
        current = self._current
        return current.number if current is not None else -1

    def mark(self, line: bytes) -> None:
        """Append a marker line (the writer's); no room for it costs only the mark."""
        with self._lock:
            segment = self._current
            if segment is None:
                return
            end = segment.end
            if end + len(line) > segment.size:
                segment = self._next_segment(len(line))
                if segment is None:
                    return
                end = segment.end
            segment.mapped[end : end + len(line)] = line
            segment.end = end + len(line)
            self._live_bytes += len(line)

    def mark_batch(self, batch_id: str, first: int, last: int) -> None:
        """Note that the records ``first`` … ``last`` are about to be written as ``batch_id``."""
        self.mark(b"B %s %d %d\n" % (batch_id.encode("ascii"), first, last))

    def mark_done(self, batch_id: str, last: int) -> None:
        """Note that ``batch_id`` is committed, and delete the segments all done with."""
        self.mark(b"D %s\n" % batch_id.encode("ascii"))
        self.advance(last)

    def advance(self, last: int) -> None:
        """Every record up to ``last`` is done with: delete the segments that hold only such."""
        if last > self.done_through:
            self.done_through = last
        self._prune()

    def _prune(self) -> None:
        with self._lock:
            while len(self._segments) > 1 and self._segments[1].first_seq <= self.done_through + 1:
                segment = self._segments.popleft()
                self._live_bytes -= segment.end
                _unmap(segment)
                with contextlib.suppress(OSError):
                    os.unlink(segment.path)

    def populate_ahead(self) -> bool:
        """Have some of the pages the next appends write to mapped in (the writer's call).

        Changes no byte of the journal: the pages are faulted in as if written, with what
        they hold. Called with the GIL held, like every append, so no segment is unmapped
        meanwhile; at most ``POPULATE_STEP`` bytes a call. ``True`` when there is more to
        map in before ``POPULATE_AHEAD`` bytes beyond the last append are.
        """
        segment = self._current
        if not self._populating or segment is None:
            return False
        start = max(segment.populated, segment.end)
        start -= start % mmap.PAGESIZE
        ahead = min(segment.size, segment.end + POPULATE_AHEAD)
        stop = min(ahead, start + POPULATE_STEP)
        if stop <= start:
            return False
        try:
            segment.mapped.madvise(_MADV_POPULATE_WRITE, start, stop - start)  # type: ignore[arg-type]
        except ValueError:
            return False  # closed meanwhile: the next segment is populated instead
        except OSError:
            # A kernel without it (EINVAL): appends fault their pages in, as without it.
            self._populating = False
            return False
        segment.populated = stop
        return stop < ahead

    def sync_if_due(self) -> None:
        """Sync the journal to disk if the fsync policy asks for it now (the writer's call)."""
        policy = self.fsync
        if policy == FSYNC_NEVER:
            return
        now = time.monotonic()
        if policy != FSYNC_BATCH and now - self._last_sync < float(policy):
            return
        with self._lock:
            if self._current is None:
                return
            # Synced on copies, outside the lock: callers never wait for the disk.
            fds = [os.dup(segment.fd) for segment in self._segments]
        for fd in fds:
            try:
                os.fsync(fd)
            except OSError:
                pass
            finally:
                os.close(fd)
        self._last_sync = now

    @property
    def finished(self) -> bool:
        """Whether every record appended so far is committed (or handled otherwise)."""
        return self.done_through >= self.next_seq - 1

    def close(self) -> None:
        """Stop appending; delete the journal if everything is committed, else leave it.

        What is left is replayed by the next handler (of any process) that starts for the
        same database: the lock is released here.
        """
        with self._lock:
            finished = self.finished
            paths = [segment.path for segment in self._segments] if finished else []
            self.release()
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if finished:
            with contextlib.suppress(OSError):
                os.unlink(self.lock_path)

    def release(self) -> None:
        """Close the files and let go of the lock, leaving the journal for a replay."""
        with self._lock:
            self._current = None
            segments = list(self._segments)
            lock_fd, self._lock_fd = self._lock_fd, -1
        for segment in segments:
            _unmap(segment)
        if lock_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(lock_fd)

    def forget_after_fork(self) -> None:
        """In a forked child: close the inherited files, which stay the parent's (and locked)."""
        # The lock belongs to the open file, which the parent still holds: closing the
        # child's copy releases nothing; unmapping the child's view leaves the parent's.
        self.release()


def _unmap(segment: Segment) -> None:
    with contextlib.suppress(OSError, ValueError, BufferError):
        segment.mapped.close()
    with contextlib.suppress(OSError):
        os.close(segment.fd)


def _logical(data: bytes) -> bytes:
    """What a segment holds, without its reserved tail (lines never hold a NUL byte)."""
    end = data.find(b"\x00")
    return data if end < 0 else data[:end]


def _parse(line: bytes) -> tuple[str, Any]:
    """``(kind, value)`` of a journal line; raises ``ValueError`` when it cannot be read."""
    kind = line[:2]
    if kind == b"R ":
        space = line.index(b" ", 2)
        return "R", (int(line[2:space]), decode_record(line[space + 1 :]))
    if kind == b"B ":
        batch_id, first, last = line[2:].split(b" ")
        return "B", (batch_id.decode("ascii"), int(first), int(last))
    if kind == b"D ":
        return "D", line[2:].decode("ascii")
    if line.startswith(b"J"):
        version = int(line[1 : line.index(b" ")])
        if version != FORMAT_VERSION:
            raise ValueError(f"journal format {version} is not known here")
        return "J", version
    raise ValueError("not a journal line")


class JournalReader:
    """Reads back the records of this process's journal, in order (the writer's side)."""

    def __init__(self, journal: Journal, chunk: int = 1 << 14) -> None:
        self.journal = journal
        self.chunk = chunk
        #: Lines that could not be read.
        self.torn = 0
        #: The seq after the last record read.
        self.position = 0
        # Everything appended before the journal's next_seq was this had been read when a
        # read last found nothing more (a line that could not be read has a seq too).
        self._caught_up_to = 0
        self._number = -1
        self._segment: Segment | None = None
        self._offset = 0
        self._rest = b""
        self._ready: deque[tuple[int, bytes]] = deque()

    @property
    def behind(self) -> int:
        """Records appended and not taken yet."""
        # Read and not taken (in memory), or not read yet: every seq from ``position`` on,
        # unless a read found nothing more since (lines that could not be read have seqs).
        start = self.position if self._ready else max(self.position, self._caught_up_to)
        return max(0, self.journal.next_seq - start)

    def take(self, limit: int, pace: Callable[[], None] | None = None) -> list[tuple[int, bytes]]:
        """Up to ``limit`` records ``(seq, encoded record)`` appended since the last call.

        The record is as :func:`encode_record` wrote it: :func:`decode_record` reads it.

        ``pace`` is called after every chunk read (the writer's pacer).
        """
        ready = self._ready
        target = self.journal.next_seq
        while len(ready) < limit:
            if not self._read():
                self._caught_up_to = target
                break
            if pace is not None:
                pace()
        count = min(limit, len(ready))
        taken = [ready.popleft() for _ in range(count)]
        if taken:
            self.position = taken[-1][0] + 1
        return taken

    def _read(self) -> bool:
        """Read one chunk (or move to the next segment); ``False`` when nothing is left now."""
        segment = self._segment
        if segment is None:
            segment = self._segment = self._next_segment()
            if segment is None:
                return False
            self._offset = 0
        sealed = self.journal.current_segment > segment.number
        end = segment.end
        if self._offset < end:
            stop = min(end, self._offset + self.chunk)
            try:
                data = segment.mapped[self._offset : stop]
            except ValueError:
                # Unmapped under us. Either the journal was closed, or the segment was
                # deleted: that happens once every record in it is done with, all of which
                # this reader has read then, so what it had still to read was the writer's
                # own markers. Go on with the next segment.
                if self.journal.current_segment < 0:
                    return False
                self._segment = None
                self._rest = b""
                return True
            self._offset = stop
            self._lines(data)
            return True
        if not sealed:
            return False
        # Nothing more is appended to a segment once the next one exists.
        if self._rest:
            self.torn += 1
            self._rest = b""
        self._segment = None
        return True

    def _next_segment(self) -> Segment | None:
        for segment in self.journal.segments():
            if segment.number > self._number:
                self._number = segment.number
                return segment
        return None

    def _lines(self, data: bytes) -> None:
        lines = (self._rest + data).split(b"\n")
        self._rest = lines.pop()
        ready = self._ready
        for line in lines:
            if line[:2] != b"R ":
                continue
            # The record stays encoded until the writer prepares it: the batch being read
            # holds bytes, not thousands of decoded dicts (see decode_record()).
            space = line.find(b" ", 2)
            try:
                if space < 0:
                    raise ValueError("no record")
                seq = int(line[2:space])
            except ValueError:
                self.torn += 1
                continue
            ready.append((seq, line[space + 1 :]))

    def close(self) -> None:
        """Let go of the segment being read."""
        self._segment = None


# Replaying the journals of processes that died ---------------------------------------------


def claim_dead_journals(
    folder: str, *, ignore: frozenset[str] = frozenset()
) -> Iterator[ClaimedJournal]:
    """Lock, one by one, the journals in ``folder`` whose owner is gone (skipping ``ignore``).

    A journal whose lock someone holds (its owner, or another process replaying it) is
    left alone. Each claimed journal is unlocked when the caller moves on to the next.
    """
    if fcntl is None or not os.path.isdir(folder):  # pragma: no cover - Windows
        return
    for lock_path in sorted(glob.glob(os.path.join(glob.escape(folder), "*" + LOCK_SUFFIX))):
        owner = os.path.basename(lock_path)[: -len(LOCK_SUFFIX)]
        if owner in ignore:
            continue
        try:
            fd = os.open(lock_path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Replayed and removed by another process between our open and our lock?
            if not os.path.samestat(os.fstat(fd), os.stat(lock_path)):
                continue
        except OSError:
            os.close(fd)
            continue
        claimed = ClaimedJournal(folder, owner, fd)
        try:
            yield claimed
        finally:
            claimed.release()


class ClaimedJournal:
    """The journal of a process that is gone, locked by us for replaying."""

    def __init__(self, folder: str, owner: str, lock_fd: int) -> None:
        self.folder = folder
        self.owner = owner
        self._lock_fd = lock_fd
        self._marks: str | None = None
        #: Lines that could not be read (torn by a crash or a full disk), skipped.
        self.torn = 0

    @property
    def lock_path(self) -> str:
        """The lock file of the journal."""
        return os.path.join(self.folder, self.owner + LOCK_SUFFIX)

    def _lines(self) -> Iterator[tuple[str, Any]]:
        for _, path in _segments_of(self.folder, self.owner):
            with open(path, "rb") as segment:
                content = _logical(segment.read())
            for line in content.split(b"\n"):
                if not line:
                    continue
                try:
                    yield _parse(line)
                except (ValueError, UnicodeDecodeError):
                    self.torn += 1

    def batches(self, batch_size: int) -> Iterator[tuple[str, list[Any]]]:
        """Yield ``(batch id, records)`` still to be written, in order.

        Records of a batch marked as begun but not done keep that batch's id; records no
        batch covers are marked as a new batch before they are yielded. What is done is
        left out.
        """
        begun: list[tuple[int, int, str]] = []
        done: set[str] = set()
        for kind, value in self._lines():
            if kind == "B":
                batch_id, first, last = value
                begun.append((first, last, batch_id))
            elif kind == "D":
                done.add(value)
        self.torn = 0  # counted once, by the second pass
        ranges = sorted(begun)
        index = 0
        current: str | None = None
        current_last = -1
        records: list[Any] = []
        loose: list[tuple[int, Any]] = []
        for kind, value in self._lines():
            if kind != "R":
                continue
            seq, record = value
            while index < len(ranges) and ranges[index][1] < seq:
                index += 1
            covering = ranges[index] if index < len(ranges) and ranges[index][0] <= seq else None
            if covering is None:
                loose.append(value)
                if len(loose) >= batch_size:
                    yield self._new_batch(loose)
                    loose = []
                continue
            first, last, batch_id = covering
            if batch_id in done:
                continue
            if current != batch_id:
                if records and current is not None:
                    yield current, records
                current, current_last, records = batch_id, last, []
            records.append(record)
            if seq == current_last:
                yield current, records
                current, records = None, []
        if records and current is not None:
            yield current, records
        if loose:
            yield self._new_batch(loose)

    def _new_batch(self, loose: list[tuple[int, Any]]) -> tuple[str, list[Any]]:
        batch_id = uuid.uuid4().hex
        self._mark(b"B %s %d %d\n" % (batch_id.encode("ascii"), loose[0][0], loose[-1][0]))
        return batch_id, [record for _, record in loose]

    def mark_done(self, batch_id: str) -> None:
        """Note in the journal that ``batch_id`` is committed."""
        self._mark(b"D %s\n" % batch_id.encode("ascii"))

    def _mark(self, line: bytes) -> None:
        # Marks of the replay go to a segment of their own after the owner's (a plain file,
        # appended to), so that they are read after every record they refer to.
        if self._marks is None:
            segments = _segments_of(self.folder, self.owner)
            number = segments[-1][0] + 1 if segments else 0
            self._marks = _segment_path(self.folder, self.owner, number)
        with contextlib.suppress(OSError):
            fd = os.open(self._marks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _write_all(fd, line)
            finally:
                os.close(fd)

    def remove(self) -> None:
        """Delete the journal (everything in it is committed); the lock file goes last."""
        for _, path in _segments_of(self.folder, self.owner):
            with contextlib.suppress(OSError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.unlink(self.lock_path)

    def release(self) -> None:
        """Let go of the lock (the journal stays if it was not removed)."""
        fd, self._lock_fd = self._lock_fd, -1
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
