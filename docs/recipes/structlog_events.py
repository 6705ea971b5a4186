"""structlog through the standard library: JSON lines on the console, Events in the database."""

import structlog

from djangotailoring.handlers import add_request_context, event_fields, make_json_safe

structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        add_request_context,
        # Hands the event dict over as it is. structlog.stdlib.render_to_log_kwargs (the
        # event as the message, the other keys as extras) works here just as well.
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            # For records that structlog did not wrap: Django's, the events logger's, and
            # everything when structlog ends with render_to_log_kwargs.
            "foreign_pre_chain": [
                structlog.stdlib.ExtraAdder(),
                event_fields,
                add_request_context,
            ],
            # For every record. Level, logger and time are added here, not in
            # structlog.configure(): EventHandler stores them already.
            "processors": [
                structlog.stdlib.add_logger_name,
                structlog.stdlib.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.processors.format_exc_info,
                make_json_safe,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
        "events_db": {
            "class": "djangotailoring.handlers.EventHandler",
            "level": "INFO",
        },
    },
    "loggers": {
        "myapp.audit": {
            "handlers": ["console", "events_db"],
            "level": "INFO",
            "propagate": False,
        },
        "djangotailoring.tracking.events": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
