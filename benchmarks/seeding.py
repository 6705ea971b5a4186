"""Filling PostgreSQL fast with COPY: users, articles, enrollments and many events.

The events are random but reproducible (a seeded generator); :class:`Seeded` remembers what
the read path needs to check its answers.
"""

from __future__ import annotations

import datetime
import json
import random
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
    from django.contrib.contenttypes.models import ContentType

    from benchmarks.benchapp.models import Article
    from djangotailoring.tracking.models import Event

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

    copy_rows(Event._meta.db_table, EVENT_COLUMNS, rows())
    seeded.events += count
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Event._meta.db_table}")
