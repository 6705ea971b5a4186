"""A database router that sends the tracking app to the "events" alias."""

EVENTS = "events"
ONE_DATABASE = {"default", EVENTS}


class EventsRouter:
    """Read and write Events through the "events" connection.

    Both aliases reach the same database, so an Event may refer to any user or object, and
    the schema is migrated once, through "default".
    """

    def db_for_read(self, model, **hints):
        return EVENTS if model._meta.app_label == "tracking" else None

    def db_for_write(self, model, **hints):
        return EVENTS if model._meta.app_label == "tracking" else None

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= ONE_DATABASE:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == EVENTS else None
