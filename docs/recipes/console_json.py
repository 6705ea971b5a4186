"""Events on standard output as JSON lines, rendered by structlog's ``ProcessorFormatter``."""

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
                add_request_context,
                make_json_safe,
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
