from __future__ import annotations

import logging
import logging.config

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.test import RequestFactory

from djangotailoring.tracking import create_event, create_events
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget


class ListHandler(logging.Handler):
    """Keeps the records it receives (configured through dictConfig like any handler)."""

    instances: list[ListHandler] = []

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        ListHandler.instances.append(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> list[logging.LogRecord]:
    ListHandler.instances.clear()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"keep": {"class": "tests.tracking.test_announcing.ListHandler"}},
            "loggers": {"djangotailoring.tracking.events": {"handlers": ["keep"], "level": "INFO"}},
        }
    )
    return ListHandler.instances[-1].records


@pytest.mark.django_db(transaction=True)
def test_created_event_is_logged_once_at_info(records: list[logging.LogRecord]) -> None:
    user = User.objects.create_user("carol")
    target = IntTarget.objects.create(label="t")
    event = create_event("UserConsented", user=user, related_object=target, note="ok")
    assert len(records) == 1
    record = records[0]
    assert record.name == "djangotailoring.tracking.events"
    assert record.levelno == logging.INFO
    assert record.event == event
    assert record.note == "ok"
    assert record.timestamp == event.timestamp
    assert record.related_object == target
    assert record.request is None
    message = record.getMessage()
    assert "UserConsented" in message
    assert "carol" in message
    assert "IntTarget t" in message


@pytest.mark.django_db(transaction=True)
def test_request_is_available_on_the_record(
    records: list[logging.LogRecord], rf: RequestFactory
) -> None:
    request = rf.get("/page/")
    request.user = AnonymousUser()
    create_event("PageViewed", request)
    assert records[0].request is request
    assert "path=/page/" in records[0].getMessage()


@pytest.mark.django_db(transaction=True)
def test_event_request_attribute_reaches_the_record(
    records: list[logging.LogRecord], rf: RequestFactory
) -> None:
    request = rf.get("/manual/")
    event = Event(name="Manual")
    event.request = request
    event.save()
    assert records[0].request is request


@pytest.mark.django_db(transaction=True)
def test_orm_create_is_logged(records: list[logging.LogRecord]) -> None:
    Event.objects.create(name="ViaORM")
    assert [r.event.name for r in records] == ["ViaORM"]


@pytest.mark.django_db(transaction=True)
def test_update_is_not_logged_again(records: list[logging.LogRecord]) -> None:
    event = create_event("Once")
    event.note = "changed"
    event.save()
    assert len(records) == 1


@pytest.mark.django_db(transaction=True)
def test_logged_only_when_the_transaction_commits(records: list[logging.LogRecord]) -> None:
    with transaction.atomic():
        create_event("Pending")
        assert records == []
    assert [r.event.name for r in records] == ["Pending"]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_event_is_never_logged(records: list[logging.LogRecord]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        create_event("Doomed")
        raise RuntimeError
    assert records == []


@pytest.mark.django_db(transaction=True)
def test_bulk_twin_logs_each_event(records: list[logging.LogRecord]) -> None:
    create_events([{"name": "A"}, {"name": "B"}, {"name": "C"}])
    assert [r.event.name for r in records] == ["A", "B", "C"]


@pytest.mark.django_db
def test_inside_a_test_transaction_records_need_on_commit_capture(
    records: list[logging.LogRecord], django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        create_event("Captured")
    assert [r.event.name for r in records] == ["Captured"]


@pytest.mark.django_db(transaction=True)
def test_announcing_does_not_query_the_database(
    records: list[logging.LogRecord], django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.create_user("dave")
    event = Event.objects.create(name="Warm", user=user)
    fresh = Event.objects.get(pk=event.pk)  # user not loaded
    from djangotailoring.tracking.announcing import announce

    with django_assert_num_queries(0):
        announce(fresh)
    assert f"user_id={user.pk}" in records[-1].getMessage()


@pytest.mark.django_db(transaction=True)
def test_events_logger_can_be_silenced(records: list[logging.LogRecord]) -> None:
    logging.getLogger("djangotailoring.tracking.events").setLevel(logging.WARNING)
    create_event("Quiet")
    assert records == []
    assert Event.objects.filter(name="Quiet").exists()


@pytest.mark.django_db(transaction=True)
def test_text_formatter_output_through_dictconfig(capsys: pytest.CaptureFixture[str]) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s [%(note)s]"}},
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "plain",
                }
            },
            "loggers": {
                "djangotailoring.tracking.events": {"handlers": ["console"], "level": "INFO"}
            },
        }
    )
    create_event("Printed", note="hello")
    out = capsys.readouterr().out
    assert out == "INFO djangotailoring.tracking.events Printed [hello]\n"


class Exploding(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        raise RuntimeError("broken filter")


@pytest.mark.django_db(transaction=True)
def test_a_failing_logging_setup_never_breaks_event_creation(
    records: list[logging.LogRecord], capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("djangotailoring.tracking.events").addFilter(Exploding())
    event = create_event("StillSaved")
    assert Event.objects.filter(pk=event.pk).exists()
    assert "broken filter" in capsys.readouterr().err
