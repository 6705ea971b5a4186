"""current_trace(): the recording OpenTelemetry span's ids; nothing, and no import, otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from djangotailoring.tracecontext import current_trace
from tests.contexts import exported_ids, tracer_and_exporter

trace = pytest.importorskip("opentelemetry.trace", reason='needs pip install -e ".[test]"')


def test_ids_of_the_recording_span_equal_the_exported_span() -> None:
    tracer, exporter = tracer_and_exporter()
    with tracer.start_as_current_span("checkout"):
        ids = current_trace()
    assert ids == exported_ids(exporter)
    assert ids is not None
    assert len(ids["trace_id"]) == 32
    assert len(ids["span_id"]) == 16


def test_no_ids_outside_a_span() -> None:
    assert current_trace() is None


def test_no_ids_for_a_span_that_is_not_recording() -> None:
    context = trace.SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=True,
        trace_flags=trace.TraceFlags(0),
    )
    with trace.use_span(trace.NonRecordingSpan(context)):
        assert current_trace() is None


def test_a_tracer_that_raises_gives_no_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("broken tracer")

    monkeypatch.setattr(trace, "get_current_span", broken)
    assert current_trace() is None


_NO_IMPORT = """
import logging, sys
{block}
import django
django.setup()
from djangotailoring.handlers import EventHandler, RequestContextFilter
from djangotailoring.tracking import create_event
record = logging.LogRecord("app", logging.INFO, "app.py", 1, "hello", (), None)
RequestContextFilter().filter(record)
assert (record.trace_id, record.span_id, record.task_id) == ("-", "-", "-"), vars(record)
loaded = sorted(
    name for name, module in sys.modules.items()
    if module is not None and name.split(".")[0] in ("opentelemetry", "celery")
)
print(",".join(loaded))
"""


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # OpenTelemetry installed but never imported by the application: we do not import
        # it either. Celery is imported (its signals) when it is installed.
        ("", "celery" if find_spec("celery") else ""),
        # Not installed at all: nothing to import, and nothing fails.
        ("sys.modules['opentelemetry'] = sys.modules['celery'] = None", ""),
    ],
    ids=["installed", "not-installed"],
)
def test_opentelemetry_is_never_imported_and_celery_only_when_installed(
    block: str, expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _NO_IMPORT.format(block=block)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip().split(",")
    assert {name.split(".")[0] for name in loaded if name} == ({expected} if expected else set())
