"""Exceptions raised for bad input to the event-creation functions."""

from __future__ import annotations

__all__ = ["InvalidEventError", "InvalidEventTypeError"]


class InvalidEventError(ValueError):
    """An event could not be created from the given arguments; nothing was saved."""


class InvalidEventTypeError(InvalidEventError, TypeError):
    """An argument has the wrong type (e.g. a ``related_object`` that is not a model instance).

    It is both a ``ValueError`` and a ``TypeError``, like :class:`io.UnsupportedOperation`
    is both an ``OSError`` and a ``ValueError``, so either ``except`` clause catches it.
    """
