"""Events on standard output as JSON lines, rendered by structlog's ``ProcessorFormatter``."""

import structlog

from djangotailoring.sanitizing import json_safe


def event_fields(logger, method_name, event_dict):
    """Copy the event's fields from the log record, as JSON values."""
    record = event_dict.get("_record")
    event = getattr(record, "event", None)
    if event is None:
        return event_dict
    request = event.data.get("request") or {}
    event_dict.update(
        event_name=event.name,
        event_id=event.pk,
        timestamp=event.timestamp.isoformat(),
        user=getattr(record, "user", None),
        note=event.note,
        related_object=json_safe(getattr(record, "related_object", None)),
        request_id=request.get("id"),
        data=event.data,
    )
    return event_dict


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": [
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                event_fields,
            ],
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        },
    },
    "handlers": {
        "events_stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
    },
    "loggers": {
        "djangotailoring.tracking.events": {
            "handlers": ["events_stdout"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
