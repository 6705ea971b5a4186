"""The console recipes: plain text lines (the quickstart's) and JSON lines."""

from __future__ import annotations

import json
import logging.config
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from djangotailoring.tracking import create_event
from tests.docs.docfiles import load_logging
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., Any]


@pytest.mark.urls("tests.docs.urls")
def test_plain_console_prints_the_line_shown_in_the_quickstart(
    client: Client, capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: Any
) -> None:
    logging.config.dictConfig(load_logging("recipes/console.py"))
    client.force_login(User.objects.create_user("alice"))
    study = IntTarget.objects.create(label="pilot")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/studies/{study.pk}/consent/")
    path = f"/studies/{study.pk}/consent/"
    assert re.fullmatch(
        rf"\S+ \S+ INFO djangotailoring\.tracking\.events UserConsented user=alice "
        rf"related=IntTarget pilot path={path} note='{path}'\n",
        capsys.readouterr().err,
    )


def test_json_console_prints_one_json_object_per_event(
    capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: Any
) -> None:
    logging.config.dictConfig(load_logging("recipes/console_json.py"))
    alice = User.objects.create_user("alice")
    study = IntTarget.objects.create(label="pilot")
    with django_capture_on_commit_callbacks(execute=True):
        event = create_event("UserConsented", user=alice, related_object=study, note="v2")
    [line] = capsys.readouterr().out.splitlines()
    output = json.loads(line)
    assert output["event"].startswith("UserConsented")
    assert output["event_id"] == event.pk
    assert output["logger"] == "djangotailoring.tracking.events"
    assert output["level"] == "info"
    assert output["timestamp"] == event.timestamp.isoformat()
    assert (output["user"], output["note"]) == ("alice", "v2")
    assert output["related_object"] == "IntTarget pilot"
    assert output["request"] is None


def test_json_console_carries_the_request_and_its_id(
    client: Client, capsys: pytest.CaptureFixture[str], django_capture_on_commit_callbacks: Any
) -> None:
    logging.config.dictConfig(load_logging("recipes/console_json.py"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/record/", {"name": "Recorded"})
    [line] = capsys.readouterr().out.splitlines()
    output = json.loads(line)
    assert output["request_id"] == response["X-Request-ID"]
    assert output["request"]["id"] == response["X-Request-ID"]
    assert (output["request_method"], output["request_path"]) == ("GET", "/record/")


def test_json_console_passes_other_records_through(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_logging("recipes/console_json.py")
    config["loggers"]["myapp"] = {"handlers": ["events_stdout"], "level": "INFO"}
    logging.config.dictConfig(config)
    logging.getLogger("myapp").info("Hello %s", "world")
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {"event": "Hello world", "logger": "myapp", "level": "info"}
