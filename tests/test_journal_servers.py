"""Real servers lose no Event when a worker dies: the journal of the dead worker is replayed.

The real-server benchmark's site (``benchmarks/servers``: one SELECT and one
``logger.info()`` into ``EventHandler`` per request) runs under real servers, loaded by wrk
with its Lua script, which gives every request an ``X-Request-ID`` of its own and records
the ids of the 2xx responses it received. Every test ends with the same check, by request
id: every received 2xx has exactly one Event, no id has two, and the few Events of requests
whose response was never received are accounted for (in flight when wrk stopped, or cut by
the death of the worker that logged them).

- gunicorn, 3 sync workers: one worker is ``kill -9``-ed in the middle of the load, at a
  moment when its journal holds records not committed yet (it is paused with ``SIGSTOP``
  while its journal is copied; a copy without such records is discarded and the worker
  resumed). The master starts a new worker, whose writer replays the dead journal while
  the load goes on; then gunicorn is stopped gracefully.
- uvicorn, 2 workers, the async view: ``SIGTERM`` to the main process under load; a fresh
  process of the site then logs one record, and its writer replays what is left.

They need PostgreSQL as the test database (``DJANGOTAILORING_TEST_DB=postgres``), wrk
(``apt-get install wrk``) and the ``bench`` extra (gunicorn, uvicorn, django-db-logger);
without them they skip, saying why, except that a missing wrk fails when
``DJANGOTAILORING_TEST_DB_REQUIRED=1`` (CI), as in ``test_benchmark_servers_smoke.py``.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from djangotailoring.handlers.handover import read
from djangotailoring.handlers.journal import claim_dead_journals, decode_record
from tests.databases import POSTGRES, SUFFIX

# The benchmarks live beside the tests in the repository, not in the package.
servers_cli = pytest.importorskip(
    "benchmarks.servers.cli", reason="the benchmarks/ folder or psycopg is not here"
)
servers = pytest.importorskip("benchmarks.servers.servers")
load = pytest.importorskip("benchmarks.servers.load")
verify = pytest.importorskip("benchmarks.servers.verify")
databases = pytest.importorskip("benchmarks.databases")

REQUIRED = os.environ.get("DJANGOTAILORING_TEST_DB_REQUIRED") == "1"
MISSING = servers_cli.missing_prerequisites()
DB_NAME = f"djangotailoring_journal_servers{SUFFIX}"
#: The load during which a worker dies, in seconds (wrk counts whole seconds).
LOAD_SECONDS = 5
#: How far into the load the worker dies.
DEATH_AFTER = 1.5

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(120)]


def _missing(distribution: str) -> bool:
    return any(name.split(" ")[0] == distribution for name in MISSING)


def needs(distribution: str) -> pytest.MarkDecorator:
    """Skip the test when the server ``distribution`` is not installed."""
    return pytest.mark.skipif(
        _missing(distribution),
        reason=f'needs {distribution}; install it with: pip install -e ".[bench]"',
    )


def require_site() -> None:
    """Skip (or, for wrk under ``DJANGOTAILORING_TEST_DB_REQUIRED=1``, fail) without the site."""
    packages = [name for name in ("django-db-logger", "psycopg") if _missing(name)]
    if packages:
        pytest.skip(f'needs {", ".join(packages)}; install them with: pip install -e ".[bench]"')
    if _missing("wrk"):
        message = "needs wrk: apt-get install wrk"
        if REQUIRED:
            pytest.fail(f"{message} (DJANGOTAILORING_TEST_DB_REQUIRED=1)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def site_db() -> Iterator[tuple[Any, dict[str, str]]]:
    """The benchmark site's database, created and migrated once, dropped at the end."""
    require_site()
    pg = databases.PostgresServer(
        name=DB_NAME,
        host=POSTGRES["HOST"],
        port=str(POSTGRES["PORT"]),
        user=POSTGRES["USER"],
        password=POSTGRES["PASSWORD"],
    )
    with databases.postgres_database(pg) as environment:
        servers_cli.migrate(environment)
        yield pg, environment


# Processes --------------------------------------------------------------------------------


def _stat(path: str) -> tuple[int, str, int] | None:
    """``(pid, state, parent pid)`` from a ``/proc/.../stat`` file; ``None`` if it is gone."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            text = stream.read()
    except OSError:
        return None
    # "pid (command) state ppid ...": the command may hold spaces and parentheses.
    head, _, tail = text.rpartition(")")
    fields = tail.split()
    return int(head.split(" (", 1)[0]), fields[0], int(fields[1])


def _is_helper(pid: int) -> bool:
    # uvicorn's multiprocessing starts a resource tracker beside its workers.
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            return b"multiprocessing.resource_tracker" in stream.read()
    except OSError:
        return False


def workers_of(parent: int) -> set[int]:
    """The live (not zombie) worker processes of server process ``parent``."""
    found = set()
    for path in glob.glob("/proc/[0-9]*/stat"):
        stat = _stat(path)
        if stat is not None and stat[2] == parent and stat[1] not in {"Z", "X"}:
            found.add(stat[0])
    return {pid for pid in found if not _is_helper(pid)}


def is_stopped(pid: int) -> bool:
    """Whether every thread of ``pid`` is stopped (by ``SIGSTOP``)."""
    states = [_stat(path) for path in glob.glob(f"/proc/{pid}/task/*/stat")]
    return bool(states) and all(stat is not None and stat[1] in {"T", "t"} for stat in states)


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str | Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            what = what if isinstance(what, str) else what()
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


# Journals ---------------------------------------------------------------------------------


def journal_owners(journal_dir: Path) -> list[str]:
    """The owners of the journals in ``journal_dir`` (one lock file each, alive or dead)."""
    return sorted(Path(path).name[: -len(".lock")] for path in glob.glob(f"{journal_dir}/*/*.lock"))


def journaling_pids(journal_dir: Path) -> set[int]:
    """The processes that have a journal in ``journal_dir`` (the owner starts with the pid)."""
    return {int(owner.split("-", 1)[0]) for owner in journal_owners(journal_dir)}


def journal_files(journal_dir: Path) -> list[str]:
    """Every file in the journal folders (locks, segments, half-created locks)."""
    return sorted(str(path) for path in journal_dir.glob("*/*") if path.is_file())


def _request_id(record: Any) -> str | None:
    """The request id of a journaled record, as the writer reads it (``read()``)."""
    try:
        request = read(record).get("request")
    except Exception:
        # Not a hand-over (a torn or foreign line): no request id.
        return None
    return request.get("id") if isinstance(request, dict) else None


@dataclass
class JournalCopy:
    """What the journals of some owners held: the request ids of their records."""

    owners: list[str]
    #: Every record the journals hold (segments all done with may have been deleted).
    logged: list[str | None] = field(default_factory=list)
    #: The records a replay writes: neither committed, nor in a batch that was.
    pending: list[str | None] = field(default_factory=list)


def copy_journals(journal_dir: Path, owners: list[str], scratch: Path) -> JournalCopy:
    """Copy the journals of ``owners`` to ``scratch`` and read them there.

    The copy is read as a replay reads a dead journal (``claim_dead_journals``), so the
    journals themselves are left alone (a replay is free to take them at any moment).
    """
    scratch.mkdir(parents=True)
    for owner in owners:
        for path in glob.glob(f"{glob.escape(str(journal_dir))}/*/{glob.escape(owner)}.*"):
            shutil.copy(path, scratch)
    result = JournalCopy(owners)
    for segment in sorted(scratch.glob("*.journal")):
        content = segment.read_bytes()
        # The segment's reserved tail is zeros: lines end before the first NUL.
        content = content.split(b"\x00", 1)[0]
        for line in content.split(b"\n"):
            if line.startswith(b"R "):
                parts = line.split(b" ", 2)
                try:
                    result.logged.append(_request_id(decode_record(parts[2])))
                except (ValueError, IndexError):
                    continue  # torn by the kill: the caller never got past the append
    for claimed in claim_dead_journals(str(scratch)):
        for _, records in claimed.batches(100_000):
            result.pending.extend(_request_id(record) for record in records)
    return result


# Load -------------------------------------------------------------------------------------


class Loader(threading.Thread):
    """``run_wrk`` in a thread, so that workers can die while it runs."""

    def __init__(self, server: Any, prefix: str, folder: Path, seconds: float) -> None:
        super().__init__(name=f"wrk-{prefix}", daemon=True)
        self.server = server
        self.prefix = prefix
        self.folder = folder
        self.seconds = seconds
        self.result: Any = None
        self.error: BaseException | None = None
        self.started_at = 0.0

    def run(self) -> None:
        self.started_at = time.monotonic()
        config = self.server.config
        try:
            self.result = load.run_wrk(
                self.server.base_url,
                config.path,
                threads=config.wrk_threads,
                connections=config.connections,
                seconds=self.seconds,
                phase="load",
                prefix=self.prefix,
                folder=str(self.folder),
            )
        except BaseException as error:
            self.error = error

    def outcome(self) -> Any:
        self.join(self.seconds + 130)
        assert not self.is_alive(), "wrk did not end"
        if self.error is not None:
            raise self.error
        return self.result


@dataclass
class Site:
    """One server of the benchmark site, its journal folder and the ids of its 2xx."""

    tmp_path: Path
    pg: Any
    config: Any
    env: dict[str, str]
    server: Any = None
    #: Request ids of the 2xx responses received, by phase (the id's prefix).
    answered: dict[str, list[str]] = field(default_factory=dict)
    #: Requests whose response was not received, by phase (their Events may exist).
    unanswered: Counter[str] = field(default_factory=Counter)

    @classmethod
    def start(cls, tmp_path: Path, pg: Any, environment: dict[str, str], config: Any) -> Site:
        verify.truncate(pg)
        journal_dir = tmp_path / "journal"
        env = {
            **os.environ,
            **environment,
            "DJANGO_SETTINGS_MODULE": servers_cli.SETTINGS_MODULE,
            "DJANGOTAILORING_SERVERS_CASE": "eventhandler",
            "DJANGOTAILORING_SERVERS_DIR": str(tmp_path),
            "DJANGOTAILORING_SERVERS_INTERFACE": config.interface,
            "DJANGOTAILORING_SERVERS_NODELAY": "1",
            "DJANGOTAILORING_SERVERS_JOURNAL_DIR": str(journal_dir),
        }
        env.pop("COVERAGE_PROCESS_START", None)
        site = cls(tmp_path, pg, config, env)
        site.server = servers.Server(config, env, str(tmp_path / "server.log"))
        return site

    @property
    def journal_dir(self) -> Path:
        return self.tmp_path / "journal"

    @property
    def main_pid(self) -> int:
        pid: int = self.server.process.pid
        return pid

    def workers(self) -> set[int]:
        return workers_of(self.main_pid)

    def wait_for_workers(self, timeout: float = 30.0) -> set[int]:
        """Wait until the server answers and all its workers are there; return them."""
        self.server.wait_ready(timeout)
        wait_until(
            lambda: len(self.workers()) == self.config.workers,
            timeout,
            lambda: f"{self.config.workers} workers of {self.config.key}:\n{self.server.output()}",
        )
        return self.workers()

    def record(self, phase: str, result: Any) -> None:
        self.answered.setdefault(phase, []).extend(result.ids)
        self.unanswered[phase] += max(0, result.sent - len(result.ids))

    def warm_up(self, workers: set[int], timeout: float = 20.0) -> None:
        """Load the server a second at a time until every worker keeps a journal."""
        deadline = time.monotonic() + timeout
        run = 0
        while not workers <= journaling_pids(self.journal_dir):
            assert time.monotonic() < deadline, (
                f"workers {sorted(workers)} never all journaled: {journal_owners(self.journal_dir)}"
            )
            run += 1
            phase = f"warm{run}"
            loader = Loader(self.server, phase, self.tmp_path / phase, 1)
            loader.start()
            self.record(phase, loader.outcome())

    def nudge(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        """Send single requests (phase ``nudge``) until ``done()``, for at most ``timeout``."""
        deadline = time.monotonic() + timeout
        number = 0
        while not done():
            assert time.monotonic() < deadline, f"timed out after {timeout:g} s: {what}"
            number += 1
            request_id = f"nudge-{number}"
            request = urllib.request.Request(  # noqa: S310
                self.server.base_url + self.config.path, headers={"X-Request-ID": request_id}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                    answered = (
                        200 <= answer.status < 300
                        and answer.headers.get("X-Request-ID") == request_id
                    )
            except (OSError, urllib.error.URLError):
                answered = False
            if answered:
                self.answered.setdefault("nudge", []).append(request_id)
            else:
                self.unanswered["nudge"] += 1
            time.sleep(0.05)

    def ids(self) -> list[str]:
        return [request_id for ids in self.answered.values() for request_id in ids]


# The check --------------------------------------------------------------------------------


def stored_ids(pg: Any) -> Counter[str | None]:
    with verify.connect(pg) as connection:
        rows = connection.execute(
            "SELECT data->'request'->>'id', count(*) FROM tracking_event GROUP BY 1"
        ).fetchall()
    return Counter({key: int(count) for key, count in rows})


def events_around(pg: Any, moment: float, prefix: str) -> tuple[int, int]:
    """Events of requests with ids starting with ``prefix`` logged before and after ``moment``."""
    when = datetime.datetime.fromtimestamp(moment, tz=datetime.timezone.utc)
    with verify.connect(pg) as connection:
        row = connection.execute(
            "SELECT count(*) FILTER (WHERE timestamp < %s), count(*) FILTER (WHERE timestamp > %s)"
            " FROM tracking_event WHERE data->'request'->>'id' LIKE %s",
            [when, when, prefix + "%"],
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def check_rows_match_2xx(
    site: Site, allowed_unanswered: Callable[[str, list[str]], str | None]
) -> dict[str, Any]:
    """Event rows == 2xx responses by request id, 0 duplicates.

    ``allowed_unanswered(phase, ids)`` judges the Events of a phase whose 2xx was not
    received; it returns what is wrong with them, or ``None``.
    """
    ids = site.ids()
    assert ids, "no request was answered 2xx"
    assert len(set(ids)) == len(ids), "an id was received twice (test bug)"
    checked = verify.verify(site.pg, "eventhandler", "", ids, allowed_unrecorded=len(ids))
    stored = stored_ids(site.pg)
    answered = set(ids)
    without_2xx: dict[str, list[str]] = {}
    for request_id in stored:
        if request_id is not None and request_id not in answered:
            without_2xx.setdefault(request_id.split("-", 1)[0], []).append(request_id)
    problems = list(checked.problems)
    for phase, phase_ids in sorted(without_2xx.items()):
        if phase not in site.answered and phase not in site.unanswered:
            problems.append(f"Events of ids this test never sent: {sorted(phase_ids)[:5]}")
            continue
        problem = allowed_unanswered(phase, phase_ids)
        if problem:
            problems.append(problem)
    summary = {
        "2xx": len(ids),
        "events": sum(stored.values()),
        "missing": len(checked.missing),
        "duplicates": len(checked.duplicates),
        "events_without_2xx": {phase: len(found) for phase, found in without_2xx.items()},
        "unanswered_requests": dict(site.unanswered),
    }
    assert not problems, f"{problems}\n{summary}\n{site.server.output()}"
    assert checked.missing == checked.duplicates == []
    assert all(stored[request_id] == 1 for request_id in ids)
    assert max(stored.values()) == 1
    return summary


def in_flight_bound(site: Site, phase: str, found: list[str]) -> str | None:
    """At most one request per connection is in flight when wrk stops, none for a nudge."""
    if phase.startswith(("warm", "load")):
        bound = site.config.connections
    else:
        bound = site.unanswered[phase]
    if len(found) > bound:
        return (
            f"{len(found)} Events of {phase} requests without a received 2xx, at most "
            f"{bound} expected (e.g. {sorted(found)[:3]})"
        )
    return None


# gunicorn ---------------------------------------------------------------------------------


def kill_with_unwritten_records(pid: int, site: Site) -> JournalCopy:
    """``kill -9`` worker ``pid`` when its journal holds records that are not committed.

    The worker is paused (``SIGSTOP``) while its journal is copied, so the copy is what the
    journal holds when it dies; a copy without such records is thrown away, the worker
    resumed, and another moment tried.
    """
    deadline = time.monotonic() + 5
    attempt = 0
    while True:
        attempt += 1
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_until(lambda: is_stopped(pid), 5, f"worker {pid} to stop")
            owners = [
                owner for owner in journal_owners(site.journal_dir) if owner.startswith(f"{pid}-")
            ]
            copied = copy_journals(site.journal_dir, owners, site.tmp_path / f"copy{attempt}")
            if copied.pending or time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return copied
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            raise
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.03)


@needs("gunicorn")
def test_gunicorn_sync_worker_killed_under_load_loses_no_event(
    site_db: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    pg, environment = site_db
    config = servers.BY_KEY["sync3"]  # gunicorn sync, 3 workers, --preload
    site = Site.start(tmp_path, pg, environment, config)
    try:
        workers = site.wait_for_workers()
        site.warm_up(workers)
        loader = Loader(site.server, "load", tmp_path / "load", LOAD_SECONDS)
        loader.start()
        wait_until(lambda: loader.started_at > 0, 5, "wrk to start")
        time.sleep(max(0.0, loader.started_at + DEATH_AFTER - time.monotonic()))
        assert loader.is_alive(), "the load ended before the kill"
        victim = min(workers & journaling_pids(site.journal_dir))
        copied = kill_with_unwritten_records(victim, site)
        killed_at = time.time()
        assert copied.pending, f"worker {victim}'s journal never held unwritten records"
        assert any(copied.pending), "no request id read from the copied journal (test bug)"
        assert loader.is_alive(), "the load ended before the kill"
        site.record("load", loader.outcome())

        # The master has started a new worker; its writer replays the dead journal.
        wait_until(
            lambda: victim not in site.workers() and len(site.workers()) == config.workers,
            20,
            "gunicorn to replace the killed worker",
        )
        site.nudge(
            lambda: victim not in journaling_pids(site.journal_dir),
            20,
            f"the journal of killed worker {victim} was not replayed",
        )
    finally:
        site.server.stop(60)
    assert site.server.exit_status == 0, site.server.output()
    # Every worker that stopped gracefully deleted its journal; the dead one was replayed.
    assert journal_files(site.journal_dir) == []

    before, after = events_around(pg, killed_at, "load-")
    assert before > 0, "no Event of the load before the kill"
    assert after > 0, "no Event of the load after the kill"
    cut_by_kill = set(copied.logged)

    def allowed(phase: str, found: list[str]) -> str | None:
        if phase == "load":
            # The worker's one request in progress lost its response with the worker.
            by_victim = [request_id for request_id in found if request_id in cut_by_kill]
            if len(by_victim) > 1:
                return f"{len(by_victim)} Events of the killed worker without a 2xx: {by_victim}"
            found = [request_id for request_id in found if request_id not in cut_by_kill]
        return in_flight_bound(site, phase, found)

    summary = check_rows_match_2xx(site, allowed)
    stored = stored_ids(pg)
    # What the dead worker had not committed was written by the replay, exactly once.
    assert all(stored[request_id] == 1 for request_id in copied.pending if request_id)
    print(
        f"gunicorn: killed worker {victim} with {len(copied.pending)} records not committed; "
        f"{summary}"
    )


# uvicorn ----------------------------------------------------------------------------------


@needs("uvicorn")
def test_uvicorn_sigterm_under_load_then_replay_loses_no_event(
    site_db: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    pg, environment = site_db
    config = servers.BY_KEY["uvicorn"]  # plain uvicorn --workers 2, the async view
    assert (config.workers, config.path) == (2, "/async/")
    site = Site.start(tmp_path, pg, environment, config)
    try:
        workers = site.wait_for_workers()
        site.warm_up(workers)
        loader = Loader(site.server, "load", tmp_path / "load", LOAD_SECONDS)
        loader.start()
        wait_until(lambda: loader.started_at > 0, 5, "wrk to start")
        time.sleep(max(0.0, loader.started_at + DEATH_AFTER - time.monotonic()))
        assert loader.is_alive(), "the load ended before SIGTERM"
        terminated_at = time.time()
    finally:
        # SIGTERM to the main process; waits until it and its workers have exited.
        site.server.stop(60)
    # The load may outlast the stop or not (a worker finishing its requests waits for the
    # database): wrk only had to be running when SIGTERM was sent.
    site.record("load", loader.outcome())

    left = journal_owners(site.journal_dir)
    copied = copy_journals(site.journal_dir, left, tmp_path / "copy")
    replayer = subprocess.run(
        [sys.executable, "-m", "tests.journalsite.replayer", "replayer-1"],
        cwd=servers.ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert replayer.returncode == 0, replayer.stdout + replayer.stderr
    replayed = json.loads(replayer.stdout.strip().splitlines()[-1])
    assert (replayed["status"], replayed["echoed"]) == (200, "replayer-1"), replayed
    assert replayed["dead_before"] == left, replayed
    assert replayed["dead_after"] == [], replayed
    site.answered["replayer"] = ["replayer-1"]
    assert journal_files(site.journal_dir) == []

    before, _ = events_around(pg, terminated_at, "load-")
    assert before > 0, "no Event of the load before SIGTERM"

    def allowed(phase: str, found: list[str]) -> str | None:
        return in_flight_bound(site, phase, found)

    summary = check_rows_match_2xx(site, allowed)
    stored = stored_ids(pg)
    assert all(stored[request_id] == 1 for request_id in copied.pending if request_id)
    print(
        f"uvicorn: {len(left)} journals left after SIGTERM, {len(copied.pending)} records "
        f"not committed, replayed {replayed['replayed']}; {summary}"
    )
