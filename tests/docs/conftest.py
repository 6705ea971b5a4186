"""A session-wide build of the documentation, shared by the tests that inspect it."""

from __future__ import annotations

import pytest

from tests.docs.docfiles import DocsBuild, build_docs


@pytest.fixture(scope="session")
def docs_build(tmp_path_factory: pytest.TempPathFactory) -> DocsBuild:
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    return build_docs(tmp_path_factory.mktemp("docs"))
