"""Turn arbitrary Python values into text and JSON that every supported database accepts.

PostgreSQL refuses NUL characters in text and JSON, and no database accepts lone
surrogates in UTF-8; JSON has no NaN or infinity. Nothing here raises: a value whose
``__str__`` and ``__repr__`` both fail is described by its type.
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any, TypeAlias

__all__ = [
    "REPLACEMENT",
    "JSONValue",
    "clean_text",
    "escape_unstorable",
    "fit",
    "json_safe",
    "one_line",
    "safe_str",
    "shorten",
]

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_replace_unstorable = _UNSTORABLE.sub
_MAX_DEPTH = 20


def clean_text(text: str) -> str:
    """Replace NUL characters and lone surrogates by U+FFFD."""
    # Most texts (a method, a path, an address, a message) are ASCII: no surrogate in
    # them, and a NUL is found faster than the regular expression looks.
    if type(text) is str and text.isascii() and "\x00" not in text:
        return text
    return _replace_unstorable(REPLACEMENT, text)


def safe_str(value: object) -> str:
    """``str(value)`` made storable, falling back to ``repr()`` and then to the type name."""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        try:
            text = repr(value)
        except Exception:
            text = f"<unprintable {type(value).__qualname__} object>"
    return clean_text(text)


def shorten(text: str, max_length: int) -> str:
    """Cut ``text`` to ``max_length`` characters, marking the cut with an ellipsis."""
    if len(text) <= max_length:
        return text
    return text[: max_length - 1] + "\u2026"


def json_safe(value: Any, _depth: int = 0, _seen: frozenset[int] = frozenset()) -> JSONValue:
    """Return a JSON-serialisable copy of ``value`` that every database stores.

    Mappings and sequences are copied recursively (cycles and very deep nesting become
    strings); other objects become their ``str()``.
    """
    # The plain types first, by their exact type: what nearly every value is.
    kind = type(value)
    if kind is str:
        # isascii() costs nothing, and a surrogate is never ASCII: only a NUL can be there.
        text: str = value
        if text.isascii() and "\x00" not in text:
            return text
        return _replace_unstorable(REPLACEMENT, text)
    if kind is int:
        number: int = value
        return number if -(2**63) <= number < 2**63 else safe_str(number)
    if kind is float:
        real: float = value
        return real if math.isfinite(real) else str(real)
    if value is None or kind is bool:
        return value  # type: ignore[no-any-return]
    try:
        if kind is dict or kind is list or kind is tuple:
            return _container(value, kind is dict, _depth, _seen)
        return _json_value(value, _depth, _seen)
    except Exception:
        # Even isinstance() fails on some proxies (a lazy object whose setup raises): one
        # such item becomes its description, its container stays a container.
        return safe_str(value)


def _json_value(value: Any, _depth: int, _seen: frozenset[int]) -> JSONValue:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # Beyond 64 bits some databases lose precision, and huge ints cannot even be printed.
        return int(value) if -(2**63) <= value < 2**63 else safe_str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return _container(value, isinstance(value, Mapping), _depth, _seen)
    return safe_str(value)


def _container(value: Any, mapping: bool, _depth: int, _seen: frozenset[int]) -> JSONValue:
    if id(value) in _seen:
        return "<recursion>"
    if _depth >= _MAX_DEPTH:
        return safe_str(value)
    seen = _seen | {id(value)}
    depth = _depth + 1
    try:
        if mapping:
            return {
                safe_str(key): json_safe(item, depth, seen) for key, item in list(value.items())
            }
        return [json_safe(item, depth, seen) for item in list(value)]
    except Exception:
        return safe_str(value)


def escape_unstorable(text: str) -> str:
    """Write NUL characters and lone surrogates as visible ``\\uXXXX`` escapes."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def fit(text: str, max_length: int) -> tuple[str, str | None]:
    """Make ``text`` storable in a column of ``max_length`` characters.

    Returns the storable text and, when it differs, the full original (with unstorable
    characters escaped) to keep in ``data["original"]``.
    """
    stored = shorten(clean_text(text), max_length)
    return stored, (None if stored == text else escape_unstorable(text))


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """Escape line breaks and other control characters, so ``text`` cannot forge log lines."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)
