"""EventHandler with real structlog, in both standard setups."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from django.contrib.auth.models import User

from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory
from tests.testapp.models import IntTarget

RENDERERS: dict[str, Callable[..., Any]] = {
    "render_to_log_kwargs": structlog.stdlib.render_to_log_kwargs,
    "wrap_for_formatter": structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
}


@pytest.fixture(params=sorted(RENDERERS))
def structlog_setup(request: pytest.FixtureRequest) -> Iterator[str]:
    """structlog routed through the standard library, ending with each standard renderer."""
    structlog.configure(
        processors=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            RENDERERS[request.param],
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    yield request.param
    structlog.reset_defaults()


def test_event_string_is_the_name_and_key_values_the_extras(
    event_handler: HandlerFactory, structlog_setup: str
) -> None:
    handler = event_handler()
    structlog.get_logger("app").info("UserConsented", study=7, arm="A")
    handler.flush()
    event = Event.objects.get()
    assert event.name == "UserConsented"
    assert event.data["logger"] == "app"
    assert event.data["extra"]["study"] == 7
    assert event.data["extra"]["arm"] == "A"
    assert "event" not in event.data["extra"]


def test_special_keys_are_honoured(event_handler: HandlerFactory, structlog_setup: str) -> None:
    handler = event_handler()
    user = User.objects.create(username="ann")
    target = IntTarget.objects.create()
    structlog.get_logger("app").info(
        "Ann agreed", event_name="UserConsented", note="by form", user=user, related_object=target
    )
    handler.flush()
    event = Event.objects.get()
    assert (event.name, event.note) == ("UserConsented", "by form")
    assert event.user == user
    assert event.related_object == target
    assert set(event.data["extra"]) == {"level", "timestamp"}


def test_event_name_makes_the_event_string_the_note(
    event_handler: HandlerFactory, structlog_setup: str
) -> None:
    handler = event_handler()
    structlog.get_logger("app").info("Ann agreed", event_name="UserConsented")
    handler.flush()
    event = Event.objects.get()
    assert (event.name, event.note) == ("UserConsented", "Ann agreed")


def test_exception_is_kept(event_handler: HandlerFactory, structlog_setup: str) -> None:
    handler = event_handler()
    try:
        raise KeyError("missing")
    except KeyError:
        structlog.get_logger("app").exception("Failed")
    handler.flush()
    assert "KeyError: 'missing'" in Event.objects.get().data["exception"]
