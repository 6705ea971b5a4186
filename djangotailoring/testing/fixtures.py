"""The pytest plugin of djangotailoring (the ``pytest11`` entry point): the fixture
``captured_events``.

pytest imports plugins before Django is configured, and in projects without pytest-django:
importing this module imports no model and reads no setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event

__all__ = ["captured_events"]


@pytest.fixture
def captured_events(request: pytest.FixtureRequest) -> Iterator[list[Event]]:
    """The list of Events created during the test (see ``capture_events()``).

    With pytest-django it enables database access first (its ``db`` fixture, which is a
    transactional one when the test asks for that), so the list outlives no database.
    """
    from djangotailoring.testing.capturing import capture_events

    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("db")
    with capture_events() as events:
        yield events
