from __future__ import annotations

import datetime
import decimal
import json
import math
import uuid
from typing import Any

import pytest

from djangotailoring.sanitizing import (
    REPLACEMENT,
    clean_text,
    escape_unstorable,
    fit,
    json_safe,
    one_line,
    safe_str,
    shorten,
)


class Broken:
    def __str__(self) -> str:
        raise RuntimeError("str")

    def __repr__(self) -> str:
        raise RuntimeError("repr")


class OnlyRepr:
    def __str__(self) -> str:
        raise RuntimeError("str")

    def __repr__(self) -> str:
        return "<OnlyRepr>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a\x00b", f"a{REPLACEMENT}b"),
        ("lone \ud800 surrogate", f"lone {REPLACEMENT} surrogate"),
        ("astral \U0001f600 kept", "astral \U0001f600 kept"),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_safe_str_falls_back_to_repr_then_type_name() -> None:
    assert safe_str(OnlyRepr()) == "<OnlyRepr>"
    assert safe_str(Broken()) == "<unprintable Broken object>"
    assert safe_str("a\x00") == f"a{REPLACEMENT}"


def test_shorten_marks_the_cut() -> None:
    assert shorten("abcdef", 10) == "abcdef"
    assert shorten("abcdef", 4) == "abc\u2026"
    assert len(shorten("x" * 500, 255)) == 255


def test_fit_reports_the_original_only_when_changed() -> None:
    assert fit("ok", 10) == ("ok", None)
    stored, original = fit("a\x00" + "b" * 20, 10)
    assert len(stored) == 10
    assert original == "a\\u0000" + "b" * 20


def test_escape_unstorable() -> None:
    assert escape_unstorable("a\x00\ud800") == "a\\u0000\\ud800"


def test_one_line_escapes_line_breaks_and_controls() -> None:
    assert one_line("a\nb\r\x00c\u2028d") == "a\\nb\\r\\x00c\\u2028d"
    assert one_line("tab\tkept? no") == "tab\\tkept? no"
    assert one_line("c1 \x9b control") == "c1 \\x9b control"


def test_json_safe_handles_everything_without_raising() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    value = {
        "dt": datetime.datetime(2020, 1, 2, tzinfo=datetime.timezone.utc),
        "d": datetime.date(2020, 1, 2),
        "dec": decimal.Decimal("1.5"),
        "u": uuid.UUID(int=1),
        "nan": math.nan,
        "inf": math.inf,
        "big": 10**30,
        "huge": 10**5000,
        "loop": loop,
        "set": {1},
        "broken": Broken(),
        1: "int key",
        "nul\x00": "v\x00",
    }
    safe = json_safe(value)
    text = json.dumps(safe, allow_nan=False)
    assert "\\u0000" not in text
    assert isinstance(safe, dict)
    assert safe["dt"] == "2020-01-02T00:00:00+00:00"
    assert safe["nan"] == "nan"
    assert safe["big"] == str(10**30)
    assert safe["huge"] == "<unprintable int object>"
    assert safe["loop"] == [1, "<recursion>"]
    assert safe["1"] == "int key"
    assert safe[f"nul{REPLACEMENT}"] == f"v{REPLACEMENT}"
    assert safe["broken"] == "<unprintable Broken object>"


def test_json_safe_limits_depth() -> None:
    deep: Any = "leaf"
    for _ in range(100):
        deep = [deep]
    json.dumps(json_safe(deep))
