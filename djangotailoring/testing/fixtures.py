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
    transactional one when the test asks for that), so the list outlives no database; with
    ``TRACKING_DATABASE``, on the events' database too.
    """
    from djangotailoring.testing.capturing import capture_events

    if request.config.pluginmanager.hasplugin("django"):
        from djangotailoring.conf import conf

        if conf.DATABASE is not None:
            _with_database(request.node, conf.DATABASE)
        request.getfixturevalue("db")
    with capture_events() as events:
        yield events


def _with_database(node: pytest.Item, alias: str) -> None:
    """Add ``alias`` to the databases that the test's ``django_db`` mark opens."""
    marker = node.get_closest_marker("django_db")
    options = dict(marker.kwargs) if marker is not None else {}
    given = options.get("databases")
    if given == "__all__":
        return
    options["databases"] = sorted({*(given or ("default",)), alias})
    args = marker.args if marker is not None else ()
    node.own_markers.insert(0, pytest.mark.django_db(*args, **options).mark)
