"""The pytest-django recipe's tests run as part of the suite, exactly as documented."""

from __future__ import annotations

import pytest

from tests.docs.conftest import ApplyLogging
from tests.docs.docfiles import load, load_logging

_recipe = load("recipes/testing_with_pytest.py")

test_sign_up_records_event = _recipe["test_sign_up_records_event"]
test_sign_up_is_logged = _recipe["test_sign_up_is_logged"]
test_nothing_is_logged_before_commit = _recipe["test_nothing_is_logged_before_commit"]
test_sign_up_is_logged_in_transactional_test = _recipe[
    "test_sign_up_is_logged_in_transactional_test"
]
test_sign_up_records_exactly_one_event = _recipe["test_sign_up_records_exactly_one_event"]
test_only_the_block_is_captured = _recipe["test_only_the_block_is_captured"]


class TestEventHandlerRecipe:
    """The EventHandler tests, with the project's LOGGING of the EventHandler recipe."""

    _recipe = load("recipes/testing_event_handler.py")
    test_withdrawal_is_recorded = staticmethod(_recipe["test_withdrawal_is_recorded"])
    test_withdrawal_is_recorded_at_once = staticmethod(
        _recipe["test_withdrawal_is_recorded_at_once"]
    )
    test_withdrawal_is_captured = staticmethod(_recipe["test_withdrawal_is_captured"])

    @pytest.fixture(autouse=True)
    def _project_logging(self, apply_logging: ApplyLogging) -> None:
        # Django applies LOGGING at start-up in a project; this suite's settings do not.
        apply_logging(load_logging("recipes/event_handler.py"))
