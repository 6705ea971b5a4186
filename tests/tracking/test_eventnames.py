from __future__ import annotations

import pytest

from djangotailoring.tracking import EventNames as FromPackage
from djangotailoring.tracking.eventnames import EventNames

NAMES = [
    "UserCreated",
    "UserPasswordChanged",
    "UserEmailSent",
    "UserConsented",
    "UserActivated",
    "UserWithdrawn",
    "UserReset",
    "UserLoggedIn",
    "UserLoggedOut",
    "UserLoginFailed",
    "PageViewed",
    "PageError",
    "Redirected",
]


@pytest.mark.parametrize("name", NAMES)
def test_each_constant_equals_its_name(name: str) -> None:
    assert getattr(EventNames, name) == name


def test_package_reexports_the_same_class() -> None:
    assert FromPackage is EventNames
