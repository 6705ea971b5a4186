"""``TRACKING_DATABASE`` on real separate databases, each layout in a child pytest.

The model's constraints follow the setting at start-up, so each layout runs
``tests/apart/apart_checks.py`` in a pytest of its own: PostgreSQL for both (two databases,
between which no join is possible), PostgreSQL with SQLite for events, and PostgreSQL with
MariaDB for events. A layout whose servers this run cannot reach is skipped, saying why;
CI reaches them all.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.childpytest import ROOT, assert_all_passed, run_child_pytest
from tests.databases import MARIADB, POSTGRES, _unreachable

LAYOUTS = {
    # (the run that starts it, default database, events' database)
    "postgres+postgres": ("postgresql", "postgres", "postgres"),
    "postgres+sqlite": ("postgresql", "postgres", "sqlite"),
    "postgres+mariadb": ("mysql", "postgres", "mariadb"),
}
SERVERS = {"postgres": POSTGRES, "mariadb": MARIADB}


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_feature_with_events_on_their_own_database(
    layout: str, pytestconfig: pytest.Config
) -> None:
    run_vendor, app, events = LAYOUTS[layout]
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if vendor != run_vendor:
        pytest.skip(f"runs in the {run_vendor} run of the suite (this one is {vendor})")
    for kind in {app, events} & set(SERVERS):
        reason = _unreachable(kind, SERVERS[kind])
        if reason is not None:
            pytest.skip(reason)
    env = dict(os.environ)
    env["DJANGOTAILORING_TEST_DB"] = app
    env["DJANGOTAILORING_TEST_EVENTS_DB"] = events
    env["DJANGOTAILORING_TEST_DB_SUFFIX"] = env.get("DJANGOTAILORING_TEST_DB_SUFFIX", "") + "_apart"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGOTAILORING_SQLITE_TEST_NAME", None)
    # The child's coverage goes to a data file of its own, which this run's coverage combines
    # with the rest at its end (a data file next to this run's, named .coverage.*).
    env["COVERAGE_FILE"] = str(ROOT / f".coverage.apart-{layout}")
    output = run_child_pytest(
        ["tests/apart/apart_checks.py", "tests/apart/apart_plugin_checks.py"],
        env,
        config=pytestconfig,
    )
    assert_all_passed(output, at_least=20)
