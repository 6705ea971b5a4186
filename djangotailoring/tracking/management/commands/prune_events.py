"""``manage.py prune_events``: delete old events in bounded batches (retention)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from djangotailoring.tracking.management.arguments import (
    add_batch_size_option,
    add_database_option,
    as_age,
    as_moment,
    as_names,
    as_non_negative_int,
    as_positive_int,
    non_negative_int,
    parse_age,
    parse_moment,
)
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import events_database
from djangotailoring.tracking.querysets import EventQuerySet
from djangotailoring.tracking.retention import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_LOCK_BUDGET,
    CancelledBatches,
    delete_in_batches,
    prunable_events,
)


class Command(BaseCommand):
    help = (
        "Delete events older than an age (--older-than 90d) or a date (--before 2024-01-01), "
        "optionally only some names, in batches of bounded size."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        cutoff = parser.add_mutually_exclusive_group(required=True)
        cutoff.add_argument(
            "--older-than",
            type=parse_age,
            metavar="AGE",
            help="Delete events older than AGE: a number and a unit of s, m, h, d, w (e.g. 90d).",
        )
        cutoff.add_argument(
            "--before",
            type=parse_moment,
            metavar="DATE",
            help="Delete events before DATE (ISO 8601 date or date-time; a date means its "
            "midnight in TIME_ZONE).",
        )
        parser.add_argument(
            "--name",
            action="append",
            dest="names",
            metavar="NAME",
            help="Only delete events with this name (repeatable).",
        )
        add_batch_size_option(parser, DEFAULT_BATCH_SIZE, "Rows deleted")
        parser.add_argument(
            "--lock-budget",
            type=non_negative_int,
            default=round(DEFAULT_LOCK_BUDGET * 1000),
            metavar="MS",
            help="Milliseconds a batch may hold its locks: batches shrink to keep to it, and "
            "on PostgreSQL a DELETE that would take longer is cancelled and retried smaller "
            f"(default {round(DEFAULT_LOCK_BUDGET * 1000)}; 0: no budget, fixed batches).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report how many events would be deleted.",
        )
        add_database_option(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        using = events_database(options["database"])
        age = as_age(options["older_than"])
        before = as_moment(options["before"], "--before")
        if age is not None:
            cutoff = timezone.now() - age
        else:
            assert before is not None  # argparse requires exactly one, even for call_command
            cutoff = before.start
        names = as_names(options["names"])
        batch_size = as_positive_int(options["batch_size"], "--batch-size")
        budget = as_non_negative_int(options["lock_budget"], "--lock-budget")
        events = prunable_events(cutoff, names, using=using)
        what = f"events before {cutoff.isoformat()}" + (
            f" named {', '.join(sorted(set(names)))}" if names else ""
        )

        if options["dry_run"]:
            self._report_dry_run(events, what)
            return
        try:
            deletion = delete_in_batches(events, batch_size, lock_budget=budget / 1000)
        except CancelledBatches as error:
            raise CommandError(str(error)) from error
        retried = (
            f" {deletion.cancelled} batch(es) went over the {budget} ms lock budget and were "
            f"retried smaller (down to {deletion.smallest_batch})."
            if deletion.cancelled
            else ""
        )
        self.stdout.write(
            f"Deleted {deletion.deleted} {what} in {deletion.batches} batch(es).{retried}"
        )

    def _report_dry_run(self, events: EventQuerySet[Event], what: str) -> None:
        per_name = events.order_by().values("name").annotate(count=Count("pk")).order_by("name")
        total = 0
        lines = []
        for row in per_name:
            total += row["count"]
            lines.append(f"  {row['name']}: {row['count']}")
        self.stdout.write(f"Would delete {total} {what} (dry run, nothing deleted).")
        for line in lines:
            self.stdout.write(line)
