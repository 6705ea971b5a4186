"""Text lines that say which request and task each record belongs to; events in the table."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "djangotailoring.handlers.RequestContextFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(levelname)s %(name)s request=%(request_id)s user=%(user_id)s "
            "task=%(task_name)s[%(task_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["context"],
            "formatter": "text",
        },
        "events": {"class": "djangotailoring.handlers.EventHandler"},
    },
    "loggers": {
        "myapp": {"handlers": ["console", "events"], "level": "INFO", "propagate": False},
    },
}
