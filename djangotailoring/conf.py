"""Settings of djangotailoring, read from ``django.conf.settings`` at access time.

Every setting is optional. Reading happens on attribute access (never at import), so
``override_settings`` works everywhere. Invalid values are reported by system checks
(:mod:`djangotailoring.tracking.checks`), not here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.conf import settings as django_settings

__all__ = ["AUTH_EVENT_NAMES", "DEFAULTS", "conf"]

AUTH_EVENT_NAMES = ("UserLoggedIn", "UserLoggedOut", "UserLoginFailed")

DEFAULTS: dict[str, Any] = {
    "TRACKING_REQUEST_ID_HEADER": "X-Request-ID",
    "TRACKING_TRUSTED_PROXIES": [],
    "TRACKING_RECORD_CLIENT_ADDRESS": True,
    "TRACKING_AUTH_EVENTS": True,
    "TRACKING_JOURNAL": True,
    "TRACKING_JOURNAL_DIR": None,
    "TRACKING_DATABASE": None,
}


class Settings:
    """Typed, lazy access to the ``TRACKING_*`` settings."""

    def raw(self, name: str) -> Any:
        """The value of ``TRACKING_<name>`` as the project set it (or its default), unchecked."""
        setting = f"TRACKING_{name}"
        return getattr(django_settings, setting, DEFAULTS[setting])

    def _get(self, name: str) -> Any:
        return self.raw(name.removeprefix("TRACKING_"))

    @property
    def REQUEST_ID_HEADER(self) -> str:
        """Header the request id is read from and echoed in (``TRACKING_REQUEST_ID_HEADER``)."""
        return str(self._get("TRACKING_REQUEST_ID_HEADER"))

    @property
    def TRUSTED_PROXIES(self) -> list[str]:
        """Proxies whose ``X-Forwarded-For`` is believed (``TRACKING_TRUSTED_PROXIES``)."""
        return list(self._get("TRACKING_TRUSTED_PROXIES"))

    @property
    def RECORD_CLIENT_ADDRESS(self) -> bool:
        """Whether client addresses are recorded (``TRACKING_RECORD_CLIENT_ADDRESS``)."""
        return bool(self._get("TRACKING_RECORD_CLIENT_ADDRESS"))

    @property
    def AUTH_EVENTS(self) -> frozenset[str]:
        """The automatic authentication events that are switched on (``TRACKING_AUTH_EVENTS``).

        ``True`` switches all of them on, ``False`` none; a collection of names switches on
        exactly those.
        """
        value = self._get("TRACKING_AUTH_EVENTS")
        if value is True:
            return frozenset(AUTH_EVENT_NAMES)
        if value is False or value is None:
            return frozenset()
        if isinstance(value, Collection) and not isinstance(value, str):
            return frozenset(str(name) for name in value)
        return frozenset(AUTH_EVENT_NAMES)

    @property
    def JOURNAL(self) -> bool:
        """Whether ``EventHandler`` journals records to local disk (``TRACKING_JOURNAL``)."""
        return bool(self._get("TRACKING_JOURNAL"))

    @property
    def JOURNAL_DIR(self) -> str | None:
        """Where ``EventHandler`` keeps its journals (``TRACKING_JOURNAL_DIR``; ``None``: temp)."""
        value = self._get("TRACKING_JOURNAL_DIR")
        return None if value is None else str(value)

    @property
    def DATABASE(self) -> str | None:
        """The database alias that holds Events (``TRACKING_DATABASE``; ``None``: the router's
        choice, with foreign-key constraints to users and content types)."""
        value = self._get("TRACKING_DATABASE")
        return None if value is None else str(value)


conf = Settings()
