"""The Celery recipe: the project's Celery app, and LOGGING lines that name request and task."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from djangotailoring.taskpropagation import REQUEST_ID_HEADER, USER_ID_HEADER
from djangotailoring.tracking.models import Event
from tests.docs.conftest import ApplyLogging
from tests.docs.docfiles import load, load_logging

celery = pytest.importorskip("celery", reason='needs Celery: pip install -e ".[test]"')
signals = pytest.importorskip("celery.signals")

app = celery.Celery("tests.docs.recipe_celery", broker="memory://")


@app.task(name="myapp.tasks.send_receipt")
def send_receipt() -> None:
    logging.getLogger("myapp.tasks").info("ReceiptSent")


@override_settings(CELERY_BROKER_URL="memory://recipe")
def test_celery_app_reads_django_settings_and_leaves_logging_to_django() -> None:
    recipe = load("recipes/celery_app.py")
    assert recipe["app"].conf.broker_url == "memory://recipe"
    receivers = [receiver() for _, receiver in signals.setup_logging.receivers]
    assert recipe["keep_django_logging"] in receivers
    signals.setup_logging.disconnect(recipe["keep_django_logging"])


def test_task_logs_its_request_and_task_and_records_the_event(
    apply_logging: ApplyLogging, capsys: pytest.CaptureFixture[str]
) -> None:
    [handler] = apply_logging(load_logging("recipes/celery_logging.py"))
    alice = User.objects.create_user("alice")
    result: Any = send_receipt.apply(
        headers={REQUEST_ID_HEADER: "5d1c0a9e4b7f4a53a1f3c2a8d9e0b7c4", USER_ID_HEADER: alice.pk}
    )
    handler.flush()
    assert re.fullmatch(
        rf"INFO myapp\.tasks request=5d1c0a9e4b7f4a53a1f3c2a8d9e0b7c4 user={alice.pk} "
        rf"task=myapp\.tasks\.send_receipt\[{result.id}\] ReceiptSent\n",
        capsys.readouterr().out,
    )
    story = Event.objects.filter(data__request__id="5d1c0a9e4b7f4a53a1f3c2a8d9e0b7c4")
    [event] = story
    assert (event.name, event.user_id) == ("ReceiptSent", alice.pk)
    assert event.data["task"] == {"id": result.id, "name": "myapp.tasks.send_receipt", "retries": 0}


def test_records_outside_tasks_show_placeholders(
    apply_logging: ApplyLogging, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_logging(load_logging("recipes/celery_logging.py"))
    logging.getLogger("myapp.views").info("OrderPlaced")
    assert capsys.readouterr().out == "INFO myapp.views request=- user=- task=-[-] OrderPlaced\n"
