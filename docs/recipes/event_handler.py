"""An app logger whose calls are persisted as Events, and also printed with their request."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "djangotailoring.handlers.RequestContextFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "events_db": {
            "class": "djangotailoring.handlers.EventHandler",
            "level": "INFO",
            # Records kept while the database is unreachable; on a disk that survives
            # restarts (the default is the temporary directory).
            "spill_path": "/var/lib/mysite/events-spill.jsonl",
        },
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "text",
        },
    },
    "loggers": {
        "myapp.audit": {
            "handlers": ["events_db", "console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
