# Added at the end of mysite/settings.py (the file startproject wrote).

INSTALLED_APPS += [
    "studies",
    "djangotailoring.tracking",
]

# First, so that everything logged during a request knows the request.
MIDDLEWARE.insert(0, "djangotailoring.tracking.middleware.RequestContextMiddleware")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "djangotailoring.handlers.RequestContextFilter"}},
    "formatters": {
        "line": {"format": "%(levelname)s %(name)s [%(request_id)s %(username)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": "line",
        },
        # Log calls sent here are stored as Events, by a background writer.
        "events": {"class": "djangotailoring.handlers.EventHandler"},
    },
    "loggers": {
        # Every Event, however it was created, is logged here once it is committed.
        "djangotailoring.tracking.events": {"handlers": ["console"], "level": "INFO"},
        # Your own logger: its records are printed and stored as Events.
        "studies.audit": {"handlers": ["console", "events"], "level": "INFO"},
    },
}
