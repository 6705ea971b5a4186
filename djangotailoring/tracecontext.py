"""The OpenTelemetry span being recorded, as W3C hex ids for records and events.

OpenTelemetry is never imported here: a span can only be current once the application has
imported ``opentelemetry.trace``, so until then (and always, when it is not installed) a
lookup costs one dictionary access.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["TRACE_MODULE", "current_trace"]

#: The module whose presence in ``sys.modules`` means a span may be current.
TRACE_MODULE = "opentelemetry.trace"

# The last span context seen and its hex ids: the records of one span format them once.
_last: tuple[Any, str, str] = (None, "", "")


def current_trace() -> dict[str, str] | None:
    """``{"trace_id", "span_id"}`` (32 and 16 hex digits) of the recording span, else ``None``.

    Never raises: a broken tracer costs the record its trace ids only.
    """
    global _last
    trace: Any = sys.modules.get(TRACE_MODULE)
    if trace is None:
        return None
    try:
        span = trace.get_current_span()
        if not span.is_recording():
            return None
        context = span.get_span_context()
        last = _last
        if last[0] is not context:
            if not context.is_valid:
                return None
            last = _last = (
                context,
                format(context.trace_id, "032x"),
                format(context.span_id, "016x"),
            )
    except Exception:  # noqa: BLE001 - a broken tracer costs the record its trace ids only.
        return None
    return {"trace_id": last[1], "span_id": last[2]}
