"""``manage.py export_events``: stream events as JSON lines or CSV, in constant memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import islice
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import connections
from django.db.models import Q

from djangotailoring.tracking.management.arguments import (
    add_database_option,
    as_moment,
    as_names,
    parse_moment,
    resolve_user,
)
from djangotailoring.tracking.management.progress import Progress
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import (
    content_types_database,
    events_apart,
    events_database,
    users_database,
)
from djangotailoring.tracking.querysets import EventQuerySet

COLUMNS = (
    "id",
    "timestamp",
    "name",
    "user",
    "username",
    "note",
    "related_content_type",
    "related_object_id",
    "data",
)
CHUNK_SIZE = 2_000
FORMATS = ("jsonl", "csv")


def _rows(events: EventQuerySet[Event], chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """The export columns of ``events`` in (timestamp, id) order, fetched chunk by chunk."""
    username = f"user__{get_user_model().USERNAME_FIELD}"
    apart = events_apart()
    columns = ["id", "timestamp", "name", "user_id", username, "note"]
    if apart:
        # No join reaches the users' database: usernames are looked up per chunk there.
        columns.remove(username)
    values = events.order_by("timestamp", "id").values_list(
        *columns, "related_content_type_id", "related_object_id", "data"
    )
    if connections[events.db].vendor != "mysql":
        # A server-side cursor on PostgreSQL; chunked reads of one statement on SQLite.
        rows: Iterator[tuple[Any, ...]] = values.iterator(chunk_size=chunk_size)
    else:
        # MySQL drivers buffer a whole result set in memory: page by keyset instead.
        rows = keyset_pages(values, chunk_size)
    if not apart:
        yield from rows
        return
    users = get_user_model()._default_manager.using(users_database(events.db))
    for chunk in iter(lambda: list(islice(rows, chunk_size)), []):
        ids = {row[3] for row in chunk} - {None}
        names = dict(users.filter(pk__in=ids).values_list("pk", username[6:])) if ids else {}
        for row in chunk:
            yield (*row[:4], names.get(row[3]), *row[4:])


def keyset_pages(values: Any, chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Rows of ``values`` (``id`` and ``timestamp`` first) by keyset pages of ``chunk_size``."""
    page = list(values[:chunk_size])
    while page:
        yield from page
        last_id, last_timestamp = page[-1][0], page[-1][1]
        after = Q(timestamp__gt=last_timestamp) | Q(timestamp=last_timestamp, id__gt=last_id)
        page = list(values.filter(after)[:chunk_size])


class Command(BaseCommand):
    help = (
        "Write events as JSON lines (default) or CSV to stdout or a file, oldest first, "
        "optionally filtered by time, name and user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="jsonl", help="Default: jsonl.")
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="Write to FILE (default: stdout)."
        )
        parser.add_argument(
            "--since",
            type=parse_moment,
            metavar="DATE",
            help="Only events at or after DATE (ISO 8601 date or date-time).",
        )
        parser.add_argument(
            "--until",
            type=parse_moment,
            metavar="DATE",
            help="Only events at or before DATE (a date includes that whole day).",
        )
        parser.add_argument(
            "--name",
            action="append",
            dest="names",
            metavar="NAME",
            help="Only events with this name (repeatable).",
        )
        parser.add_argument("--user", help="Only events of this user (username or primary key).")
        add_database_option(parser)

    def _events(self, options: dict[str, Any]) -> EventQuerySet[Event]:
        using = events_database(options["database"])
        events = Event.objects.using(using).all()
        since = as_moment(options["since"], "--since")
        until = as_moment(options["until"], "--until")
        if since is not None:
            events = events.since(since.start)
        if until is not None:
            events = (
                events.filter(timestamp__lt=until.next_day)
                if until.is_date
                else events.filter(timestamp__lte=until.start)
            )
        names = as_names(options["names"])
        if names:
            events = events.named(*names)
        if options["user"] is not None:
            try:
                events = events.for_user(resolve_user(str(options["user"]), using))
            except LookupError as error:
                raise CommandError(str(error)) from error
        return events

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] not in FORMATS:
            raise CommandError(
                f"--format must be one of {', '.join(FORMATS)}, not {options['format']!r}."
            )
        events = self._events(options)
        progress = Progress(self.stderr, events.count()) if self.stderr.isatty() else None
        with ExitStack() as stack:
            path: str | None = options["output"]
            if path is None or path == "-":
                target: IO[str] | OutputWrapper = self.stdout
            else:
                try:
                    target = stack.enter_context(open(path, "w", encoding="utf-8", newline=""))
                except OSError as error:
                    raise CommandError(f"Cannot write {path}: {error.strerror}") from error
            count = self._write(events, options["format"], target, progress)
        if progress is not None:
            progress.finish(count)
        if path not in (None, "-"):
            self.stdout.write(f"Exported {count} events to {path}.")

    def _write(
        self,
        events: EventQuerySet[Event],
        fmt: str,
        target: IO[str] | OutputWrapper,
        progress: Progress | None,
    ) -> int:
        content_types = ContentType.objects.db_manager(content_types_database(events.db))
        labels: dict[int, str] = {}

        def label(type_id: int | None) -> str | None:
            if type_id is None:
                return None
            if type_id not in labels:
                model = content_types.get_for_id(type_id)
                labels[type_id] = f"{model.app_label}.{model.model}"
            return labels[type_id]

        buffer = io.StringIO()
        writer = csv.writer(buffer) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(COLUMNS)
        count = 0
        for row in _rows(events, CHUNK_SIZE):
            pk, timestamp, name, user, username, note, type_id, object_id, data = row
            record = (
                pk,
                timestamp.isoformat(),
                name,
                user,
                username,
                note,
                label(type_id),
                object_id,
                data,
            )
            if writer is None:
                buffer.write(
                    json.dumps(dict(zip(COLUMNS, record, strict=True)), ensure_ascii=False)
                )
                buffer.write("\n")
            else:
                writer.writerow(
                    ["" if value is None else value for value in record[:-1]]
                    + [json.dumps(data, ensure_ascii=False)]
                )
            count += 1
            if count % CHUNK_SIZE == 0:
                _drain(buffer, target)
                if progress is not None:
                    progress.show(count)
        _drain(buffer, target)
        return count


def _drain(buffer: io.StringIO, target: IO[str] | OutputWrapper) -> None:
    text = buffer.getvalue()
    if text:
        if isinstance(target, OutputWrapper):
            target.write(text, ending="")
        else:
            target.write(text)
    buffer.seek(0)
    buffer.truncate()
