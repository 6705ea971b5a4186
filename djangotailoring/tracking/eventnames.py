"""Names of the events this library emits, and a few common ones for applications."""

from __future__ import annotations

from typing import Final

__all__ = ["EventNames"]


class EventNames:
    """String constants for common event names; each value equals its attribute name.

    Names are free-form: nothing requires using these.
    """

    UserCreated: Final = "UserCreated"
    UserPasswordChanged: Final = "UserPasswordChanged"
    UserEmailSent: Final = "UserEmailSent"
    UserConsented: Final = "UserConsented"
    UserActivated: Final = "UserActivated"
    UserWithdrawn: Final = "UserWithdrawn"
    UserReset: Final = "UserReset"
    UserLoggedIn: Final = "UserLoggedIn"
    UserLoggedOut: Final = "UserLoggedOut"
    UserLoginFailed: Final = "UserLoginFailed"
    PageViewed: Final = "PageViewed"
    PageError: Final = "PageError"
    Redirected: Final = "Redirected"
