"""Sizes and names shared by the models, the creation rules and the logging handler.

Declared once here, so that the handler (which must not import models) and the models agree.
"""

from __future__ import annotations

__all__ = [
    "EVENTS_LOGGER_NAME",
    "HANDLER_LOGGER_NAME",
    "NAME_MAX_LENGTH",
    "NOTE_MAX_LENGTH",
    "OBJECT_ID_MAX_LENGTH",
    "RELATED_DESCRIPTION_MAX_LENGTH",
]

NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 255
OBJECT_ID_MAX_LENGTH = 255
# How much of a related object's str() an Event keeps in data["related_object"].
RELATED_DESCRIPTION_MAX_LENGTH = 1000
# Every Event is announced on this logger; EventHandler never persists its records.
EVENTS_LOGGER_NAME = "djangotailoring.tracking.events"
# The handler's own warnings (outages, spilling); never persisted either.
HANDLER_LOGGER_NAME = "djangotailoring.handlers"
