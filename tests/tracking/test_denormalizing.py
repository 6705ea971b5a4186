"""Denormalized event fields follow every committed Event, whichever path created it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test import AsyncClient, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from djangotailoring.tracking import acreate_event, create_event, create_events, denormalizing
from djangotailoring.tracking.models import Event
from tests.testapp.models import LessonProgress
from tests.tracking.denormalized import EARLY, LATE, NAME, fresh, progress, user

__all__ = ["progress", "user"]  # fixtures


def updates(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("UPDATE")]


# The ORM paths -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_event_sets_count_timestamp_and_custom_field(
    user: User, progress: LessonProgress
) -> None:
    event = create_event(NAME, user=user, note="lesson 1")
    row = fresh(progress)
    assert (row.completed, row.last_completed, row.last_lesson) == (1, event.timestamp, "lesson 1")


@pytest.mark.django_db
def test_acreate_event_updates_the_fields(user: User, progress: LessonProgress) -> None:
    event = async_to_sync(acreate_event)(NAME, user=user, note="async")
    row = fresh(progress)
    assert (row.completed, row.last_completed, row.last_lesson) == (1, event.timestamp, "async")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/record/", "/arecord/"], ids=["sync-view", "async-view"])
def test_views_recording_for_the_logged_in_user_update_the_fields(
    user: User, progress: LessonProgress, url: str
) -> None:
    client = AsyncClient()
    async_to_sync(client.aforce_login)(user)
    response = async_to_sync(client.get)(url, {"name": NAME})
    assert response.status_code == 200
    event = Event.objects.get(pk=response.json()["id"])
    row = fresh(progress)
    assert (event.user, row.completed, row.last_completed) == (user, 1, event.timestamp)


@pytest.mark.django_db
def test_event_objects_create_and_save_update_the_fields(
    user: User, progress: LessonProgress
) -> None:
    Event.objects.create(name=NAME, user=user, timestamp=EARLY)
    Event(name=NAME, user=user, timestamp=LATE).save()
    row = fresh(progress)
    assert (row.completed, row.last_completed) == (2, LATE)


@pytest.mark.django_db
def test_bulk_create_events_updates_once_per_field_and_user(
    user: User, progress: LessonProgress
) -> None:
    other = User.objects.create_user("bob")
    other_row = LessonProgress.objects.create(user=other)
    specs = [{"name": NAME, "user": user, "note": f"n{i}", "timestamp": EARLY} for i in range(5)]
    specs[2]["timestamp"] = LATE
    specs.append({"name": NAME, "user": other, "note": "bob's"})
    with CaptureQueriesContext(connection) as queries:
        create_events(specs)
    row, bob = fresh(progress), fresh(other_row)
    assert (row.completed, row.last_completed, row.last_lesson) == (5, LATE, "n2")
    assert (bob.completed, bob.last_lesson) == (1, "bob's")
    # Three fields follow LessonCompleted, two users: six UPDATEs, not one per event.
    assert len(updates(queries)) == 6


@pytest.mark.django_db
def test_every_row_of_the_user_is_updated_and_no_other(user: User) -> None:
    rows = [LessonProgress.objects.create(user=user, course=c) for c in ("a", "b")]
    stranger = LessonProgress.objects.create(user=User.objects.create_user("eve"))
    create_event(NAME, user=user)
    assert [fresh(r).completed for r in rows] == [1, 1]
    assert fresh(stranger).completed == 0


@pytest.mark.django_db
def test_only_fields_of_the_events_name_change(user: User, progress: LessonProgress) -> None:
    create_event("CourseStarted", user=user)
    row = fresh(progress)
    assert (row.started, row.completed, row.last_completed) == (1, 0, None)


@pytest.mark.django_db
def test_event_without_user_or_unfollowed_name_issues_no_update(
    user: User, progress: LessonProgress
) -> None:
    with CaptureQueriesContext(connection) as queries:
        create_event(NAME)
        create_event("SomethingElse", user=user)
    assert updates(queries) == []
    assert fresh(progress).completed == 0


@pytest.mark.django_db
def test_target_rows_are_updated_without_save_or_its_signals(
    user: User, progress: LessonProgress
) -> None:
    saved: list[Any] = []

    def receiver(**kwargs: Any) -> None:
        saved.append(kwargs["instance"])

    post_save.connect(receiver, sender=LessonProgress)
    try:
        create_event(NAME, user=user)
        create_events([{"name": NAME, "user": user}])
    finally:
        post_save.disconnect(receiver, sender=LessonProgress)
    assert saved == []
    assert fresh(progress).completed == 2


@pytest.mark.django_db
def test_backfilled_older_event_does_not_move_the_timestamp_back(
    user: User, progress: LessonProgress
) -> None:
    create_event(NAME, user=user, timestamp=LATE, note="new")
    create_event(NAME, user=user, timestamp=EARLY, note="backfilled")
    create_events([{"name": NAME, "user": user, "timestamp": EARLY}])
    row = fresh(progress)
    assert (row.last_completed, row.completed) == (LATE, 3)


@pytest.mark.django_db
def test_updated_event_is_not_counted_again(user: User, progress: LessonProgress) -> None:
    event = create_event(NAME, user=user)
    event.note = "edited"
    event.save()
    assert fresh(progress).completed == 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["create_event", "create_events", "save"])
def test_rolled_back_event_changes_nothing(user: User, progress: LessonProgress, path: str) -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        if path == "create_event":
            create_event(NAME, user=user, timestamp=LATE)
        elif path == "create_events":
            create_events([{"name": NAME, "user": user, "timestamp": LATE}] * 3)
        else:
            Event(name=NAME, user=user, timestamp=LATE).save()
        assert fresh(progress).completed > 0
        1 / 0  # noqa: B018
    row = fresh(progress)
    assert (row.completed, row.last_completed) == (0, None)
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["create_event", "acreate_event", "create_events"])
def test_in_autocommit_the_event_and_its_fields_commit_together(
    user: User, progress: LessonProgress, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("the UPDATE failed (simulated)")

    monkeypatch.setattr(denormalizing.Follower, "update_query", broken)
    with pytest.raises(RuntimeError, match="simulated"):
        if path == "create_event":
            create_event(NAME, user=user)
        elif path == "acreate_event":
            async_to_sync(acreate_event)(NAME, user=user)
        else:
            create_events([{"name": NAME, "user": user}])
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_fixtures_loaded_raw_are_left_to_refresh(user: User, progress: LessonProgress) -> None:
    event = Event(name=NAME, user=user)
    event.save_base(raw=True)
    assert fresh(progress).completed == 0


# Concurrency ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_creating_events_for_one_user_give_the_exact_count(
    user: User, progress: LessonProgress
) -> None:
    per_thread = 25
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                if index % 2:
                    create_event(NAME, user=user, note=f"{index}-{i}")
                else:
                    with transaction.atomic():
                        create_events([{"name": NAME, "user": user}])
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    row = fresh(progress)
    assert row.completed == 8 * per_thread == Event.objects.filter(user=user).count()
    assert row.last_completed == Event.objects.filter(user=user).latest().timestamp


@pytest.mark.django_db
def test_registry_is_found_once_and_holds_the_fields() -> None:
    registry = denormalizing.followers()
    assert denormalizing.followers() is registry
    assert sorted(f.label for f in registry[NAME]) == [
        "testapp.LessonProgress.completed",
        "testapp.LessonProgress.last_completed",
        "testapp.LessonProgress.last_lesson",
    ]
    assert [f.label for f in registry["CourseStarted"]] == ["testapp.LessonProgress.started"]


def test_timestamps_of_handler_events_follow_use_tz(settings: Any) -> None:
    settings.USE_TZ = False
    assert timezone.is_naive(denormalizing._moment(EARLY.timestamp()))


def test_registry_is_found_again_when_installed_apps_change() -> None:
    apps_without_testapp = [app for app in settings.INSTALLED_APPS if app != "tests.testapp"]
    assert NAME in denormalizing.followers()
    with override_settings(INSTALLED_APPS=apps_without_testapp):
        assert NAME not in denormalizing.followers()
    assert NAME in denormalizing.followers()
