"""Events as plain text lines on standard error: the smallest useful ``LOGGING``."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "events": {
            "format": "{asctime} {levelname} {name} {message} note={note!r}",
            "style": "{",
        },
    },
    "handlers": {
        "events_console": {
            "class": "logging.StreamHandler",
            "formatter": "events",
        },
    },
    "loggers": {
        "djangotailoring.tracking.events": {
            "handlers": ["events_console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
