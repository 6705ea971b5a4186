"""Events on a database server of their own (TRACKING_DATABASE)."""

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "mysite",
        "USER": "mysite",
        "HOST": "db.internal",
        "PORT": "5432",
        "ATOMIC_REQUESTS": True,
    },
    # Another server (or another database on the same one): SQLite, PostgreSQL and
    # MySQL/MariaDB all work here, whatever "default" is.
    "events": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "mysite_events",
        "USER": "mysite",
        "HOST": "events-db.internal",
        "PORT": "5432",
        "CONN_MAX_AGE": 600,
    },
}

# The tracking app routes Events here itself: no DATABASE_ROUTERS entry is needed.
TRACKING_DATABASE = "events"
