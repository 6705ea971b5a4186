"""The EventHandler recipe: an app logger's calls become Events, with the request and user."""

from __future__ import annotations

import os
import re
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from djangotailoring.handlers.testing import flush_events
from djangotailoring.tracking import EventNames
from djangotailoring.tracking.models import Event
from tests.docs.conftest import ApplyLogging
from tests.docs.docfiles import load, load_logging
from tests.testapp.models import IntTarget

RECIPE = "recipes/event_handler.py"
audit = load("examples/audit.py")


def test_call_outside_a_request_becomes_an_event_of_the_named_user(
    apply_logging: ApplyLogging,
) -> None:
    [handler] = apply_logging(load_logging(RECIPE))
    alice = User.objects.create_user("alice")
    before = time.time()
    audit["send_reminder"](alice)
    handler.flush()
    event = Event.objects.get()
    assert (event.name, event.note, event.user) == (
        EventNames.UserEmailSent,
        "Reminder sent",
        alice,
    )
    assert before <= event.timestamp.timestamp() <= time.time()
    assert event.data == {"logger": "myapp.audit", "level": "INFO"}


@pytest.mark.urls("tests.docs.urls")
def test_call_in_a_request_records_the_request_its_user_and_the_extras(
    apply_logging: ApplyLogging, client: Client, alice: User, study: IntTarget
) -> None:
    apply_logging(load_logging(RECIPE))
    response = client.post(f"/studies/{study.pk}/terms/")
    flush_events()
    event = Event.objects.named(EventNames.UserConsented).get()
    assert (event.note, event.user, event.related_object) == ("Terms v3 accepted", alice, study)
    assert event.data["extra"] == {"terms": 3}
    assert event.data["related_object"] == "IntTarget pilot"
    assert event.data["request"] == {
        "id": response["X-Request-ID"],
        "method": "POST",
        "path": f"/studies/{study.pk}/terms/",
        "remote_addr": "127.0.0.1",
    }


@pytest.mark.urls("tests.docs.urls")
def test_console_line_carries_the_request_id(
    apply_logging: ApplyLogging,
    client: Client,
    study: IntTarget,
    capsys: pytest.CaptureFixture[str],
) -> None:
    apply_logging(load_logging(RECIPE))
    response = client.post(f"/studies/{study.pk}/terms/")
    request_id = re.escape(response["X-Request-ID"])
    assert re.fullmatch(
        rf"\S+ \S+ INFO myapp\.audit \[{request_id}\] Terms v3 accepted\n", capsys.readouterr().err
    )


def test_recipe_keeps_the_spill_file_out_of_the_temporary_directory() -> None:
    spill_path = load_logging(RECIPE)["handlers"]["events_db"]["spill_path"]
    assert os.path.isabs(spill_path)
    assert not spill_path.startswith("/tmp/")
