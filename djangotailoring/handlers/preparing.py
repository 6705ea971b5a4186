"""Map a captured record to the JSON-safe fields of its Event (in the writer's thread).

The result is what is written to the database, or to the spill file when the database
cannot be reached, so it holds only JSON values: the user as a primary key, the related
object as ``[app_label, model, object id]``. Lazy request users are resolved here, off
the caller's thread and off any event loop.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Model

from djangotailoring.sanitizing import clean_text, fit, json_safe, safe_str, shorten

__all__ = ["RELATED_DESCRIPTION_MAX_LENGTH", "prepare", "user_reference"]

# The same limits as the Event model; the model itself is not imported here.
NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 255
RELATED_DESCRIPTION_MAX_LENGTH = 1000


def _fit(text: str, max_length: int) -> tuple[str, str | None]:
    # Most names and notes are short ASCII: nothing to clean or cut.
    if len(text) <= max_length and text.isascii() and "\x00" not in text:
        return text, None
    return fit(text, max_length)


def _text(value: Any) -> str:
    # Text is kept raw here: fit() cleans it and keeps the original when it had to.
    return value if type(value) is str else safe_str(value)


def user_reference(value: Any) -> tuple[Any, Any]:
    """Return ``(primary key, unresolved reference)`` for a ``user`` extra."""
    try:
        if value is None or getattr(value, "is_anonymous", False) is True:
            return None, None
        is_model = isinstance(value, Model)
    except Exception:
        # A lazy user whose setup fails (a broken session): keep what can be told of it.
        return None, json_safe(value)
    if is_model:
        from django.contrib.auth import get_user_model

        # Another model's instance is no user, even where its key matches one.
        if value.pk is None or not isinstance(value, get_user_model()):
            return None, safe_str(value)
        return json_safe(value.pk), None
    if isinstance(value, (int, str, uuid.UUID)) and not isinstance(value, bool):
        return json_safe(value), None
    return None, json_safe(value)


def _request_user(captured: dict[str, Any]) -> Any:
    request = captured.get("lazy_user")
    try:
        user = request.user if request is not None else captured.get("request_user")
        if user is None or not user.is_authenticated:
            return None
        return json_safe(user.pk)
    except Exception:
        # A broken session or authentication backend only costs the Event its user.
        return None


def _related(value: Any) -> tuple[list[str] | None, str]:
    description = shorten(safe_str(value), RELATED_DESCRIPTION_MAX_LENGTH)
    try:
        linkable = isinstance(value, Model) and value.pk is not None
    except Exception:
        # isinstance() fails on a lazy object whose setup raises: describe it only.
        linkable = False
    if not linkable:
        return None, description
    opts = (value._meta.concrete_model or type(value))._meta
    pk = value.pk
    # UUIDs stay hyphenated here; the store writes them the way its database does.
    object_id = str(pk)
    return [opts.app_label, str(opts.model_name), clean_text(object_id)], description


def prepare(captured: dict[str, Any]) -> dict[str, Any]:
    """Return the Event fields of a captured record as JSON values.

    ``uuid_as_text`` says how the database stores UUID keys of related objects (hyphenated
    where it has a native UUID type, 32 hex digits elsewhere).
    """
    original: dict[str, str] = {}
    data: dict[str, Any] = {"logger": safe_str(captured["logger"]), "level": captured["level"]}
    message = _text(captured["message"])
    if "event_name" in captured:
        name_text = _text(captured["event_name"])
        note_text = message
    else:
        name_text, note_text = message, ""
    if captured.get("note") is not None:
        note_text = _text(captured["note"])
    name, full = _fit(name_text, NAME_MAX_LENGTH)
    if full is not None:
        original["name"] = full
    note, full = _fit(note_text, NOTE_MAX_LENGTH)
    if full is not None:
        original["note"] = full

    if "user" in captured:
        user, unresolved = user_reference(captured["user"])
        if unresolved is not None:
            data["user"] = unresolved
    else:
        user = _request_user(captured)

    related = None
    if captured.get("related_object") is not None:
        related, data["related_object"] = _related(captured["related_object"])

    if "request" in captured:
        data["request"] = json_safe(captured["request"])
    if "extra" in captured:
        data["extra"] = json_safe(captured["extra"])
    if "exception" in captured:
        data["exception"] = clean_text(captured["exception"])
    if original:
        data["original"] = original
    return {
        "name": name,
        "note": note,
        "created": captured["created"],
        "user": user,
        "related": related,
        "data": data,
    }
