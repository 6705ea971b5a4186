"""System checks for the ``TRACKING_*`` settings (ids ``djangotailoring.E001`` …)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from djangotailoring.conf import AUTH_EVENT_NAMES, conf

__all__ = ["check_settings", "event_handler_entries"]

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
    errors.extend(_check_journal())
    errors.extend(_check_database())
    return errors


def _check_database() -> list[CheckMessage]:
    alias = conf.raw("DATABASE")
    if alias is None:
        return []
    if not isinstance(alias, str) or alias not in settings.DATABASES:
        return [
            Error(
                f"TRACKING_DATABASE is {alias!r}, which is not an alias in DATABASES.",
                hint=f"One of {sorted(settings.DATABASES)}, or None to leave it to the router.",
                id="djangotailoring.E008",
            )
        ]
    return []


_HANDLER_CLASSES = (
    "djangotailoring.handlers.EventHandler",
    "djangotailoring.handlers.eventhandler.EventHandler",
)


def event_handler_entries() -> list[tuple[str, dict[str, Any]]]:
    """``(name, options)`` of every EventHandler configured in ``settings.LOGGING``."""
    logging_config = getattr(settings, "LOGGING", None) or {}
    handlers = logging_config.get("handlers", {}) if isinstance(logging_config, dict) else {}
    return [
        (str(name), options)
        for name, options in (handlers.items() if isinstance(handlers, dict) else ())
        if isinstance(options, dict) and options.get("class") in _HANDLER_CLASSES
    ]


def _journal_dirs() -> list[tuple[str, str, bool]]:
    """``(where it is configured, folder, configured)`` of every journaling EventHandler.

    ``configured`` is false for the default folder, which is made wherever it is missing.
    """
    from djangotailoring.handlers.journal import default_journal_dir

    found = []
    for name, options in event_handler_entries():
        journal = options.get("journal", conf.raw("JOURNAL"))
        if not journal or options.get("immediate"):
            continue
        if options.get("journal_dir"):
            where = f"LOGGING handler {name!r} journal_dir"
            found.append((where, str(options["journal_dir"]), True))
        elif conf.raw("JOURNAL_DIR"):
            found.append(("TRACKING_JOURNAL_DIR", str(conf.raw("JOURNAL_DIR")), True))
        else:
            found.append(("the default journal folder", default_journal_dir(), False))
    return found


def _unwritable(folder: str, *, configured: bool) -> str | None:
    """Why ``folder`` cannot hold journals (``None``: it can, or it can be made).

    A configured folder may be missing only if the folder it goes in exists: a path pasted
    from an example (``/path/to/...``) is reported, not made with every parent.
    """
    path = os.path.abspath(folder)
    if os.path.exists(path):
        if not os.path.isdir(path):
            return "it is not a folder"
        if not os.access(path, os.W_OK | os.X_OK):
            return "this user cannot write to it"
        return None
    parent = os.path.dirname(path)
    if configured and not os.path.isdir(parent):
        return f"it does not exist, nor does the folder it would go in ({parent})"
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        return f"it does not exist and cannot be created in {parent}"
    return None


def _check_journal() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if not isinstance(conf.raw("JOURNAL"), bool):
        errors.append(Error("TRACKING_JOURNAL must be True or False.", id="djangotailoring.E005"))
    journal_dir = conf.raw("JOURNAL_DIR")
    if journal_dir is not None and not isinstance(journal_dir, (str, os.PathLike)):
        errors.append(
            Error("TRACKING_JOURNAL_DIR must be a folder path or None.", id="djangotailoring.E006")
        )
        return errors
    for where, folder, configured in _journal_dirs():
        reason = _unwritable(folder, configured=configured)
        if reason is not None:
            errors.append(
                Error(
                    f"EventHandler cannot keep its journal in {folder} ({where}): {reason}.",
                    hint="Point journal_dir (or TRACKING_JOURNAL_DIR) at a local folder this "
                    "process can write, on a disk that outlives the process (not a tmpfs that a "
                    "container restart empties, if the journal should survive that).",
                    id="djangotailoring.E007",
                )
            )
    return errors
