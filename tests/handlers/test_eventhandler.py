"""EventHandler: how one log record becomes one Event."""

from __future__ import annotations

import datetime
import logging
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser, User

from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory
from tests.testapp.models import IntTarget, StrTarget, UUIDTarget

log = logging.getLogger("app")


def persisted(handler: logging.Handler) -> Event:
    handler.flush()
    return Event.objects.get()


def test_name_is_the_formatted_message(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("Consent given by %s", "ann")
    event = persisted(handler)
    assert (event.name, event.note) == ("Consent given by ann", "")


def test_event_name_extra_is_the_name_and_message_the_note(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    log.info("Ann agreed to %s", "study 7", extra={"event_name": "UserConsented"})
    event = persisted(handler)
    assert (event.name, event.note) == ("UserConsented", "Ann agreed to study 7")


def test_note_extra_is_the_note(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("UserConsented", extra={"note": "via form"})
    event = persisted(handler)
    assert (event.name, event.note) == ("UserConsented", "via form")


def test_timestamp_is_the_record_creation_time(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    captured: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = captured.append  # type: ignore[method-assign]
    log.addHandler(capture)
    log.info("Timed")
    event = persisted(handler)
    expected = datetime.datetime.fromtimestamp(captured[0].created, datetime.timezone.utc)
    assert abs(event.timestamp - expected) < datetime.timedelta(microseconds=2)
    assert event.timestamp.tzinfo is not None


def test_data_holds_logger_level_and_json_safe_extras(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    when = datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)
    log.warning("Odd", extra={"count": 3, "tags": ("a", "b"), "when": when, "obj": object})
    event = persisted(handler)
    assert event.data == {
        "logger": "app",
        "level": "WARNING",
        "extra": {
            "count": 3,
            "tags": ["a", "b"],
            "when": "2024-05-01T12:00:00+00:00",
            "obj": "<class 'object'>",
        },
    }


def test_exception_text_is_kept(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        log.exception("Failed")
    event = persisted(handler)
    assert event.data["exception"].startswith("Traceback")
    assert "ZeroDivisionError: boom" in event.data["exception"]


def test_user_extra_instance_is_the_user(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    user = User.objects.create(username="ann")
    log.info("UserConsented", extra={"user": user})
    assert persisted(handler).user == user


def test_user_extra_primary_key_is_the_user(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    user = User.objects.create(username="ann")
    log.info("UserConsented", extra={"user": user.pk})
    assert persisted(handler).user == user


def test_missing_user_is_kept_as_reference(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("UserConsented", extra={"user": 987654})
    event = persisted(handler)
    assert event.user is None
    assert event.data["user"] == 987654


@pytest.mark.parametrize("user", [AnonymousUser(), None])
def test_anonymous_or_no_user_is_no_user(event_handler: HandlerFactory, user: object) -> None:
    handler = event_handler()
    log.info("Visited", extra={"user": user})
    event = persisted(handler)
    assert event.user is None
    assert "user" not in event.data


def test_unsaved_user_is_described(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("Visited", extra={"user": User(username="ghost")})
    event = persisted(handler)
    assert event.user is None
    assert event.data["user"] == "ghost"


@pytest.mark.parametrize("model", [IntTarget, UUIDTarget, StrTarget], ids=["int", "uuid", "str"])
def test_related_object_is_linked_for_every_key_type(
    event_handler: HandlerFactory, model: type
) -> None:
    handler = event_handler()
    target = model.objects.create(id="s-1") if model is StrTarget else model.objects.create()
    log.info("Touched", extra={"related_object": target})
    handler.flush()
    assert list(Event.events_related_to(target)) == [Event.objects.get()]
    assert Event.objects.get().data["related_object"] == str(target)


@pytest.mark.parametrize(
    ("value", "description"),
    [(IntTarget(label="draft"), "IntTarget draft"), ("study 7", "study 7")],
    ids=["unsaved", "not-a-model"],
)
def test_unlinkable_related_object_is_described(
    event_handler: HandlerFactory, value: object, description: str
) -> None:
    handler = event_handler()
    log.info("Touched", extra={"related_object": value})
    event = persisted(handler)
    assert event.related_object_id is None
    assert event.data["related_object"] == description


def test_long_name_and_note_are_shortened_with_originals_kept(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    log.info("n" * 150, extra={"note": "x" * 300})
    event = persisted(handler)
    assert len(event.name) == 100
    assert event.name.endswith("\u2026")
    assert len(event.note) == 255
    assert event.data["original"] == {"name": "n" * 150, "note": "x" * 300}


def test_nul_characters_are_replaced_everywhere(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("bad\x00name", extra={"note": "n\x00", "blob": {"k\x00": "v\x00"}})
    event = persisted(handler)
    assert event.name == "bad\ufffdname"
    assert event.note == "n\ufffd"
    assert event.data["extra"] == {"blob": {"k\ufffd": "v\ufffd"}}
    assert event.data["original"] == {"name": "bad\\u0000name", "note": "n\\u0000"}


def test_bad_format_arguments_still_persist(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("%d items", "many")
    event = persisted(handler)
    assert event.name == "%d items"
    assert event.data["extra"] == {"args": ["many"]}


def test_arguments_are_formatted_as_they_were_when_logged(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    items = ["a"]
    log.info("Items %s", items)
    items.append("b")
    assert persisted(handler).name == "Items ['a']"


def test_record_is_not_modified(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    record = log.makeRecord("app", logging.INFO, __file__, 1, "Hi %s", ("x",), None)
    before = dict(record.__dict__)
    handler.handle(record)
    handler.flush()
    assert record.__dict__ == before


def test_events_logger_records_are_not_persisted_again(event_handler: HandlerFactory) -> None:
    handler = event_handler(loggers=("root",))
    from djangotailoring.tracking import create_event

    create_event("Direct")
    log.info("FromLog")
    handler.flush()
    assert sorted(Event.objects.values_list("name", flat=True)) == ["Direct", "FromLog"]


def test_uuid_user_reference_that_is_malformed_is_kept(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    reference = uuid.uuid4()
    log.info("Visited", extra={"user": reference})
    event = persisted(handler)
    assert event.user is None
    assert event.data["user"] == str(reference)


def test_handler_from_dictconfig_needs_no_arguments(transactional_db: None) -> None:
    import logging.config

    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"events": {"class": "djangotailoring.handlers.EventHandler"}},
            "loggers": {"app": {"handlers": ["events"], "level": "INFO"}},
        }
    )
    handler = log.handlers[0]
    try:
        log.info("Configured")
        handler.flush()
        assert Event.objects.get().name == "Configured"
        assert handler.spill_path.endswith(".jsonl")  # type: ignore[attr-defined]
    finally:
        handler.close()


@pytest.mark.parametrize("key", ["_logger", "_name", "_record", "_from_structlog", "taskName2"])
def test_stdlib_extras_named_like_structlog_bookkeeping_are_kept(
    event_handler: HandlerFactory, key: str
) -> None:
    handler = event_handler()
    log.info("Kept", extra={key: "value"})
    assert persisted(handler).data["extra"] == {key: "value"}
