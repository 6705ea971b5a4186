"""The router that keeps Events on ``TRACKING_DATABASE``, installed by the app itself.

With ``TRACKING_DATABASE`` set, :class:`EventsRouter` answers first, before the routers of
``DATABASE_ROUTERS`` (``AppConfig.ready`` sets this up; no entry is needed). It sends the
``tracking`` app's reads, writes and migrations to that alias, lets nothing else migrate
there (unless it is ``default``), allows an Event's links to objects of other databases,
and sends a user or content type reached *from* an Event where the rest of the chain would
send it, not to the Event's database. Listing it in ``DATABASE_ROUTERS`` yourself puts it
where you list it instead. Without the setting it answers nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, router
from django.db.models import Model

from djangotailoring.conf import conf

__all__ = ["EventsRouter", "install"]

TRACKING_APP = "tracking"


def _is_tracking(model: type[Model] | None) -> bool:
    return model is not None and model._meta.app_label == TRACKING_APP


def _is_tracking_object(obj: Any) -> bool:
    # Through _meta, not type(): request.user is a lazy object whose type is not the model.
    meta = getattr(obj, "_meta", None)
    return meta is not None and meta.app_label == TRACKING_APP


class EventsRouter:
    """Routes the ``tracking`` app to ``TRACKING_DATABASE`` (see the module docstring)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        return self._route("db_for_read", model, hints)

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return self._route("db_for_write", model, hints)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        if conf.DATABASE is not None and (_is_tracking_object(obj1) or _is_tracking_object(obj2)):
            return True
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        alias = conf.DATABASE
        if alias is None:
            return None
        if app_label == TRACKING_APP:
            return db == alias
        if db == alias and alias != DEFAULT_DB_ALIAS:
            return False
        return None

    def _route(self, action: str, model: type[Model], hints: dict[str, Any]) -> str | None:
        alias = conf.DATABASE
        if alias is None:
            return None
        if _is_tracking(model):
            return alias
        instance = hints.get("instance")
        if instance is not None and _is_tracking_object(instance):
            # A user or content type of an Event lives where it lives, not beside the Event
            # (Django's own fallback would look for it in the Event's database).
            others = {key: value for key, value in hints.items() if key != "instance"}
            for other in router.routers:
                if isinstance(other, EventsRouter):
                    continue
                chosen = getattr(other, action, None)
                answer = chosen(model, **others) if chosen is not None else None
                if answer:
                    return str(answer)
            return DEFAULT_DB_ALIAS
        return None


_ACTIONS = ("db_for_read", "db_for_write", "allow_relation", "allow_migrate")


def _listed() -> bool:
    """Whether the project lists an :class:`EventsRouter` in ``DATABASE_ROUTERS`` itself."""
    return any(isinstance(each, EventsRouter) for each in router.routers)


def install(**kwargs: Any) -> None:
    """Make :class:`EventsRouter` answer first in Django's router when ``TRACKING_DATABASE``
    is set (unless ``DATABASE_ROUTERS`` lists it, which puts it where it is listed).

    Django's router is wrapped, not its list of routers: the list is rebuilt whenever
    ``DATABASE_ROUTERS`` changes (``override_settings`` in tests), the wrapping stays.
    """
    if conf.DATABASE is None or getattr(router, "_djangotailoring_events_first", False):
        return
    first = EventsRouter()
    for action in _ACTIONS:
        setattr(router, action, _first(first, action, getattr(router, action)))
    router._djangotailoring_events_first = True  # type: ignore[attr-defined]


def _first(first: EventsRouter, action: str, rest: Any) -> Any:
    ask = getattr(first, action)

    def routed(*args: Any, **hints: Any) -> Any:
        if not _listed():
            answer = ask(*args, **hints)
            if answer is not None:
                return answer
        return rest(*args, **hints)

    routed.__name__ = action
    return routed


def connect() -> None:
    """Install the router now, and when ``TRACKING_DATABASE`` changes (tests)."""
    from django.core.signals import setting_changed

    install()
    setting_changed.connect(_settings_changed, dispatch_uid="djangotailoring.tracking.routing")


def _settings_changed(setting: str, **kwargs: Any) -> None:
    if setting == "TRACKING_DATABASE":
        install()
