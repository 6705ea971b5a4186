"""Every test the Guarantees page cites as proof exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "guarantees.rst"
CITATION = re.compile(r"``(tests/[\w/]+\.py)::(\w+)")


def citations() -> list[tuple[str, str]]:
    return sorted(set(CITATION.findall(PAGE.read_text(encoding="utf-8"))))


def test_the_page_cites_tests() -> None:
    assert len(citations()) > 20


@pytest.mark.parametrize(("path", "name"), citations())
def test_cited_test_exists(path: str, name: str) -> None:
    source = ROOT / path
    assert source.is_file(), f"{path} does not exist"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    assert name in defined, f"{path} has no test named {name}"
