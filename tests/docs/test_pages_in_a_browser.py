"""The built docs fit a 1280 px wide window: no page and no code block scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.chromium import chromium, fits
from tests.docs.docfiles import DocsBuild

PAGES = ["index", "quickstart", "guarantees", "performance", "recipes/event-handler"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium(1280)


@pytest.mark.parametrize("page", PAGES)
def test_page_fits_1280_pixels(docs_build: DocsBuild, browser: Any, page: str) -> None:
    browser.get((docs_build.html / f"{page}.html").as_uri())
    broken = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)"
    )
    assert broken == []
    assert fits(browser)


def test_the_index_shows_its_pictures(docs_build: DocsBuild, browser: Any) -> None:
    browser.get((docs_build.html / "index.html").as_uri())
    shown = browser.execute_script(
        "return [...document.images].filter(i => i.naturalWidth > 0).map(i => i.src)"
    )
    assert any(src.endswith("flow.svg") for src in shown), shown
    assert any(src.endswith("admin-changelist.png") for src in shown), shown
