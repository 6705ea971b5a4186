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


def prepare(handed: HandedRecord, sessions: SessionUsers | None = None) -> PreparedEvent:
    """Return the Event fields of a handed-over record as JSON values.

    ``sessions`` finds the user of a record handed over with a session key (none given:
    such records get no user).
    """
    # Once per record in the writer: the usual record (short ASCII texts, no extras) takes
    # the fewest steps; isascii() costs nothing and a surrogate is never ASCII.
    logger = handed["logger"]
    if type(logger) is not str or not logger.isascii() or "\x00" in logger:
        logger = clean_text(logger)
    data: dict[str, Any] = {"logger": logger, "level": handed["level"]}
    if "event_name" in handed:
        name, note = handed["event_name"], handed["message"]
    else:
        name, note = handed["message"], ""
    if "note" in handed:
        note = handed["note"]
    original: dict[str, str] | None = None
    if len(name) > NAME_MAX_LENGTH or not name.isascii() or "\x00" in name:
        name, full = fit(name, NAME_MAX_LENGTH)
        if full is not None:
            original = {"name": full}
    if len(note) > NOTE_MAX_LENGTH or not note.isascii() or "\x00" in note:
        note, full = fit(note, NOTE_MAX_LENGTH)
        if full is not None:
            if original is None:
                original = {}
            original["note"] = full
    if original is not None:
        data["original"] = original

    user = handed.get("user")
    if "user_unresolved" in handed:
        data["user"] = handed["user_unresolved"]
    elif user is None and sessions is not None and "session" in handed:
        user = sessions.user(handed["session"])

    if "related_description" in handed:
        data["related_object"] = handed["related_description"]
    if "request" in handed:
        data["request"] = handed["request"]
    if "task" in handed:
        data["task"] = handed["task"]
    if "trace" in handed:
        data["trace"] = handed["trace"]
    if "extra" in handed:
        data["extra"] = json_safe(handed["extra"])
    if "exception" in handed:
        data["exception"] = clean_text(handed["exception"])
    return {
        "name": name,
        "note": note,
        "created": handed["created"],
        "user": user,
        # A list when read back from JSON (a journal, a spill file): the store takes both.
        "related": handed.get("related"),
        "data": data,
    }
