"""The Event's ``data`` column: Django's ``JSONField``, decoded faster when it is read.

Reading a list of events spends a good part of its time in ``json.loads`` of each row's
``data``. orjson decodes the same documents several times faster, with two differences
that matter here: it reads an integer beyond 64 bits as a float (``json`` keeps it exact),
and it refuses what Python's ``json`` accepts beyond the JSON standard (``Infinity``,
``NaN``, lone surrogates). So a document with a run of 19 or more digits, or one orjson
refuses, is decoded by ``json``, exactly as ``JSONField`` does: every value reads back
the same as before.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.db.models.fields.json import KeyTransform

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None  # type: ignore[assignment]

__all__ = ["EventDataField"]

# An integer that may not fit in 64 bits (orjson would make it a float).
_LONG_NUMBER = re.compile(r"[0-9]{19}")


class EventDataField(models.JSONField):
    """``JSONField`` whose values are decoded by orjson where it gives the same value."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if (
            orjson is not None
            and self.decoder is None
            and isinstance(value, str)
            and not isinstance(expression, KeyTransform)
            and _LONG_NUMBER.search(value) is None
        ):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass  # json decides: it accepts more, or returns the text as JSONField does
        return super().from_db_value(value, expression, connection)
