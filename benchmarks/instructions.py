"""Instructions per record, counted by callgrind: stable where timings are noisy.

``python -m benchmarks.instructions`` runs a small child process under valgrind's callgrind
tool several times and reports differences of its total instruction count, per record:

- *caller*: what one ``logger.info(...)`` costs the thread that logs (the child logs
  ``2 * n`` records and ``n`` records, nothing flushed; the difference divided by ``n``);
- *caller + writer*: the same log calls and everything the writer does to commit them (the
  child logs and flushes ``2 * n`` and ``n`` records into PostgreSQL).

For ``NullHandler``, ``FileHandler``, ``EventHandler`` (journal on, its default) and
``EventHandler(journal=False)``. The child's start (Django's setup, the first connection,
the first batch) is the same in both runs of a pair and drops out of the difference (the
database is migrated once beforehand, uncounted). Every
flushed run counts its rows afterwards: a run that stored fewer than it logged fails.
Needs ``valgrind`` (Debian's package) and PostgreSQL, as ``python -m benchmarks`` does; it
takes about two minutes per handler.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from benchmarks.databases import PostgresServer, postgres_database

HANDLERS = ("null", "file", "eventhandler", "eventhandler_nojournal")
_REFS = re.compile(r"refs:\s+([\d,]+)")


def _child(kind: str, records: int, flush: bool) -> int:
    """Log ``records`` records through ``kind`` (and flush them); exit at once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from djangotailoring.handlers import EventHandler
    from djangotailoring.tracking.models import Event

    folder = tempfile.mkdtemp(prefix="djangotailoring-instructions-")
    handler: logging.Handler
    if kind == "null":
        handler = logging.NullHandler()
    elif kind == "file":
        handler = logging.FileHandler(os.path.join(folder, "records.log"))
    else:
        handler = EventHandler(
            journal=kind == "eventhandler",
            journal_dir=os.path.join(folder, "journal"),
            spill_path=os.path.join(folder, "spill.jsonl"),
            queue_size=max(10_000, 4 * records),
            flush_interval=3600,
        )
    logger = logging.getLogger("benchmarks.instructions")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    info = logger.info
    info("PageViewed", extra={"note": "warm-up"})
    handler.flush()
    Event.objects.all().delete()
    for i in range(records):
        info("PageViewed", extra={"note": f"item {i}"})
    if flush:
        handler.flush()
        stored = Event.objects.count()
        if stored != records:
            print(f"stored {stored} of {records} records", file=sys.stderr)
            os._exit(1)
    # No clean-up: both runs of a pair end the same way, at once.
    os._exit(0)


def _count(env: dict[str, str], kind: str, records: int, flush: bool) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        kind,
        str(records),
        "flush" if flush else "log",
    ]
    environment = {**os.environ, **env, "PYTHONHASHSEED": "0"}
    # The command is this module's own, with values it made: no untrusted input.
    done = subprocess.run(command, env=environment, capture_output=True, text=True)  # noqa: S603
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"{kind}: the counted run failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def _per_record(env: dict[str, str], kind: str, n: int, flush: bool) -> float:
    return (_count(env, kind, 2 * n, flush) - _count(env, kind, n, flush)) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions")
    parser.add_argument("-n", "--records", type=int, default=4000, help="records per step")
    parser.add_argument("--handlers", default=",".join(HANDLERS), help=", ".join(HANDLERS))
    parser.add_argument("--pg-name", default="djangotailoring_instructions")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", default="5432")
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, records, mode = args.child
        return _child(kind, int(records), mode == "flush")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 3
    kinds = [kind for kind in args.handlers.split(",") if kind]
    unknown = set(kinds) - set(HANDLERS)
    if unknown:
        parser.error(f"unknown handlers: {', '.join(sorted(unknown))}")
    server = PostgresServer.from_args(args)
    rows: list[tuple[str, Any, Any]] = []
    with postgres_database(server) as env:
        # Migrated once, uncounted: no counted run creates the tables.
        subprocess.run(
            [sys.executable, "-m", "benchmarks.instructions", "--child", "null", "1", "log"],
            env={**os.environ, **env},
            check=True,
        )
        for kind in kinds:
            caller = _per_record(env, kind, args.records, flush=False)
            both = _per_record(env, kind, args.records, flush=True) if "event" in kind else None
            rows.append((kind, caller, both))
            print(f"  {kind}: caller {caller:,.0f}", file=sys.stderr, flush=True)
    null = next((caller for kind, caller, _ in rows if kind == "null"), None)
    print(f"Instructions per record (callgrind; {args.records:,} and {2 * args.records:,} records)")
    print()
    print("| handler | caller | x Null | caller + writer (PostgreSQL) | writer |")
    print("|---|---|---|---|---|")
    for kind, caller, both in rows:
        ratio = f"{caller / null:.2f}x" if null else "-"
        total = f"{both:,.0f}" if both is not None else "-"
        writer = f"{both - caller:,.0f}" if both is not None else "-"
        print(f"| {kind} | {caller:,.0f} | {ratio} | {total} | {writer} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
