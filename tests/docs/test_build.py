"""The documentation builds without a single warning."""

from __future__ import annotations

from tests.docs.docfiles import DocsBuild


def test_docs_build_without_warnings(docs_build: DocsBuild) -> None:
    assert docs_build.warnings == ""
    assert docs_build.returncode == 0


def test_docs_build_every_page_of_the_toctree(docs_build: DocsBuild) -> None:
    for page in ["index", "quickstart", "events", "logging", "settings", "catalogue"]:
        assert (docs_build.html / f"{page}.html").is_file(), page
