"""Building loaded model instances without ``Model.__init__`` where nothing can tell.

Django builds each row of a queryset with ``cls(*values)``: ``Model.__init__`` sends
``pre_init`` and ``post_init``, creates the instance's state and sets every field through
``setattr``. For a list of a thousand events that is most of the time the list takes
(PostgreSQL answers ``events_related_to(obj)`` of 1,000 events in about 1 ms; building them
took 9-13 ms). :func:`load_instance` builds the same instance directly (the documented
``Model.from_db`` override point, see "Customizing model loading" in Django's reference),
and falls back to Django's own way whenever the result could differ:

* some fields were deferred (``only()``/``defer()``): Django fills in ``DEFERRED`` markers;
* a receiver of ``pre_init`` or ``post_init`` is connected for the class: it must run;
* the class (a proxy or subclass) defines an ``__init__`` of its own.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

__all__ = ["fast_path_applies", "load_instance"]

_M = TypeVar("_M", bound=models.Model)

# The attribute names of each class's concrete fields, in the order Django selects them.
_ATTNAMES: dict[type[models.Model], tuple[str, ...]] = {}


def _attnames(cls: type[models.Model]) -> tuple[str, ...]:
    try:
        return _ATTNAMES[cls]
    except KeyError:
        names = _ATTNAMES[cls] = tuple(field.attname for field in cls._meta.concrete_fields)
        return names


def fast_path_applies(cls: type[models.Model], count: int) -> bool:
    """Whether ``count`` loaded values of ``cls`` can skip ``Model.__init__``."""
    return (
        count == len(_attnames(cls))
        and cls.__init__ is models.Model.__init__
        # An empty list of receivers is the cheap common case; otherwise ask for this class.
        and not (pre_init.receivers and pre_init.has_listeners(cls))
        and not (post_init.receivers and post_init.has_listeners(cls))
    )


def load_instance(
    cls: type[_M],
    db: str | None,
    field_names: Any,
    values: Any,
    fetch_mode: Any = None,
) -> _M:
    """An instance of ``cls`` loaded from ``db`` with ``values``, as ``Model.from_db`` builds it.

    Where the fast path does not apply, Django's own ``Model.from_db`` builds it (for a
    direct subclass of ``Model`` such as ``Event``, the next ``from_db`` after its own).
    ``fetch_mode`` (Django 6.1 and later) is set on the instance's state when given, as
    Django's ``from_db`` does; Django before 6.1 never passes it.
    """
    if not fast_path_applies(cls, len(values)):
        django_from_db = models.Model.from_db.__func__  # type: ignore[attr-defined]
        if fetch_mode is None:
            return django_from_db(cls, db, field_names, values)  # type: ignore[no-any-return]
        return django_from_db(cls, db, field_names, values, fetch_mode=fetch_mode)  # type: ignore[no-any-return]
    new = cls.__new__(cls)
    state = ModelState()
    state.adding = False
    state.db = db
    if fetch_mode is not None:
        state.fetch_mode = fetch_mode
    attributes = new.__dict__
    attributes["_state"] = state
    attributes.update(zip(_attnames(cls), values, strict=False))  # equal lengths (above)
    return new
