"""Events per day (or hour) of any Event QuerySet, over a bounded window of time.

The admin's chart and timelines use it. The window ends at the latest matching event (or at
the upper bound the caller gives) and spans at most ``WINDOW``, so the count groups an index
range of the table, never the whole table: on millions of rows it costs two indexed queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone

__all__ = ["HOURLY_UP_TO", "WINDOW", "Activity", "activity_of"]

WINDOW = datetime.timedelta(days=30)
# Windows up to this long are counted per hour, longer ones per day.
HOURLY_UP_TO = datetime.timedelta(days=2)


@dataclass(frozen=True)
class Activity:
    """How many events fell in each bucket (``"day"`` or ``"hour"``) from ``start`` to ``end``.

    ``buckets`` lists every bucket of the window in order, empty ones with a count of 0.
    """

    kind: str
    start: datetime.datetime
    end: datetime.datetime
    buckets: list[tuple[datetime.datetime, int]]

    @property
    def total(self) -> int:
        """The number of events in the window."""
        return sum(count for _, count in self.buckets)


def _floor(moment: datetime.datetime, kind: str) -> datetime.datetime:
    moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if kind == "day" else moment


def _step(kind: str) -> datetime.timedelta:
    return datetime.timedelta(days=1) if kind == "day" else datetime.timedelta(hours=1)


def _span(
    since: datetime.datetime | None, until: datetime.datetime
) -> tuple[datetime.datetime, str]:
    start = until - WINDOW if since is None else max(since, until - WINDOW)
    return start, "hour" if until - start <= HOURLY_UP_TO else "day"


def activity_of(
    queryset: QuerySet[Any],
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    latest: datetime.datetime | None = None,
) -> Activity | None:
    """Count the events of ``queryset`` per bucket; ``None`` when it has none.

    ``since`` and ``until`` bound the window (``until`` exclusive, as the admin's date
    filter); without ``until`` the window ends with the latest event of ``queryset`` (pass
    it as ``latest`` when it is known, to save a query). The window spans at most
    :data:`WINDOW`, counted back from its end.
    """
    unordered = queryset.order_by()
    if until is None:
        if latest is None:
            latest = (
                queryset.order_by("-timestamp", "-id").values_list("timestamp", flat=True).first()
            )
        if latest is None:
            return None
        until = latest + datetime.timedelta(microseconds=1)
    start, kind = _span(since, until)
    rows = (
        unordered.filter(timestamp__gte=start, timestamp__lt=until)
        .annotate(bucket=Trunc("timestamp", kind))
        .values("bucket")
        .annotate(count=Count("id"))
        .values_list("bucket", "count")
    )
    counted: dict[datetime.datetime, int] = {}
    for bucket, count in rows:
        # A database that cannot convert time zones (MySQL without its zone tables) gives NULL.
        if bucket is not None:
            key = _floor(bucket, kind)
            counted[key] = counted.get(key, 0) + count
    first, step = _floor(start, kind), _step(kind)
    buckets = []
    moment = first
    while moment < until:
        buckets.append((moment, counted.get(moment, 0)))
        # Wall-clock arithmetic: a day is midnight to midnight, also across DST changes.
        moment += step
    return Activity(kind, start, until, buckets)
