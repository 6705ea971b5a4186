"""The OpenTelemetry recipe: trace and span ids in JSON lines and in Events (the real SDK)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from djangotailoring.tracking import create_event
from tests.contexts import exported_ids, tracer_and_exporter
from tests.docs.conftest import ApplyLogging
from tests.docs.docfiles import load_logging

pytest.importorskip("opentelemetry.sdk", reason='needs pip install -e ".[test]"')


def test_log_call_and_event_in_a_span_carry_the_exported_ids_in_json_lines(
    apply_logging: ApplyLogging,
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    apply_logging(load_logging("recipes/opentelemetry_json.py"))
    tracer, exporter = tracer_and_exporter()
    with tracer.start_as_current_span("checkout"):
        logging.getLogger("myapp").info("CardCharged")
        with django_capture_on_commit_callbacks(execute=True):
            event = create_event("OrderPaid")
    ids = exported_ids(exporter)
    logged, announced = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert logged == {"event": "CardCharged", "logger": "myapp", "level": "info", **ids}
    assert (announced["event"], announced["event_id"]) == ("OrderPaid", event.pk)
    assert (announced["trace_id"], announced["span_id"]) == (ids["trace_id"], ids["span_id"])
    event.refresh_from_db()
    assert event.data["trace"] == ids


def test_records_outside_a_span_have_no_trace_keys(
    apply_logging: ApplyLogging, capsys: pytest.CaptureFixture[str]
) -> None:
    apply_logging(load_logging("recipes/opentelemetry_json.py"))
    logging.getLogger("myapp").info("Idle")
    assert json.loads(capsys.readouterr().out) == {
        "event": "Idle",
        "logger": "myapp",
        "level": "info",
    }
