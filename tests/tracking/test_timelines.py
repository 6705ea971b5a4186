from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djangotailoring.tracking import create_events
from djangotailoring.tracking.timelines import PAGE_SIZE
from tests.testapp.models import IntTarget, UUIDTarget

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 10, 12, 0, tzinfo=datetime.timezone.utc)
BAR = re.compile(r'data-count="(\d+)"')


def seed(count: int, target: object, user: User | None = None, name: str = "Step") -> None:
    create_events(
        {
            "name": name,
            "user": user,
            "related_object": target,
            "note": f"note {i}",
            "timestamp": NOW - datetime.timedelta(hours=i),
        }
        for i in range(count)
    )


def object_url(target: object) -> str:
    content_type = ContentType.objects.get_for_model(target)
    return reverse(
        "admin:tracking_event_object_timeline",
        args=[content_type.pk, target.pk],  # type: ignore[attr-defined]
    )


def user_url(user: User) -> str:
    return reverse("admin:tracking_event_user_timeline", args=[user.pk])


def shown_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-event-id="(\d+)"', html)]


def chart_total(html: str) -> int:
    return sum(int(count) for count in BAR.findall(html))


def test_object_timeline_lists_the_objects_events_newest_first(
    admin_client_logged_in: Client,
) -> None:
    target, other = IntTarget.objects.create(), IntTarget.objects.create(label="other")
    seed(5, target)
    seed(3, other, name="Other")
    response = admin_client_logged_in.get(object_url(target))
    html = response.content.decode()
    assert response.status_code == 200
    expected = list(
        target.events.order_by("-timestamp", "-id").values_list("id", flat=True)  # type: ignore[attr-defined]
    )
    assert shown_ids(html) == expected
    assert "Other" not in html
    assert chart_total(html) == 5
    assert "IntTarget int" in html


def test_object_timeline_works_for_uuid_keys(admin_client_logged_in: Client) -> None:
    target = UUIDTarget.objects.create()
    seed(2, target)
    html = admin_client_logged_in.get(object_url(target)).content.decode()
    assert len(shown_ids(html)) == 2
    assert chart_total(html) == 2


def test_object_timeline_outlives_the_object(admin_client_logged_in: Client) -> None:
    target = IntTarget.objects.create(label="gone")
    seed(2, target)
    url = object_url(target)
    target.delete()
    html = admin_client_logged_in.get(url).content.decode()
    assert "IntTarget gone" in html
    assert len(shown_ids(html)) == 2


def test_user_timeline_lists_the_users_events(admin_client_logged_in: Client) -> None:
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    target = IntTarget.objects.create()
    seed(4, target, alice)
    seed(2, target, bob, name="Bobs")
    html = admin_client_logged_in.get(user_url(alice)).content.decode()
    assert len(shown_ids(html)) == 4
    assert "Bobs" not in html
    assert chart_total(html) == 4


def test_older_events_are_paged_with_a_cursor(admin_client_logged_in: Client) -> None:
    target = IntTarget.objects.create()
    seed(PAGE_SIZE + 7, target)
    first = admin_client_logged_in.get(object_url(target)).content.decode()
    older = re.search(r'class="tracking-older" href="([^"]+)"', first)
    assert older is not None
    second = admin_client_logged_in.get(object_url(target) + older.group(1).replace("&amp;", "&"))
    ids = shown_ids(first) + shown_ids(second.content.decode())
    assert ids == list(
        target.events.order_by("-timestamp", "-id").values_list("id", flat=True)  # type: ignore[attr-defined]
    )
    assert 'class="tracking-older"' not in second.content.decode()


def test_changelist_link_of_a_timeline_filters_to_its_events(
    admin_client_logged_in: Client,
) -> None:
    target = UUIDTarget.objects.create()
    seed(3, target)
    seed(2, IntTarget.objects.create(), name="Elsewhere")
    html = admin_client_logged_in.get(object_url(target)).content.decode()
    link = re.search(r'href="(/admin/tracking/event/\?[^"]+)"', html)
    assert link is not None
    listed = admin_client_logged_in.get(link.group(1).replace("&amp;", "&"))
    assert {event.name for event in listed.context["cl"].result_list} == {"Step"}
    assert len(listed.context["cl"].result_list) == 3


@pytest.mark.parametrize("size", [10, 2_000])
def test_timelines_have_a_bounded_query_count(admin_client_logged_in: Client, size: int) -> None:
    user = User.objects.create_user("walker")
    target = IntTarget.objects.create()
    seed(size, target, user)
    for url in (object_url(target), user_url(user)):
        with CaptureQueriesContext(connection) as captured:
            response = admin_client_logged_in.get(url)
        assert response.status_code == 200
        # session, user, the subject, one page of events, the chart's budget probe and buckets
        assert len(captured.captured_queries) <= 6, [q["sql"] for q in captured]
        assert len(shown_ids(response.content.decode())) == min(size, PAGE_SIZE)


def test_unknown_user_or_object_is_not_found(admin_client_logged_in: Client) -> None:
    assert (
        admin_client_logged_in.get(
            reverse("admin:tracking_event_user_timeline", args=[987654])
        ).status_code
        == 404
    )
    assert (
        admin_client_logged_in.get(
            reverse("admin:tracking_event_object_timeline", args=[987654, 1])
        ).status_code
        == 404
    )


def test_timelines_need_the_view_permission() -> None:
    staff = User.objects.create_user("staff", is_staff=True)
    client = Client()
    client.force_login(staff)
    target = IntTarget.objects.create()
    assert client.get(object_url(target)).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_event"))
    assert client.get(object_url(target)).status_code == 200


def test_timelines_need_a_staff_login() -> None:
    response = Client().get(object_url(IntTarget.objects.create()))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_deleted_objects_timeline_finds_a_stored_description(
    admin_client_logged_in: Client,
) -> None:
    target = IntTarget.objects.create(label="described")
    seed(1, target)
    seed(1, target, name="Newer")
    newest = target.events.order_by("-timestamp", "-id").first()  # type: ignore[attr-defined]
    newest.data = {}
    newest.save()
    url = object_url(target)
    target.delete()
    html = admin_client_logged_in.get(url).content.decode()
    assert "IntTarget described" in html
