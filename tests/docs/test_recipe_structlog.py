"""The structlog recipe, with each of structlog's two ways into the standard library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from django.contrib.auth.models import User
from django.test import Client

from djangotailoring.handlers.testing import flush_events
from djangotailoring.tracking import EventNames, create_event
from djangotailoring.tracking.models import Event
from tests.docs.conftest import ApplyLogging
from tests.docs.docfiles import load
from tests.testapp.models import IntTarget

RECIPE = "recipes/structlog_events.py"
LAST_STEPS = {
    "wrap_for_formatter": structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    "render_to_log_kwargs": structlog.stdlib.render_to_log_kwargs,
}


@pytest.fixture(params=sorted(LAST_STEPS))
def recipe(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """structlog configured by the recipe, ending with each step; the recipe's ``LOGGING``.

    Each test applies the ``LOGGING`` itself, so that its console handler writes to the
    standard output that ``capsys`` captures during the test.
    """
    config = load(RECIPE)
    processors = structlog.get_config()["processors"]
    assert processors[-1] is structlog.stdlib.ProcessorFormatter.wrap_for_formatter
    # Each test configures structlog anew: no logger may keep an earlier configuration.
    structlog.configure(
        processors=[*processors[:-1], LAST_STEPS[request.param]],
        cache_logger_on_first_use=False,
    )
    yield config["LOGGING"]
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.urls("tests.docs.urls")
def test_structlog_call_in_a_request_becomes_an_event_with_request_and_user(
    recipe: dict[str, Any],
    apply_logging: ApplyLogging,
    client: Client,
    alice: User,
    study: IntTarget,
) -> None:
    apply_logging(recipe)
    response = client.post(f"/studies/{study.pk}/withdraw/")
    flush_events()
    event = Event.objects.named(EventNames.UserWithdrawn).get()
    assert (event.note, event.user, event.related_object) == ("Participant withdrew", alice, study)
    assert event.data["extra"] == {"reason": "moved away"}
    assert event.data["request"]["id"] == response["X-Request-ID"]
    assert (event.data["logger"], event.data["level"]) == ("myapp.audit", "INFO")


@pytest.mark.urls("tests.docs.urls")
def test_console_line_has_the_key_values_and_the_request_context(
    recipe: dict[str, Any],
    apply_logging: ApplyLogging,
    client: Client,
    alice: User,
    study: IntTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    apply_logging(recipe)
    capsys.readouterr()
    response = client.post(f"/studies/{study.pk}/withdraw/")
    [line] = [line for line in _lines(capsys) if line["logger"] == "myapp.audit"]
    assert (line["event"], line["level"], line["reason"]) == (
        "Participant withdrew",
        "info",
        "moved away",
    )
    assert (line["event_name"], line["related_object"]) == ("UserWithdrawn", "IntTarget pilot")
    assert (line["request_id"], line["username"]) == (response["X-Request-ID"], "alice")
    assert line["request_path"] == f"/studies/{study.pk}/withdraw/"


def test_bound_context_variables_are_kept_as_extras(
    recipe: dict[str, Any], apply_logging: ApplyLogging
) -> None:
    apply_logging(recipe)
    structlog.contextvars.bind_contextvars(job="nightly-reminders")
    structlog.get_logger("myapp.audit").info("Reminder sent", event_name=EventNames.UserEmailSent)
    flush_events()
    event = Event.objects.get()
    assert (event.name, event.note) == (EventNames.UserEmailSent, "Reminder sent")
    assert event.data["extra"] == {"job": "nightly-reminders"}


def test_exception_is_stored_and_printed(
    recipe: dict[str, Any], apply_logging: ApplyLogging, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_logging(recipe)
    try:
        raise LookupError("no such study")
    except LookupError:
        structlog.get_logger("myapp.audit").exception("Withdrawal failed")
    flush_events()
    assert "LookupError: no such study" in Event.objects.get().data["exception"]
    [line] = _lines(capsys)
    assert "LookupError: no such study" in line["exception"]


def test_events_logger_lines_are_named_after_their_event(
    recipe: dict[str, Any], apply_logging: ApplyLogging, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_logging(recipe)
    event = create_event(EventNames.UserConsented, note="v2")
    [line] = _lines(capsys)
    assert (line["event"], line["event_id"], line["note"]) == ("UserConsented", event.pk, "v2")
    assert line["logger"] == "djangotailoring.tracking.events"
    assert Event.objects.count() == 1
