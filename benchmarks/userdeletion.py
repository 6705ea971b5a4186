"""What deleting a user with many events costs: ours against the ways that load them.

``python -m benchmarks.userdeletion [--db postgres|sqlite] [-n 100000] [--rounds 3]`` times,
in interleaved rounds on a fresh database, the deletion of a user who has ``n`` events:

- ``djangotailoring``: ``user.delete()`` with the library's receiver (one ``UPDATE`` writes
  the user's reference into ``data["user"]``, then Django's ``SET NULL``);
- ``SET NULL only``: ``user.delete()`` with that receiver disconnected (what deleting cost
  before, and keeps no reference);
- ``Python batches``: the reference written by loading the events in batches of 2,000 and
  saving them with ``bulk_update`` (how one would do it in Python), then ``user.delete()``.

Each case checks afterwards that its ``n`` events have no user and (but ``SET NULL only``)
the reference; a case that stored anything else fails the run (exit status 1). The table
shows the median time and its ratio to ``djangotailoring``, and the peak memory of the
deletion's Python process is reported per case.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from benchmarks.cli import add_postgres_options

CASES = ("djangotailoring", "SET NULL only", "Python batches")


def _seed(username: str, events: int) -> Any:
    from django.contrib.auth.models import User

    from djangotailoring.tracking.models import Event

    user = User.objects.create_user(username)
    Event.objects.bulk_create(
        (Event(name="PageViewed", user=user, data={"n": i}) for i in range(events)),
        batch_size=5000,
    )
    return user


def _python_batches(user: Any) -> None:
    from djangotailoring.tracking.deletedusers import user_reference
    from djangotailoring.tracking.models import Event

    reference = user_reference(user)
    batch = []
    for event in Event.objects.filter(user=user).only("id", "data").iterator(chunk_size=2000):
        event.data = {**event.data, "user": reference}
        batch.append(event)
        if len(batch) == 2000:
            Event.objects.bulk_update(batch, ["data"])
            batch = []
    if batch:
        Event.objects.bulk_update(batch, ["data"])
    user.delete()


def _delete(case: str, user: Any) -> Callable[[], None]:
    from django.contrib.auth.models import User
    from django.db.models.signals import pre_delete

    from djangotailoring.tracking import deletedusers

    def run() -> None:
        if case == "djangotailoring":
            user.delete()
        elif case == "SET NULL only":
            pre_delete.disconnect(sender=User, dispatch_uid="djangotailoring.tracking.deletedusers")
            try:
                user.delete()
            finally:
                deletedusers.connect()
        else:
            pre_delete.disconnect(sender=User, dispatch_uid="djangotailoring.tracking.deletedusers")
            try:
                _python_batches(user)
            finally:
                deletedusers.connect()

    return run


def _verified(case: str, username: str, events: int) -> bool:
    from djangotailoring.tracking.models import Event

    orphans = Event.objects.filter(user=None, data__n__gte=0)
    if case == "SET NULL only":
        return orphans.filter(data__user__isnull=True).count() >= events
    return orphans.filter(data__user__username=username).count() == events


def measure(events: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """``{case: [(seconds, peak MiB), ...]}``, one sample per round, cases rotated."""
    from django.db import connection

    from djangotailoring.tracking.models import Event

    samples: dict[str, list[tuple[float, float]]] = {case: [] for case in CASES}
    for number in range(rounds):
        order = CASES[number % 3 :] + CASES[: number % 3]
        for case in order:
            username = f"user-{number}-{CASES.index(case)}"
            user = _seed(username, events)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE tracking_event")
            run = _delete(case, user)
            tracemalloc.start()
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            if not _verified(case, username, events):
                raise SystemExit(f"{case}: the events do not hold what the case claims")
            samples[case].append((elapsed, peak))
            Event.objects.all().delete()
            print(f"  round {number + 1} {case}: {elapsed:.3f} s", file=sys.stderr)
    return samples


def table(samples: dict[str, list[tuple[float, float]]], events: int, vendor: str) -> str:
    """The results as a reST table."""
    ours = statistics.median(s for s, _ in samples["djangotailoring"])
    lines = [
        f"Deleting a user with {events:,} events ({vendor}, median of {len(samples[CASES[0]])})",
        "",
        "==================  ==========  ==========  ================",
        "case                time (s)    ratio       peak Python MiB",
        "==================  ==========  ==========  ================",
    ]
    for case in CASES:
        seconds = statistics.median(s for s, _ in samples[case])
        peak = max(p for _, p in samples[case])
        lines.append(f"{case:<18}  {seconds:>10.3f}  {seconds / ours:>9.2f}x  {peak:>16.1f}")
    lines.append("==================  ==========  ==========  ================")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.userdeletion")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("-n", "--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    add_postgres_options(parser, "djangotailoring_bench_userdeletion")
    args = parser.parse_args(argv)

    from benchmarks.databases import database_for

    database = database_for(args.db, args)
    with database as environment:
        os.environ.update(environment)
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", verbosity=0)
        try:
            samples = measure(args.events, args.rounds)
            print(table(samples, args.events, connection.vendor))
        finally:
            connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
