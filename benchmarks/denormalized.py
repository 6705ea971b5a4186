"""The cost an event pays for one denormalized count field: ours against the original's way.

    python -m benchmarks.denormalized                     # SQLite and PostgreSQL
    python -m benchmarks.denormalized --db sqlite -n 5000 --json denormalized.json

Each database (created and removed by the run) is measured in a process of its own. Every
case records ``-n`` events for ``--users`` users (round robin), autocommit:

- ``create_event``, no field: events of a name no field follows (the floor);
- ``create_event``, ours: a ``DenormalizedEventCountField`` on a profile per user
  (one ``UPDATE ... SET visits = visits + 1`` per event);
- ``create_event``, the original's way: a ``post_save`` receiver on Event that runs a
  ``COUNT`` of the user's events and ``save()``\\ s every profile of the user;
- the same three inside one ``transaction.atomic()``: without a commit (a disk flush) per
  event, what is left is the work of the queries themselves;
- ``EventHandler``, no field and ours: the background handler, end to end (until
  ``flush()`` returned), one ``UPDATE`` per field and user of each batch.

Rounds are interleaved (the order rotates each round); the table shows the median. After
every run the events are counted and every profile's count is compared with its user's
events: a case that stored anything else fails loudly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.cli import add_postgres_options
from benchmarks.databases import database_for

FOLLOWED = "ProfileVisited"
NAIVE = "ProfileVisitedNaive"
UNFOLLOWED = "PageViewed"
CASES = {
    "create_event_floor": ("create_event, no field", UNFOLLOWED),
    "create_event_ours": ("create_event, ours (count field)", FOLLOWED),
    "create_event_naive": ("create_event, original's post_save + COUNT + save()", NAIVE),
    "create_event_tx_floor": ("create_event in one transaction, no field", UNFOLLOWED),
    "create_event_tx_ours": ("create_event in one transaction, ours", FOLLOWED),
    "create_event_tx_naive": ("create_event in one transaction, original's", NAIVE),
    "eventhandler_floor": ("EventHandler, no field (end to end)", UNFOLLOWED),
    "eventhandler_ours": ("EventHandler, ours (end to end)", FOLLOWED),
}


def _naive_receiver(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """The original app's receiver: recount, then save every object of the user."""
    from benchmarks.benchapp.models import NaiveProfile
    from djangotailoring.tracking.models import Event

    if instance.name != NAIVE:
        return
    for profile in NaiveProfile.objects.filter(user=instance.user):
        profile.visits = Event.objects.filter(name=instance.name, user=instance.user).count()
        profile.save()


class Runner:
    """The cases on the database of this process's Django settings."""

    def __init__(self, events: int, users: int, directory: str) -> None:
        from django.contrib.auth.models import User

        from benchmarks.benchapp.models import CountedProfile, NaiveProfile

        self.events = events
        self.directory = directory
        #: What the last run of each case stored: events, and the sum of the profiles' counts.
        self.verified: dict[str, dict[str, int]] = {}
        self.users = [User.objects.create_user(f"bench{i}") for i in range(users)]
        for user in self.users:
            CountedProfile.objects.create(user=user)
            NaiveProfile.objects.create(user=user)

    def reset(self) -> None:
        from benchmarks.benchapp.models import CountedProfile, NaiveProfile
        from djangotailoring.tracking.models import Event, WrittenBatch

        Event.objects.all().delete()
        WrittenBatch.objects.all().delete()
        CountedProfile.objects.update(visits=0)
        NaiveProfile.objects.update(visits=0)

    def run(self, key: str) -> float:
        """Run case ``key`` once, verified; its seconds per event."""
        self.reset()
        name = CASES[key][1]
        if key.startswith("create_event"):
            seconds = self._create_event(name, naive=key.endswith("naive"), atomic="_tx_" in key)
        else:
            seconds = self._event_handler(name)
        self.verified[key] = self.verify(key, name)
        return seconds / self.events

    def _create_event(self, name: str, *, naive: bool, atomic: bool) -> float:
        from contextlib import nullcontext

        from django.db import transaction
        from django.db.models.signals import post_save

        from djangotailoring.tracking import create_event
        from djangotailoring.tracking.models import Event

        users = self.users
        if naive:
            post_save.connect(_naive_receiver, sender=Event, dispatch_uid="bench-naive")
        try:
            started = time.perf_counter()
            with transaction.atomic() if atomic else nullcontext():
                for i in range(self.events):
                    create_event(name, user=users[i % len(users)], note=f"item {i}")
            return time.perf_counter() - started
        finally:
            post_save.disconnect(sender=Event, dispatch_uid="bench-naive")

    def _event_handler(self, name: str) -> float:
        from djangotailoring.handlers import EventHandler

        handler = EventHandler(
            spill_path=os.path.join(self.directory, "spill.jsonl"),
            journal_dir=os.path.join(self.directory, "journal"),
        )
        logger = logging.getLogger("benchmarks.denormalized")
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(handler)
        users = self.users
        try:
            started = time.perf_counter()
            for i in range(self.events):
                logger.info(name, extra={"user": users[i % len(users)], "note": f"item {i}"})
            handler.flush()
            return time.perf_counter() - started
        finally:
            logger.removeHandler(handler)
            handler.close()

    def verify(self, key: str, name: str) -> dict[str, int]:
        """Fail unless every event was stored and every profile counts its user's events."""
        from django.db.models import Count

        from benchmarks.benchapp.models import CountedProfile, NaiveProfile
        from djangotailoring.tracking.models import Event

        stored = dict(
            Event.objects.filter(name=name)
            .order_by()
            .values("user")
            .annotate(n=Count("id"))
            .values_list("user", "n")
        )
        if sum(stored.values()) != self.events:
            raise AssertionError(f"{key}: {sum(stored.values())} events stored of {self.events}")
        profiles = {
            FOLLOWED: CountedProfile,
            NAIVE: NaiveProfile,
        }.get(name)
        for model in (CountedProfile, NaiveProfile):
            counts = dict(model.objects.values_list("user", "visits"))
            wanted = stored if model is profiles else dict.fromkeys(stored, 0)
            if counts != wanted:
                raise AssertionError(f"{key}: {model.__name__} counts {counts}, events {wanted}")
        return {
            "events": sum(stored.values()),
            "counted": sum(CountedProfile.objects.values_list("visits", flat=True))
            + sum(NaiveProfile.objects.values_list("visits", flat=True)),
        }


def run_worker(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every case in this process (Django set up from the environment)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="djangotailoring-bench-") as directory:
        runner = Runner(args.events, args.users, directory)
        keys = list(CASES)
        for key in keys:  # warm-up, untimed
            runner.run(key)
        samples: dict[str, list[float]] = {key: [] for key in keys}
        for round_ in range(args.rounds):
            rotated = keys[round_ % len(keys) :] + keys[: round_ % len(keys)]
            for key in rotated:
                samples[key].append(runner.run(key))
    return {"vendor": connection.vendor, "samples": samples, "verified": runner.verified}


def run_database(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run the worker on a fresh database ``name``, in a child process."""
    with database_for(name, args) as environment:
        env = {**os.environ, **environment, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
        command = [
            sys.executable,
            "-m",
            "benchmarks.denormalized",
            "--worker",
            *("-n", str(args.events), "--users", str(args.users), "--rounds", str(args.rounds)),
        ]
        completed = subprocess.run(  # noqa: S603
            command, env=env, capture_output=True, text=True, check=False
        )
    if completed.returncode != 0:
        return {"name": name, "error": completed.stderr.strip()[-2000:]}
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    result["name"] = name
    samples = result.pop("samples")
    result["cases"] = [
        {
            "key": key,
            "label": CASES[key][0],
            "median_us": statistics.median(values) * 1e6,
            "min_us": min(values) * 1e6,
            "max_us": max(values) * 1e6,
            # Each round's time against the floor of the same round, then the median: the
            # machine's drift between rounds cancels out.
            "x_floor": statistics.median(
                value / floor for value, floor in zip(values, samples[_floor(key)], strict=True)
            ),
            "extra_us": statistics.median(
                (value - floor) * 1e6
                for value, floor in zip(values, samples[_floor(key)], strict=True)
            ),
            # Checked by the worker after every run (it exits non-zero when they differ).
            "verified": result["verified"][key],
        }
        for key, values in samples.items()
    ]
    return result


def _floor(key: str) -> str:
    return key.rsplit("_", 1)[0] + "_floor"


def render(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """A plain-text table per database: microseconds per event, and ratios to the floor."""
    lines = [
        f"One denormalized count field: {args.events:,} events, {args.users} users, "
        f"{args.rounds} rounds; medians (of per-round ratios and differences for the last two)"
    ]
    for db in results:
        if "error" in db:
            lines.append(f"{db['name']}: failed:\n{db['error']}")
            continue
        lines.append(f"{db['name']}:")
        lines.append(
            f"  {'case':<54} {'us/event':>9} {'min':>8} {'max':>8} {'x floor':>8} {'+us':>8}"
        )
        for case in db["cases"]:
            lines.append(
                f"  {case['label']:<54} {case['median_us']:9.1f} {case['min_us']:8.1f}"
                f" {case['max_us']:8.1f} {case['x_floor']:7.2f}x {case['extra_us']:8.1f}"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.denormalized", description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("-n", "--events", type=int, default=2_000, help="events per case per round")
    parser.add_argument("--users", type=int, default=10, help="users the events go to")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--smoke", action="store_true", help="100 events, 1 round")
    add_postgres_options(parser, "djangotailoring_bench_denormalized")
    parser.add_argument("--json", metavar="FILE", help="also write all results as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.events, args.rounds = 100, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args)))
        return 0
    names = [name.strip() for name in args.db.split(",") if name.strip()]
    results = [run_database(name, args) for name in names]
    print(render(results, args))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump({"events": args.events, "databases": results}, stream, indent=2)
    return 1 if any("error" in db for db in results) else 0


if __name__ == "__main__":
    sys.exit(main())
