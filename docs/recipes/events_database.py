"""Events through a connection of their own, to the same PostgreSQL database."""

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "mysite",
        "USER": "mysite",
        "HOST": "db.internal",
        "PORT": "5432",
        "CONN_MAX_AGE": 60,
        "ATOMIC_REQUESTS": True,
    },
}
DATABASES["events"] = {
    # The same server, database and credentials: only the connection differs.
    **DATABASES["default"],
    # Each insert commits on its own, outside the request's transaction.
    "ATOMIC_REQUESTS": False,
    "CONN_MAX_AGE": 600,
    # Commits return before the write-ahead log reaches the disk. A crash of the server
    # may lose the last few hundred milliseconds of events; it never corrupts anything.
    "OPTIONS": {"options": "-c synchronous_commit=off"},
    # Tests use the default alias's test database for this one too.
    "TEST": {"MIRROR": "default"},
}

DATABASE_ROUTERS = ["mysite.routers.EventsRouter"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "events_db": {
            "class": "djangotailoring.handlers.EventHandler",
            "using": "events",
            # A placeholder: `manage.py check` reports djangotailoring.E011 until it is real.
            "spill_path": "/path/to/persistent/folder/events-spill.jsonl",
        },
    },
    "loggers": {
        "myapp.audit": {"handlers": ["events_db"], "level": "INFO", "propagate": False},
    },
}
