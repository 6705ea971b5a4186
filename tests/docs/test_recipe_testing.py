"""The pytest-django recipe's tests run as part of the suite, exactly as documented."""

from __future__ import annotations

from tests.docs.docfiles import load

_recipe = load("recipes/testing_with_pytest.py")

test_sign_up_records_event = _recipe["test_sign_up_records_event"]
test_sign_up_is_logged = _recipe["test_sign_up_is_logged"]
test_nothing_is_logged_before_commit = _recipe["test_nothing_is_logged_before_commit"]
test_sign_up_is_logged_in_transactional_test = _recipe[
    "test_sign_up_is_logged_in_transactional_test"
]
