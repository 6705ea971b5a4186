"""Map a handed-over record to the fields of its Event (in the writer's thread).

The result is what is written to the database, or to the spill file when the database
cannot be reached, so it holds only JSON values: the user as a primary key, the related
object as ``[app_label, model, object id]``.
"""

from __future__ import annotations

from typing import Any, TypedDict

from djangotailoring.handlers.handover import HandedRecord
from djangotailoring.handlers.sessionusers import SessionUsers
from djangotailoring.limits import NAME_MAX_LENGTH, NOTE_MAX_LENGTH
from djangotailoring.sanitizing import clean_text, fit, json_safe

__all__ = ["PreparedEvent", "prepare"]


class PreparedEvent(TypedDict):
    """The fields of one Event, as JSON values (also the spill file's ``event``)."""

    name: str
    note: str
    created: float
    user: Any
    related: list[str] | tuple[str, str, str] | None
    data: dict[str, Any]


def _fit(text: str, max_length: int) -> tuple[str, str | None]:
    # Most names and notes are short ASCII: nothing to clean or cut.
    if len(text) <= max_length and text.isascii() and "\x00" not in text:
        return text, None
    return fit(text, max_length)


def prepare(handed: HandedRecord, sessions: SessionUsers | None = None) -> PreparedEvent:
    """Return the Event fields of a handed-over record as JSON values.

    ``sessions`` finds the user of a record handed over with a session key (none given:
    such records get no user).
    """
    data: dict[str, Any] = {"logger": clean_text(handed["logger"]), "level": handed["level"]}
    message = handed["message"]
    if "event_name" in handed:
        name_text, note_text = handed["event_name"], message
    else:
        name_text, note_text = message, ""
    if "note" in handed:
        note_text = handed["note"]
    name, full_name = _fit(name_text, NAME_MAX_LENGTH)
    note, full_note = _fit(note_text, NOTE_MAX_LENGTH)
    if full_name is not None or full_note is not None:
        original = {}
        if full_name is not None:
            original["name"] = full_name
        if full_note is not None:
            original["note"] = full_note
        data["original"] = original

    user = handed.get("user")
    if "user_unresolved" in handed:
        data["user"] = handed["user_unresolved"]
    elif user is None and "session" in handed and sessions is not None:
        user = sessions.user(handed["session"])

    related = handed.get("related")
    if "related_description" in handed:
        data["related_object"] = handed["related_description"]
    if "request" in handed:
        data["request"] = handed["request"]
    if "extra" in handed:
        data["extra"] = json_safe(handed["extra"])
    if "exception" in handed:
        data["exception"] = clean_text(handed["exception"])
    return {
        "name": name,
        "note": note,
        "created": handed["created"],
        "user": user,
        "related": related,
        "data": data,
    }
