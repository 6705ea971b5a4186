"""System checks for the ``TRACKING_*`` settings (ids ``djangotailoring.E001`` …)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from typing import Any

from django.core.checks import CheckMessage, Error

from djangotailoring.conf import AUTH_EVENT_NAMES, conf

__all__ = ["check_settings"]

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")


def check_settings(**kwargs: Any) -> list[CheckMessage]:
    """Validate every ``TRACKING_*`` setting."""
    errors: list[CheckMessage] = []

    header = conf.raw("REQUEST_ID_HEADER")
    if not isinstance(header, str) or not _HEADER_NAME.fullmatch(header):
        errors.append(
            Error(
                "TRACKING_REQUEST_ID_HEADER must be an HTTP header name "
                "(letters, digits and '-', at most 64 characters).",
                hint="For example 'X-Request-ID'.",
                id="djangotailoring.E001",
            )
        )

    proxies = conf.raw("TRUSTED_PROXIES")
    if isinstance(proxies, str) or not isinstance(proxies, Collection):
        errors.append(
            Error(
                "TRACKING_TRUSTED_PROXIES must be a list of IP addresses or networks.",
                id="djangotailoring.E002",
            )
        )
    else:
        for proxy in proxies:
            try:
                ipaddress.ip_network(str(proxy), strict=False)
            except ValueError:
                errors.append(
                    Error(
                        f"TRACKING_TRUSTED_PROXIES contains {proxy!r}, "
                        "which is not an IP address or network.",
                        id="djangotailoring.E002",
                    )
                )

    record = conf.raw("RECORD_CLIENT_ADDRESS")
    if not isinstance(record, bool):
        errors.append(
            Error(
                "TRACKING_RECORD_CLIENT_ADDRESS must be True or False.", id="djangotailoring.E003"
            )
        )

    auth = conf.raw("AUTH_EVENTS")
    if not isinstance(auth, bool):
        unknown = (
            None
            if isinstance(auth, str) or not isinstance(auth, Collection)
            else sorted(set(map(str, auth)) - set(AUTH_EVENT_NAMES))
        )
        if unknown is None or unknown:
            errors.append(
                Error(
                    "TRACKING_AUTH_EVENTS must be True, False or a collection of "
                    f"{', '.join(AUTH_EVENT_NAMES)}.",
                    hint=f"Unknown names: {unknown}" if unknown else None,
                    id="djangotailoring.E004",
                )
            )
    return errors
