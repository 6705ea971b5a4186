"""Events appended to a file that is rotated by size, keeping ten old files."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "events": {
            "format": "{asctime} {name} {message} | note={note!r} timestamp={timestamp}",
            "style": "{",
        },
    },
    "handlers": {
        "events_file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": "/var/log/mysite/events.log",
            "maxBytes": 50 * 1024 * 1024,
            "backupCount": 10,
            "encoding": "utf-8",
            "formatter": "events",
        },
    },
    "loggers": {
        "djangotailoring.tracking.events": {
            "handlers": ["events_file"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
