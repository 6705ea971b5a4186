"""The read path on PostgreSQL: the documented queries and the admin on a large events table.

Each case is run once with its queries captured (their ``EXPLAIN ANALYZE`` plans must not
scan the events table sequentially), then timed over several calls with varied arguments.
The admin pages are also counted at a small table size, to show their query count is flat.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.bigtable import run_table_steps
from benchmarks.seeding import Seeded, fill_events, seed_events, seed_people

EVENTS_TABLE = "tracking_event"
SEQ_SCAN = re.compile(rf"Seq Scan on {EVENTS_TABLE}\b.*")
INDEX_SCAN = re.compile(
    rf"(Index (Only )?Scan (Backward )?using \S+|Bitmap Heap Scan) on {EVENTS_TABLE}\b"
)
ADMIN_URL = "/admin/tracking/event/"
PAGE_SIZE = 50
TIMELINE_PAGE = 100


class ReadCheckError(RuntimeError):
    """A read-path query returned something other than what was seeded."""


QUERY_TARGET_MS = 10
ADMIN_TARGET_MS = 50
# Not among issue 14's pages (it renders the 300 latest events); its earlier target.
INLINE_TARGET_MS = 300
CHART = re.compile(
    r'<svg class="tracking-chart"[^>]*data-total="(\d+)"[^>]*'
    r'data-start="([^"]+)" data-end="([^"]+)"'
)


@dataclass
class ReadCase:
    label: str
    call: Callable[[int], str]  # runs the query for sample ``k``; returns what was checked
    target_ms: float | None = None  # the median must stay below it
    check: Callable[[], str] | None = None  # checks the last call's page apart, untimed


class LastPage:
    """The page a case's last call rendered and the events its chart should count."""

    def __init__(self) -> None:
        self.html = ""
        self.events: Any = None

    def keep(self, html: str, events: Any) -> None:
        self.html, self.events = html, events

    def check(self) -> str:
        return check_chart(self.html, self.events)


def check_chart(html: str, queryset: Any) -> str:
    """The chart's total equals the events of ``queryset`` in its window (counted apart)."""
    found = CHART.search(html)
    if found is None:
        raise ReadCheckError("the page has no events chart")
    total, start, end = int(found.group(1)), found.group(2), found.group(3)
    counted = queryset.filter(timestamp__gte=start, timestamp__lt=end).count()
    if total != counted:
        raise ReadCheckError(f"the chart shows {total} events, the window holds {counted}")
    return f"chart of {total:,}"


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def captured(call: Callable[[], Any]) -> list[str]:
    """The SQL of every statement ``call`` runs."""
    with CaptureQueriesContext(connection) as context:
        call()
    return [query["sql"] for query in context.captured_queries]


def _events_related_to(seeded: Seeded, page: int | None = None) -> Callable[[int], str]:
    from benchmarks.benchapp.models import Article
    from djangotailoring.tracking.models import Event

    articles = list(Article.objects.filter(pk__in=seeded.articles[:200]))

    def call(k: int) -> str:
        article = articles[k % len(articles)]
        found = list(Event.events_related_to(article)[:page])
        seeded_count = seeded.per_article[article.pk]
        expected = seeded_count if page is None else min(page, seeded_count)
        if len(found) != expected:
            raise ReadCheckError(f"events_related_to: {len(found)} events, expected {expected}")
        if page is None:
            return f"{expected} events of one article"
        return f"the latest {expected} of {seeded_count} events"

    return call


def _latest_named(seeded: Seeded) -> Callable[[int], str]:
    from djangotailoring.tracking.models import Event

    def call(k: int) -> str:
        user_id, name = seeded.pairs[k % len(seeded.pairs)]
        event = Event.objects.for_user(user_id).named(name).latest()
        if event.user_id != user_id or event.name != name:
            raise ReadCheckError("for_user().named().latest() returned another user's event")
        return "user and name match"

    return call


def _latest_event(seeded: Seeded, *, named: bool) -> Callable[[int], str]:
    from benchmarks.benchapp.models import Enrollment

    by_user = {
        enrollment.user_id: enrollment
        for enrollment in Enrollment.objects.select_related("user").filter(
            user_id__in=[user for user, _ in seeded.pairs[:200]]
        )
    }
    pairs = [(user, name) for user, name in seeded.pairs[:200] if user in by_user]

    def call(k: int) -> str:
        user_id, name = pairs[k % len(pairs)]
        event = by_user[user_id].latest_event(name if named else None)
        if event is None or event.user_id != user_id or (named and event.name != name):
            raise ReadCheckError("latest_event() did not find the user's latest event")
        return "user matches"

    return call


def _admin(
    client: Client, seeded: Seeded, last: LastPage, *, filtered: bool
) -> Callable[[int], str]:
    from djangotailoring.tracking.models import Event

    def call(k: int) -> str:
        name = seeded.names[k % len(seeded.names)]
        response = client.get(ADMIN_URL, {"name": name} if filtered else {})
        if response.status_code != 200:
            raise ReadCheckError(f"admin changelist answered {response.status_code}")
        html = response.content.decode()
        rows = html.count('class="field-name"')
        expected = min(PAGE_SIZE, seeded.per_name[name] if filtered else seeded.events)
        if rows != expected:
            raise ReadCheckError(f"admin changelist showed {rows} rows, expected {expected}")
        if filtered and html.count(f'class="field-name">{name}<') != rows:
            raise ReadCheckError("the filtered admin changelist showed other names")
        last.keep(html, Event.objects.named(name) if filtered else Event.objects.all())
        return f"{rows} rows" + (", all of that name" if filtered else "")

    return call


def _timeline(
    client: Client, seeded: Seeded, last: LastPage, *, of_user: bool
) -> Callable[[int], str]:
    from django.contrib.contenttypes.models import ContentType

    from benchmarks.benchapp.models import Article
    from djangotailoring.tracking.models import Event

    article_type = ContentType.objects.get_for_model(Article).pk
    subjects: list[int] = []  # chosen on the first call, once events are seeded

    def choose() -> list[int]:
        if not subjects:
            if of_user:
                subjects.extend(sorted(seeded.users_with_events)[:200])
            else:
                having = [article for article in seeded.articles if seeded.per_article[article]]
                subjects.extend(having[:200])
        return subjects

    def call(k: int) -> str:
        if of_user:
            subject = choose()[k % len(choose())]
            url = f"{ADMIN_URL}timeline/user/{subject}/"
            expected, events = seeded.per_user[subject], Event.objects.filter(user_id=subject)
        else:
            subject = choose()[k % len(choose())]
            url = f"{ADMIN_URL}timeline/object/{article_type}/{subject}/"
            expected = seeded.per_article[subject]
            events = Event.objects.filter(
                related_content_type_id=article_type, related_object_id=str(subject)
            )
        response = client.get(url)
        if response.status_code != 200:
            raise ReadCheckError(f"timeline answered {response.status_code}")
        html = response.content.decode()
        rows = html.count('class="tracking-event"')
        if rows != min(expected, TIMELINE_PAGE):
            raise ReadCheckError(f"timeline showed {rows} events, expected {expected}")
        last.keep(html, events)
        return f"{rows} of {expected} events"

    return call


def _object_page(client: Client, seeded: Seeded) -> Callable[[int], str]:
    from djangotailoring.tracking.admin import EventInline

    def call(k: int) -> str:
        article = seeded.articles[k % len(seeded.articles)]
        response = client.get(f"/admin/benchapp/article/{article}/change/")
        if response.status_code != 200:
            raise ReadCheckError(f"article page answered {response.status_code}")
        rows = response.content.decode().count('<td class="field-name">')
        expected = min(seeded.per_article[article], EventInline.limit)
        if rows != expected:
            raise ReadCheckError(f"the inline showed {rows} events, expected {expected}")
        return f"{rows} latest of {seeded.per_article[article]} events"

    return call


def measure(case: ReadCase, repeats: int) -> dict[str, Any]:
    """Capture and explain one call of ``case``, then time ``repeats`` calls."""
    began = time.perf_counter()
    case.call(0)  # warm: templates, content types, the connection
    verified = ""
    statements = captured(lambda: case.call(1))
    checked = case.check() if case.check is not None else ""
    event_statements = [sql for sql in statements if EVENTS_TABLE in sql]
    plans = [{"sql": sql, "plan": explain(sql)} for sql in event_statements]
    seq_scans = [match.group(0) for plan in plans for match in SEQ_SCAN.finditer(plan["plan"])]
    indexed = bool(plans) and all(INDEX_SCAN.search(plan["plan"]) for plan in plans)
    timings = []
    for k in range(repeats):
        start = time.perf_counter()
        verified = case.call(k)
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "label": case.label,
        "target_ms": case.target_ms,
        "median_ms": statistics.median(timings),
        "samples_ms": timings,
        "queries": len(statements),
        "plans": plans,
        "seq_scans": seq_scans,
        # Every statement on the events table reads it through an index, none scans it.
        "uses_index": indexed and not seq_scans,
        "seconds": time.perf_counter() - began,
        "verified": verified + (f", {checked}" if checked else ""),
    }


def _logged_in_client() -> Client:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("bench-admin", "admin@example.com", "x")
    client = Client()
    client.force_login(admin)
    return client


def run_read_path(config: dict[str, Any], progress: Callable[[str], None]) -> dict[str, Any]:
    """Seed, count the admin's queries at the small size, seed the rest, measure every case."""
    rng = random.Random(20_000)
    total, small = config["read_events"], config["read_small"]
    seeded = seed_people(config["read_users"], config["read_names"])
    client = _logged_in_client()
    charted = {
        "admin changelist + chart, first page": partial(_admin, filtered=False),
        "admin changelist + chart, filtered by name": partial(_admin, filtered=True),
        "admin object timeline": partial(_timeline, of_user=False),
        "admin user timeline": partial(_timeline, of_user=True),
    }
    admin_pages = []
    for label, page in charted.items():
        last = LastPage()
        admin_pages.append(ReadCase(label, page(client, seeded, last), ADMIN_TARGET_MS, last.check))
    admin_pages += [
        ReadCase(
            "admin object page with EventInline", _object_page(client, seeded), INLINE_TARGET_MS
        ),
    ]
    progress(f"read path: seeding {small:,} events")
    seed_events(seeded, small, rng)
    at_small = {case.label: measure(case, 1)["queries"] for case in admin_pages}
    progress(f"read path: seeding {total - small:,} more events (COPY, indexes after)")
    fill = fill_events(seeded, total - small, rng)
    progress(
        "read path: seeded in "
        + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in fill.items())
        + "; measuring"
    )
    target = QUERY_TARGET_MS
    cases = [
        ReadCase("Event.events_related_to(obj)", _events_related_to(seeded), target),
        ReadCase(
            f"Event.events_related_to(obj)[:{PAGE_SIZE}]",
            _events_related_to(seeded, PAGE_SIZE),
            target,
        ),
        ReadCase("for_user(u).named(n).latest()", _latest_named(seeded), target),
        ReadCase("LatestEventMixin.latest_event()", _latest_event(seeded, named=False), target),
        ReadCase("LatestEventMixin.latest_event(name)", _latest_event(seeded, named=True), target),
        *admin_pages,
    ]
    results = [measure(case, config["read_repeats"]) for case in cases]
    events = seeded.events
    table = run_table_steps(config, seeded, rng, progress) if config["table_steps"] else None
    by_label = {result["label"]: result for result in results}
    return {
        "events": events,
        "fill_seconds": fill,
        "table": table,
        "small_events": small,
        "users": len(seeded.users),
        "names": len(seeded.names),
        "cases": results,
        "admin_query_counts": [
            {"label": label, "small": count, "large": by_label[label]["queries"]}
            for label, count in at_small.items()
        ],
    }
