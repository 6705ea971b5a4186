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
            # Records kept while the database is unreachable, on a disk that survives
            # restarts. A placeholder: `manage.py check` reports djangotailoring.E011
            # until it names a file in a folder that exists.
            "spill_path": "/path/to/persistent/folder/events-spill.jsonl",
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
