"""Filling PostgreSQL fast with COPY: users, articles, enrollments and many events.

The events are random but reproducible (a seeded generator); :class:`Seeded` remembers what
the read path needs to check its answers.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

EVENT_COLUMNS = (
    "user_id",
    "name",
    "timestamp",
    "note",
    "related_content_type_id",
    "related_object_id",
    "data",
)
YEAR_SECONDS = 365 * 24 * 3600
SAMPLE_PAIRS = 1_000
EVENTS_TABLE = "tracking_event"


@dataclass
class Seeded:
    """What was written, for checking the answers of the read path."""

    users: list[int]
    articles: list[int]
    names: list[str]
    events: int = 0
    per_article: Counter[int] = field(default_factory=Counter)
    per_name: Counter[str] = field(default_factory=Counter)
    per_user: Counter[int] = field(default_factory=Counter)
    users_with_events: set[int] = field(default_factory=set)
    pairs: list[tuple[int, str]] = field(default_factory=list)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY`` ``rows`` into ``table`` through the Django connection's psycopg cursor."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _ids(table: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} ORDER BY id DESC LIMIT %s", [count])
        return sorted(row[0] for row in cursor.fetchall())


def seed_people(users: int, names: int) -> Seeded:
    """Create ``users`` users, as many articles, one enrollment per user, and ``names`` names."""
    from django.contrib.auth import get_user_model

    from benchmarks.benchapp.models import Article, Enrollment

    user_table = get_user_model()._meta.db_table
    joined = timezone.now()
    copy_rows(
        user_table,
        (
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ),
        (
            ("!", False, f"user{i:06d}", "", "", f"user{i}@example.com", False, True, joined)
            for i in range(users)
        ),
    )
    user_ids = _ids(user_table, users)
    copy_rows(Article._meta.db_table, ("title",), ((f"Article {i}",) for i in range(users)))
    copy_rows(Enrollment._meta.db_table, ("user_id",), ((user_id,) for user_id in user_ids))
    return Seeded(
        users=user_ids,
        articles=_ids(Article._meta.db_table, users),
        names=[f"Event{i:03d}" for i in range(names)],
    )


def seed_events(seeded: Seeded, count: int, rng: random.Random) -> None:
    """Add ``count`` events spread over a year, each with a user, a name and an article."""
    copy_events(seeded, count, rng)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {EVENTS_TABLE}")


def copy_events(seeded: Seeded, count: int, rng: random.Random) -> None:
    """``COPY`` ``count`` random events (streamed: no row is kept), counting them in ``seeded``."""
    from django.contrib.contenttypes.models import ContentType

    from benchmarks.benchapp.models import Article

    article_type = ContentType.objects.get_for_model(Article).pk
    now = timezone.now()
    data = json.dumps({"source": "seed"})

    def rows() -> Iterable[tuple[Any, ...]]:
        for _ in range(count):
            user = rng.choice(seeded.users)
            name = rng.choice(seeded.names)
            article = rng.choice(seeded.articles)
            moment = now - datetime.timedelta(seconds=rng.randrange(YEAR_SECONDS))
            seeded.per_article[article] += 1
            seeded.per_name[name] += 1
            seeded.per_user[user] += 1
            seeded.users_with_events.add(user)
            if len(seeded.pairs) < SAMPLE_PAIRS:
                seeded.pairs.append((user, name))
            yield (user, name, moment, "", article_type, str(article), data)

    copy_rows(EVENTS_TABLE, EVENT_COLUMNS, rows())
    seeded.events += count


def fill_events(seeded: Seeded, count: int, rng: random.Random) -> dict[str, float]:
    """Seed ``count`` events as a bulk load does: without the secondary indexes and foreign
    keys, then build them again and ``VACUUM ANALYZE``; return the seconds of each step.

    The table ends with exactly the indexes and constraints it had (checked).
    """
    with connection.cursor() as cursor:
        before = _schema(cursor)
        foreign_keys, indexes = before
        for name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {EVENTS_TABLE} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    seconds = {}
    started = time.perf_counter()
    copy_events(seeded, count, rng)
    seconds["copy"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        # A session setting: sorts for the index builds in memory rather than on disk.
        cursor.execute("SET maintenance_work_mem = '512MB'")
        started = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        seconds["indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {EVENTS_TABLE} ADD CONSTRAINT {name} {definition}")
        seconds["foreign_keys"] = time.perf_counter() - started
        cursor.execute("RESET maintenance_work_mem")
        started = time.perf_counter()
        cursor.execute(f"VACUUM ANALYZE {EVENTS_TABLE}")
        seconds["vacuum_analyze"] = time.perf_counter() - started
        if _schema(cursor) != before:
            raise RuntimeError("the events table lost an index or a constraint in the fill")
    return seconds


Schema = tuple[list[tuple[str, str]], list[tuple[str, str]]]


def _schema(cursor: Any) -> Schema:
    """The events table's foreign keys and secondary indexes: (name, definition), sorted."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [EVENTS_TABLE],
    )
    foreign_keys = [tuple(row) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u')) ORDER BY indexname",
        [EVENTS_TABLE, EVENTS_TABLE],
    )
    return foreign_keys, [tuple(row) for row in cursor.fetchall()]
