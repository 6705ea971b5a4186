"""Events per day (or hour) of any Event QuerySet, over a bounded window of time.

The admin's chart and timelines use it. The window ends at the latest matching event (or at
the upper bound the caller gives) and spans at most ``WINDOW``, and it holds at most
``BUDGET`` events: where more events than that fall in it, it starts later, at the first
whole bucket after the ``BUDGET + 1``-th newest event (and says so: ``Activity.narrowed``).
So the count reads a bounded range of an index, however large the table and however busy
the month: at most three indexed queries of at most ``BUDGET`` entries each.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import Trunc
from django.utils import timezone

__all__ = ["BUDGET", "HOURLY_UP_TO", "WINDOW", "Activity", "activity_of"]

WINDOW = datetime.timedelta(days=30)
# At most this many events are counted for one chart (about 10 ms on PostgreSQL).
BUDGET = 25_000
# Windows up to this long are counted per hour, longer ones per day.
HOURLY_UP_TO = datetime.timedelta(days=2)


@dataclass(frozen=True)
class Activity:
    """How many events fell in each bucket (``"day"`` or ``"hour"``) from ``start`` to ``end``.

    ``buckets`` lists every bucket of the window in order, empty ones with a count of 0.
    ``narrowed`` is true when the window starts later than asked, to count at most
    :data:`BUDGET` events.
    """

    kind: str
    start: datetime.datetime
    end: datetime.datetime
    buckets: list[tuple[datetime.datetime, int]]
    narrowed: bool = False

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
    :data:`WINDOW`, counted back from its end, and holds at most :data:`BUDGET` events
    (whole buckets of the newest ones).
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
    start, kind, narrowed = _within_budget(unordered, start, kind, until)
    rows = (
        unordered.filter(timestamp__gte=start, timestamp__lt=until)
        .annotate(bucket=Trunc("timestamp", kind))
        .values("bucket")
        # COUNT(*), not of a column: an index that holds the filter's columns answers alone.
        .annotate(count=Count("*"))
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
    return Activity(kind, start, until, buckets, narrowed)


def _within_budget(
    unordered: QuerySet[Any], start: datetime.datetime, kind: str, until: datetime.datetime
) -> tuple[datetime.datetime, str, bool]:
    """``(start, kind, narrowed)`` of a window from ``start`` that holds at most ``BUDGET``
    events: the timestamp of the ``BUDGET + 1``-th newest one (one bounded index scan), when
    it is in the window, moves the start to the first whole bucket after it."""
    beyond = (
        unordered.filter(timestamp__gte=start, timestamp__lt=until)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)[BUDGET : BUDGET + 1]
    )
    last_out = next(iter(beyond), None)
    if last_out is None:
        return start, kind, False
    kind = "hour" if until - last_out <= HOURLY_UP_TO else "day"
    later = _floor(last_out, kind) + _step(kind)
    if later >= until:
        # More than BUDGET events in the newest hour: that hour is counted whole.
        return _floor(until - datetime.timedelta(microseconds=1), "hour"), "hour", True
    return later, kind, True
