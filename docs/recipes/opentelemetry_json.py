"""JSON lines with the trace and span ids of each record, for joining logs to traces."""

import structlog

from djangotailoring.handlers import add_request_context, event_fields, make_json_safe

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": [
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                structlog.stdlib.ExtraAdder(),
                event_fields,
                add_request_context,  # request_id ..., task_id ..., trace_id, span_id
                make_json_safe,
            ],
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
    },
    "loggers": {
        "myapp": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "djangotailoring.tracking.events": {
            "handlers": ["stdout"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
