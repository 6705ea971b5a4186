from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djangotailoring.tracking import create_events
from djangotailoring.tracking.admin import EventAdmin, EventInline
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:tracking_event_changelist"


@pytest.fixture
def admin_client_logged_in() -> Client:
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


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
    assert all("LIMIT" in sql.upper() or "tracking_event" not in sql for sql in counts), counts


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
