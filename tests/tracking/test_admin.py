from __future__ import annotations

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djangotailoring.tracking import create_event, create_events
from djangotailoring.tracking.admin import EventAdmin, EventInline
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:tracking_event_changelist"


def seed(count: int) -> None:
    users = [User.objects.get_or_create(username=f"user{i}")[0] for i in range(3)]
    target = IntTarget.objects.first() or IntTarget.objects.create()
    create_events(
        {
            "name": f"Name{i % 4}",
            "user": users[i % 3],
            "related_object": target,
            "note": f"note {i}",
        }
        for i in range(count)
    )


def changelist_queries(client: Client, query: str = "") -> int:
    url = reverse(CHANGELIST) + query
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_changelist_renders_events(admin_client_logged_in: Client) -> None:
    seed(5)
    response = admin_client_logged_in.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert b"Name1" in response.content


def test_changelist_query_count_does_not_grow_with_the_table(
    admin_client_logged_in: Client,
) -> None:
    seed(10)
    small = changelist_queries(admin_client_logged_in)
    seed(300)
    large = changelist_queries(admin_client_logged_in)
    assert large == small


def test_changelist_never_counts_the_whole_table(admin_client_logged_in: Client) -> None:
    seed(20)
    with CaptureQueriesContext(connection) as captured:
        admin_client_logged_in.get(reverse(CHANGELIST))
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    # Every count is cut by a LIMIT, or (the chart's) by a window of the timestamp index.
    windowed = [re.compile(r"""["`]timestamp["`] >= """), re.compile(r"""["`]timestamp["`] < """)]
    assert all(
        "LIMIT" in sql.upper()
        or all(bound.search(sql) for bound in windowed)
        or "tracking_event" not in sql
        for sql in counts
    ), counts
    assert counts


@pytest.mark.parametrize(
    "query", ["?name=Name1", "?q=note+1", "?q=user1", "?timestamp__gte=2000-01-01T00:00:00%2B00:00"]
)
def test_filters_and_search_render(admin_client_logged_in: Client, query: str) -> None:
    seed(8)
    response = admin_client_logged_in.get(reverse(CHANGELIST) + query)
    assert response.status_code == 200


def test_name_filter_filters(admin_client_logged_in: Client) -> None:
    seed(8)
    response = admin_client_logged_in.get(reverse(CHANGELIST) + "?name=Name2")
    names = {event.name for event in response.context["cl"].result_list}
    assert names == {"Name2"}


def test_search_by_username(admin_client_logged_in: Client) -> None:
    seed(9)
    response = admin_client_logged_in.get(reverse(CHANGELIST) + "?q=user2")
    users = {event.user.username for event in response.context["cl"].result_list}
    assert users == {"user2"}


def test_change_view_renders_read_only(admin_client_logged_in: Client) -> None:
    seed(1)
    event = Event.objects.get(name="Name0")
    response = admin_client_logged_in.get(reverse("admin:tracking_event_change", args=[event.pk]))
    assert response.status_code == 200
    assert b"Name0" in response.content
    assert b'name="name"' not in response.content


def test_admin_is_read_only(admin_client_logged_in: Client) -> None:
    assert admin_client_logged_in.get(reverse("admin:tracking_event_add")).status_code == 403
    model_admin = EventAdmin(Event, None)  # type: ignore[arg-type]
    assert not model_admin.has_add_permission(None)  # type: ignore[arg-type]
    assert not model_admin.has_change_permission(None)  # type: ignore[arg-type]
    assert not model_admin.has_delete_permission(None)  # type: ignore[arg-type]


def test_inline_shows_an_objects_events(admin_client_logged_in: Client) -> None:
    seed(3)
    target = IntTarget.objects.get()
    response = admin_client_logged_in.get(
        reverse("admin:testapp_inttarget_change", args=[target.pk])
    )
    assert response.status_code == 200
    assert b"Name2" in response.content
    assert EventInline.model is Event


def page_of(client: Client, url: str) -> tuple[int, int]:
    """The number of queries and the size in bytes of the page at ``url``."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), len(response.content)


def test_changelist_shows_the_related_objects_description(admin_client_logged_in: Client) -> None:
    seed(2)
    response = admin_client_logged_in.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert ">IntTarget int</a>" in html
    assert "Testapp | int target" not in html
    target = IntTarget.objects.get()
    assert f"/timeline/object/{ContentType.objects.get_for_model(target).pk}/{target.pk}/" in html


def test_related_description_survives_the_object(admin_client_logged_in: Client) -> None:
    seed(1)
    IntTarget.objects.all().delete()
    html = admin_client_logged_in.get(reverse(CHANGELIST)).content.decode()
    assert ">IntTarget int</a>" in html


def test_change_view_pretty_prints_data(admin_client_logged_in: Client) -> None:
    target = IntTarget.objects.create()
    event = create_event("Nested", related_object=target, data={"a": {"b": [1, "<x>"]}})
    response = admin_client_logged_in.get(reverse("admin:tracking_event_change", args=[event.pk]))
    html = response.content.decode()
    assert '<pre class="tracking-data">{\n  &quot;a&quot;: {\n    &quot;b&quot;: [' in html
    assert "&lt;x&gt;" in html
    assert "<x>" not in html


def test_long_notes_are_cut_in_the_list(admin_client_logged_in: Client) -> None:
    create_event("Long", note="x" * 255)
    html = admin_client_logged_in.get(reverse(CHANGELIST)).content.decode()
    assert "x" * 79 + "…" in html
    assert "x" * 81 not in html


@pytest.mark.parametrize("size", [10, 2_000])
def test_changelist_with_chart_has_a_bounded_query_count(
    admin_client_logged_in: Client, size: int
) -> None:
    seed(size)
    queries, _ = page_of(admin_client_logged_in, reverse(CHANGELIST))
    # session, user, name choices, bounded count, page, the chart's budget probe and buckets
    assert queries <= 7


def test_changelist_query_count_is_the_same_at_10_and_2000_events(
    admin_client_logged_in: Client,
) -> None:
    seed(10)
    small = page_of(admin_client_logged_in, reverse(CHANGELIST) + "?name=Name1")[0]
    seed(1_990)
    assert page_of(admin_client_logged_in, reverse(CHANGELIST) + "?name=Name1")[0] == small


def inline_page(client: Client) -> tuple[int, int]:
    target = IntTarget.objects.get()
    return page_of(client, reverse("admin:testapp_inttarget_change", args=[target.pk]))


def test_inline_shows_only_the_latest_events(admin_client_logged_in: Client) -> None:
    seed(EventInline.limit + 15)
    target = IntTarget.objects.get()
    response = admin_client_logged_in.get(
        reverse("admin:testapp_inttarget_change", args=[target.pk])
    )
    html = response.content.decode()
    latest = list(Event.objects.related_to(target).values_list("note", flat=True))
    shown = [note for note in latest if f">{note}<" in html]
    assert shown == latest[: EventInline.limit]


def test_inline_page_size_and_queries_do_not_grow_with_the_events(
    admin_client_logged_in: Client,
) -> None:
    seed(10)
    queries_small, size_small = inline_page(admin_client_logged_in)
    seed(EventInline.limit - 10)
    queries_full, size_full = inline_page(admin_client_logged_in)
    seed(2_000 - EventInline.limit)
    queries_large, size_large = inline_page(admin_client_logged_in)
    assert queries_small == queries_full == queries_large
    # Past the limit the page stops growing: only the digits of the notes differ.
    assert size_small < size_full
    assert abs(size_large - size_full) < 200, (size_full, size_large)


def test_inline_links_to_the_filtered_changelist(admin_client_logged_in: Client) -> None:
    seed(3)
    other = IntTarget.objects.create(label="other")
    create_event("ForOther", related_object=other)
    target = IntTarget.objects.exclude(pk=other.pk).get()
    response = admin_client_logged_in.get(
        reverse("admin:testapp_inttarget_change", args=[target.pk])
    )
    formset = response.context["inline_admin_formsets"][0].formset
    listed = admin_client_logged_in.get(formset.changelist_url)
    assert listed.status_code == 200
    assert {event.name for event in listed.context["cl"].result_list} == {
        "Name0",
        "Name1",
        "Name2",
    }
    assert admin_client_logged_in.get(formset.timeline_url).status_code == 200


def test_saving_the_object_with_the_inline_keeps_its_events(
    admin_client_logged_in: Client,
) -> None:
    seed(EventInline.limit + 5)
    target = IntTarget.objects.get()
    url = reverse("admin:testapp_inttarget_change", args=[target.pk])
    page = admin_client_logged_in.get(url)
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    data = {
        "label": "renamed",
        f"{prefix}-TOTAL_FORMS": str(formset.total_form_count()),
        f"{prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "0",
    }
    for index, form in enumerate(formset.forms):
        data[f"{prefix}-{index}-id"] = str(form.instance.pk)
    before = list(Event.objects.values_list("id", "name", "note"))
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.label == "renamed"
    assert list(Event.objects.values_list("id", "name", "note")) == before


def test_chart_follows_the_date_filter(admin_client_logged_in: Client) -> None:
    day = datetime.datetime(2025, 3, 10, tzinfo=datetime.timezone.utc)
    create_events(
        {"name": "Dated", "timestamp": day + datetime.timedelta(hours=hours)}
        for hours in (-5, 1, 1, 7, 23, 30)
    )
    query = urlencode(
        {"timestamp__gte": str(day), "timestamp__lt": str(day + datetime.timedelta(days=1))}
    )
    response = admin_client_logged_in.get(f"{reverse(CHANGELIST)}?{query}")
    activity = response.context["activity"]
    assert activity.kind == "hour"
    assert activity.total == 4
    assert {moment.hour: count for moment, count in activity.buckets if count} == {
        1: 2,
        7: 1,
        23: 1,
    }
    assert 'data-total="4"' in response.content.decode()
