"""Every documented feature with Events on a database of their own (``TRACKING_DATABASE``).

Run by ``tests/tracking/test_tracking_database.py`` in a child pytest with
``DJANGOTAILORING_TEST_EVENTS_DB`` set (``postgres``, ``sqlite`` or ``mariadb``): the events'
database is another database than the default one, so any join between events and users or
content types fails loudly (``relation "auth_user" does not exist``) instead of passing.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connections, router, transaction
from django.test import Client
from django.urls import reverse

from djangotailoring.tracking import acreate_event, create_event, create_events
from djangotailoring.tracking.models import Event, WrittenBatch
from djangotailoring.tracking.privacy import forget_user
from tests.handlers.conftest import configured_handler, logging_config
from tests.testapp.models import Enrollment, IntTarget, LessonProgress

pytestmark = [
    pytest.mark.skipif(
        getattr(settings, "TRACKING_DATABASE", None) is None,
        reason="needs DJANGOTAILORING_TEST_EVENTS_DB (tests/tracking/test_tracking_database.py)",
    ),
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


@pytest.fixture
def ann() -> User:
    return User.objects.create_user("ann", email="ann@example.com", password="pw")


@pytest.fixture
def handler(tmp_path: Path) -> Any:
    logging.config.dictConfig(
        logging_config(
            {"spill_path": str(tmp_path / "spill.jsonl"), "journal_dir": str(tmp_path / "j")}
        )
    )
    made = configured_handler()
    yield made
    made.close()


def test_events_and_only_events_live_on_the_events_database() -> None:
    events, default = tables("events"), tables("default")
    assert {"tracking_event", "tracking_writtenbatch"} <= events
    assert "auth_user" not in events
    assert "django_content_type" not in events
    assert "tracking_event" not in default
    assert "auth_user" in default
    assert router.db_for_write(Event) == "events"
    assert router.db_for_read(WrittenBatch) == "events"


def test_no_foreign_key_constraint_on_the_events_table() -> None:
    connection = connections["events"]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "tracking_event")
    assert not [name for name, found in constraints.items() if found["foreign_key"]]


def test_create_event_links_a_user_and_an_object_of_the_other_database(ann: User) -> None:
    target = IntTarget.objects.create(label="study 3")
    made = create_event("UserConsented", user=ann, related_object=target, data={"v": 1})
    assert made._state.db == "events"
    event = Event.objects.get(pk=made.pk)
    assert event._state.db == "events"
    assert event.user == ann
    assert event.related_object == target
    assert event.related_content_type == ContentType.objects.get_for_model(IntTarget)
    assert event.data["related_object"] == "IntTarget study 3"


def test_acreate_event_and_create_events(ann: User) -> None:
    target = IntTarget.objects.create(label="t")
    made = async_to_sync(acreate_event)("PageViewed", user=ann, related_object=target)
    assert Event.objects.get(pk=made.pk).user_id == ann.pk
    create_events([{"name": "Bulk", "user": ann}, {"name": "Bulk", "related_object": target}])
    assert Event.objects.named("Bulk").count() == 2
    assert Event.objects.named("Bulk").for_user(ann).get().user == ann


def test_queryset_verbs_and_events_related_to(ann: User) -> None:
    target = IntTarget.objects.create(label="t")
    create_event("A", user=ann, related_object=target)
    create_event("B", user=ann)
    create_event("A")
    assert Event.objects.for_user(ann).named("A").latest().related_object == target
    assert Event.objects.for_user(None).named("A").count() == 1
    assert list(Event.events_related_to(target).values_list("name", flat=True)) == ["A"]
    assert Event.objects.related_to(target).count() == 1


def test_reverse_relation_reads_events_but_cannot_join(ann: User) -> None:
    target = IntTarget.objects.create(label="t")
    create_event("A", related_object=target)
    create_event("B", related_object=target)
    assert sorted(target.events.values_list("name", flat=True)) == ["A", "B"]
    prefetched = IntTarget.objects.prefetch_related("events").get(pk=target.pk)
    assert len(prefetched.events.all()) == 2
    # A join cannot reach another database: documented, and it fails loudly.
    with pytest.raises(Exception, match="tracking_event"):
        list(IntTarget.objects.filter(events__name="A"))
    # What to do instead: ids from the events, then the objects.
    ids = Event.objects.named("A").values_list("related_object_id", flat=True)
    assert list(IntTarget.objects.filter(pk__in=[int(pk) for pk in ids])) == [target]


def test_latest_event_mixin(ann: User) -> None:
    create_event("Visited", user=ann)
    last = create_event("Visited", user=ann)
    enrollment = Enrollment.objects.create(user=ann)
    assert enrollment.latest_event("Visited") == last
    assert enrollment.latest_event_date() == last.timestamp


def test_denormalized_fields_follow_create_event_and_event_handler(ann: User, handler: Any) -> None:
    progress = LessonProgress.objects.create(user=ann)
    create_event("LessonCompleted", user=ann, note="one")
    progress.refresh_from_db()
    assert progress.completed == 1
    assert progress.last_lesson == "one"
    logging.getLogger("app").info("LessonCompleted", extra={"user": ann, "note": "two"})
    handler.flush(timeout=10)
    progress.refresh_from_db()
    assert progress.completed == 2
    assert progress.last_lesson == "two"
    out = io.StringIO()
    LessonProgress.objects.update(completed=0)
    call_command("refresh_event_fields", stdout=out)
    progress.refresh_from_db()
    assert progress.completed == 2


def test_event_handler_writes_to_the_events_database(ann: User, handler: Any) -> None:
    target = IntTarget.objects.create(label="t")
    logger = logging.getLogger("app")
    logger.info("UserConsented", extra={"user": ann, "related_object": target})
    logger.info("UserConsented", extra={"user": 987654})
    for number in range(30):  # a batch large enough for COPY on PostgreSQL
        logger.info("Bulk", extra={"user": ann, "related_object": target, "n": number})
    handler.flush(timeout=10)
    linked = Event.objects.named("UserConsented").exclude(user=None).get()
    assert linked.user == ann
    assert linked.related_object == target
    unknown = Event.objects.named("UserConsented").filter(user=None).get()
    assert unknown.data["user"] == 987654
    bulk = Event.objects.named("Bulk")
    assert bulk.count() == 30
    assert bulk.filter(user=ann, related_object_id=str(target.pk)).count() == 30
    assert set(bulk.values_list("related_content_type_id", flat=True)) == {
        ContentType.objects.get_for_model(IntTarget).pk
    }


def test_auth_events_are_recorded_on_the_events_database(ann: User) -> None:
    client = Client()
    assert client.login(username="ann", password="pw")
    client.logout()
    assert not client.login(username="ann", password="wrong")
    names = list(Event.objects.order_by("id").values_list("name", "user_id"))
    assert names == [
        ("UserLoggedIn", ann.pk),
        ("UserLoggedOut", ann.pk),
        ("UserLoginFailed", None),
    ]


def test_deleting_a_user_keeps_who_it_was_once_committed(ann: User) -> None:
    pk = ann.pk
    create_event("UserConsented", user=ann)
    with pytest.raises(RuntimeError), transaction.atomic():
        ann.delete()
        raise RuntimeError("rolled back")
    assert Event.objects.get().user_id == pk
    User.objects.get(pk=pk).delete()
    event = Event.objects.get()
    assert event.user_id is None
    assert event.data["user"] == {"pk": pk, "username": "ann"}


def test_deleting_a_content_type_clears_it_from_the_events() -> None:
    kind = ContentType.objects.create(app_label="gone", model="thing")
    Event.objects.create(name="Old", related_content_type_id=kind.pk, related_object_id="1")
    kind.delete()
    assert Event.objects.get().related_content_type_id is None


@pytest.fixture
def staff() -> Client:
    User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.login(username="root", password="pw")
    return client


def test_admin_changelist_search_filters_inline_and_timelines(ann: User, staff: Client) -> None:
    target = IntTarget.objects.create(label="t")
    for _ in range(3):
        create_event("Seen", user=ann, related_object=target, note="hello")
    create_event("Seen", note="nobody")
    changelist = reverse("admin:tracking_event_changelist")
    page = staff.get(changelist)
    assert page.status_code == 200
    assert page.content.decode().count(">ann</a>") == 3
    found = staff.get(changelist, {"q": "an"})
    assert found.status_code == 200
    assert len(found.context["cl"].result_list) == 3
    assert len(staff.get(changelist, {"q": "nobody"}).context["cl"].result_list) == 1
    by_user = staff.get(changelist, {"user__id__exact": ann.pk})
    assert len(by_user.context["cl"].result_list) == 3
    event = Event.objects.filter(user=ann).first()
    assert event is not None
    assert staff.get(reverse("admin:tracking_event_change", args=[event.pk])).status_code == 200
    inline = staff.get(reverse("admin:testapp_inttarget_change", args=[target.pk]))
    assert inline.status_code == 200
    assert inline.content.decode().count("Seen") >= 3
    timeline = staff.get(reverse("admin:tracking_event_user_timeline", args=[ann.pk]))
    assert timeline.status_code == 200
    assert len(timeline.context["events"]) == 3
    kind = ContentType.objects.get_for_model(IntTarget)
    objects = staff.get(reverse("admin:tracking_event_object_timeline", args=[kind.pk, target.pk]))
    assert objects.status_code == 200
    assert len(objects.context["events"]) == 3


def test_commands_export_import_prune_and_forget(ann: User, tmp_path: Path) -> None:
    create_event("Old", user=ann, data={"k": 1})
    create_event("Other")
    exported = tmp_path / "events.jsonl"
    call_command("export_events", "-o", str(exported), stdout=io.StringIO())
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [(row["name"], row["username"]) for row in rows] == [("Old", "ann"), ("Other", None)]
    call_command("export_events", "--user", "ann", "-o", str(exported), stdout=io.StringIO())
    assert len(exported.read_text().splitlines()) == 1
    call_command("export_events", "-o", str(exported), stdout=io.StringIO())
    Event.objects.all().delete()
    out = io.StringIO()
    call_command("import_events", str(exported), stdout=out)
    assert "Imported 2 events" in out.getvalue()
    call_command("import_events", str(exported), stdout=out)
    assert "Imported 0 events" in out.getvalue()
    assert sorted(Event.objects.values_list("id", flat=True)) == [row["id"] for row in rows]
    assert Event.objects.get(name="Old").user == ann
    assert create_event("New").pk > max(row["id"] for row in rows)
    call_command("forget_user", "ann", stdout=io.StringIO())
    assert not Event.objects.filter(name="Old").exists()
    call_command("prune_events", "--before", "2999-01-01", stdout=io.StringIO())
    assert not Event.objects.exists()


def test_forget_user_anonymises_on_the_events_database(ann: User) -> None:
    create_event("UserConsented", user=ann, note="ann said yes", related_object=ann)
    assert forget_user(ann, "anonymise") == 1
    event = Event.objects.get()
    assert event.user_id is None
    assert event.related_object_id is None
    assert "ann" not in event.note


def test_import_events_refuses_a_bad_line_and_says_what_was_imported(tmp_path: Path) -> None:
    good = {"id": 5, "timestamp": "2026-01-01T00:00:00+00:00", "name": "Fine", "data": {}}
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(CommandError, match=r"line 2 is not JSON.*0 events before it"):
        call_command("import_events", str(source), "--batch-size", "10", stdout=io.StringIO())
    assert not Event.objects.exists()


def test_migration_0003_drops_constraints_of_a_table_made_with_them() -> None:
    """An events table that had foreign keys (made before the setting) loses them, and only
    them; one made with the setting is left alone."""
    connection = connections["events"]

    def foreign_keys() -> list[list[str]]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, "tracking_event")
        return sorted(each["columns"] for each in found.values() if each["foreign_key"])

    Event.objects.create(name="Kept", user_id=1)
    call_command("migrate", "tracking", "0002", database="events", verbosity=0)
    if connection.vendor != "sqlite":
        # SQLite cannot add a constraint to a table; the others stand in for an old table.
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE old_users (id integer PRIMARY KEY)")
            cursor.execute("INSERT INTO old_users (id) VALUES (1)")
            cursor.execute(
                "ALTER TABLE tracking_event ADD CONSTRAINT tracking_event_old_user_fk "
                "FOREIGN KEY (user_id) REFERENCES old_users (id)"
            )
        assert foreign_keys() == [["user_id"]]
    try:
        call_command("migrate", "tracking", database="events", verbosity=0)
        assert foreign_keys() == []
        assert Event.objects.get().name == "Kept"
    finally:
        if connection.vendor != "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE old_users")


def test_page_views_and_events_of_a_request_user(ann: User) -> None:
    """``request.user`` is a lazy object: the router tells an Event by its ``_meta``."""
    client = Client()
    client.force_login(ann)
    assert client.get(reverse("record")).status_code == 200
    assert Event.objects.get(name="Recorded").user == ann


@pytest.mark.urls("tests.handover_urls")
def test_event_handler_finds_a_lazy_request_users_session_on_the_users_database(
    ann: User, handler: Any
) -> None:
    """The writer reads the session and the user where they are, not on the events' side."""
    client = Client()
    client.force_login(ann)
    assert client.get("/logs/").status_code == 200
    handler.flush(timeout=10)
    assert Event.objects.get(name="Logged").user == ann


class _NothingRouter:
    def db_for_write(self, model: Any, **hints: Any) -> None:
        return None


def test_the_router_stays_first_when_database_routers_change() -> None:
    """``override_settings(DATABASE_ROUTERS=...)`` rebuilds Django's chain; Events stay put."""
    from django.test import override_settings

    with override_settings(DATABASE_ROUTERS=[f"{__name__}._NothingRouter"]):
        assert router.db_for_write(Event) == "events"
        assert not router.allow_migrate("default", "tracking")
        created = create_event("DuringOverride")
        assert created._state.db == "events"
    assert router.db_for_write(Event) == "events"
    assert router.allow_migrate("events", "tracking")
    assert not router.allow_migrate("events", "auth")


def test_replay_events_writes_a_dead_processs_journal_to_the_events_database(
    ann: User, tmp_path: Path
) -> None:
    from djangotailoring.handlers.journal import Journal, encode_record, journal_folder

    journal = Journal(journal_folder(str(tmp_path), "events"))
    for number in range(3):
        record = {"created": 1.0e9, "logger": "app", "level": "INFO", "message": "Replayed"}
        assert journal.append(encode_record({**record, "user": ann.pk, "n": number}))
    journal.release()
    out = io.StringIO()
    call_command("replay_events", "--journal-dir", str(tmp_path), stdout=out)
    replayed = Event.objects.named("Replayed")
    assert replayed.count() == 3
    assert {event.user for event in replayed} == {ann}
