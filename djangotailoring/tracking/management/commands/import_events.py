"""``manage.py import_events``: load what ``export_events`` wrote (JSON lines), in constant memory.

It moves events to another database (``TRACKING_DATABASE``): export from the old one, import
into the new one. Events keep their ids, so importing the same file again (after an
interruption, say) skips what is there already. A user that does not exist where users are
is kept as ``data["user"]`` (``{"pk": ..., "username": ...}``, as for a deleted user).
Fields that follow events are not updated: run ``refresh_event_fields`` afterwards.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connections, transaction
from django.utils.dateparse import parse_datetime

from djangotailoring.tracking.management.arguments import (
    add_batch_size_option,
    add_database_option,
    as_positive_int,
)
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import (
    content_types_database,
    events_database,
    users_database,
)

__all__ = ["Command", "parse_line"]

BATCH_SIZE = 2_000
REQUIRED = ("id", "timestamp", "name")


def parse_line(line: str, number: int) -> dict[str, Any]:
    """One exported event; ``ValueError`` saying what is wrong with line ``number``."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"line {number} is not JSON ({error.msg})") from None
    if not isinstance(row, dict) or any(key not in row for key in REQUIRED):
        raise ValueError(f"line {number} is not an exported event (needs {', '.join(REQUIRED)})")
    if not isinstance(row["id"], int) or isinstance(row["id"], bool) or row["id"] < 1:
        raise ValueError(f"line {number}: id must be a positive integer, not {row['id']!r}")
    try:
        moment = parse_datetime(str(row["timestamp"]))
    except ValueError:  # well formed, but not a real moment (a 13th month)
        moment = None
    if moment is None:
        raise ValueError(f"line {number}: timestamp {row['timestamp']!r} is not ISO 8601")
    row["timestamp"] = moment
    if not isinstance(row.get("data", {}), dict):
        raise ValueError(f"line {number}: data must be a JSON object")
    return row


class Command(BaseCommand):
    help = (
        "Import events that export_events wrote as JSON lines (a file, or - for stdin) into "
        "the events' database, keeping their ids; events already there are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", help="The JSON lines file of export_events, or - for stdin.")
        add_batch_size_option(parser, BATCH_SIZE, "Events")
        add_database_option(parser, "The database to import into")

    def handle(self, *args: Any, **options: Any) -> None:
        using = events_database(options["database"])
        batch_size = as_positive_int(options["batch_size"], "--batch-size")
        importer = _Importer(using)
        with ExitStack() as stack:
            path = str(options["input"])
            if path == "-":
                source: IO[str] = sys.stdin
            else:
                try:
                    source = stack.enter_context(open(path, encoding="utf-8"))
                except OSError as error:
                    raise CommandError(f"Cannot read {path}: {error.strerror}") from error
            batch: list[dict[str, Any]] = []
            try:
                for row in _rows(source):
                    batch.append(row)
                    if len(batch) >= batch_size:
                        importer.save(batch)
                        batch = []
            except ValueError as error:
                raise CommandError(
                    f"{error}. The {importer.read} events before it were imported (importing "
                    "the file again skips them)."
                ) from None
            importer.save(batch)
        importer.finish()
        self.stdout.write(
            f"Imported {importer.created} events into {using!r} "
            f"({importer.read - importer.created} were there already)."
        )


def _rows(source: IO[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(source, 1):
        if line.strip():
            yield parse_line(line, number)


class _Importer:
    def __init__(self, using: str) -> None:
        self.using = using
        self.read = self.created = 0
        self._types: dict[str, int | None] = {}
        self._types_manager = ContentType.objects.db_manager(content_types_database(using))
        self._users = get_user_model()._default_manager.using(users_database(using))

    def _user_key(self, value: Any) -> Any:
        if value is None:
            return None
        pk = self._users.model._meta.pk
        assert pk is not None
        try:
            return pk.to_python(value)
        except (ValidationError, ValueError, TypeError):
            return None

    def _type_id(self, label: Any) -> int | None:
        if not isinstance(label, str) or "." not in label:
            return None
        if label not in self._types:
            app_label, model = label.split(".", 1)
            found = self._types_manager.filter(app_label=app_label, model=model).first()
            self._types[label] = None if found is None else found.pk
        return self._types[label]

    def save(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        ids = [row["id"] for row in rows]
        present = set(
            Event.objects.using(self.using).filter(pk__in=ids).values_list("pk", flat=True)
        )
        wanted = [
            key for key in {self._user_key(row.get("user")) for row in rows} if key is not None
        ]
        users = set(self._users.filter(pk__in=wanted).values_list("pk", flat=True))
        events = []
        for row in rows:
            if row["id"] in present:
                continue
            data = dict(row.get("data") or {})
            user = self._user_key(row.get("user"))
            if user is not None and user not in users:
                data["user"] = {"pk": row.get("user"), "username": row.get("username")}
                user = None
            events.append(
                Event(
                    id=row["id"],
                    timestamp=_aware(row["timestamp"]),
                    name=str(row["name"]),
                    user_id=user,
                    note=str(row.get("note") or ""),
                    related_content_type_id=self._type_id(row.get("related_content_type")),
                    related_object_id=row.get("related_object_id"),
                    data=data,
                )
            )
        with transaction.atomic(using=self.using):
            Event.objects.using(self.using).bulk_create(events, ignore_conflicts=True)
        self.read += len(rows)
        self.created += len(events)

    def finish(self) -> None:
        """Move the id sequence past the imported ids (PostgreSQL; others follow by themselves)."""
        connection = connections[self.using]
        statements = connection.ops.sequence_reset_sql(no_style(), [Event])
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    from django.conf import settings
    from django.utils import timezone

    if settings.USE_TZ and timezone.is_naive(moment):
        return timezone.make_aware(moment, datetime.timezone.utc)
    if not settings.USE_TZ and timezone.is_aware(moment):
        return timezone.make_naive(moment)
    return moment
