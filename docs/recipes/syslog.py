"""Events sent to a syslog daemon over UDP, with the ``local0`` facility."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "syslog": {
            "format": "mysite[{process}]: {message}",
            "style": "{",
        },
    },
    "handlers": {
        "events_syslog": {
            "class": "logging.handlers.SysLogHandler",
            "address": ("localhost", 514),
            "facility": "local0",
            "formatter": "syslog",
        },
    },
    "loggers": {
        "djangotailoring.tracking.events": {
            "handlers": ["events_syslog"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
