"""The LOGGING dicts the request-context tests apply, as users would write them."""

from __future__ import annotations

import logging.config
from io import StringIO

CONTEXT_FORMAT = (
    "%(request_id)s %(request_method)s %(request_path)s %(remote_addr)s "
    "%(user_id)s %(username)s | %(message)s"
)


def text_logging(fmt: str, *loggers: str) -> StringIO:
    """Route ``loggers`` to a text handler with ``RequestContextFilter``; return its stream."""
    stream = StringIO()
    style = "{" if fmt.startswith("{") else "%"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_context": {"()": "djangotailoring.handlers.RequestContextFilter"}},
            "formatters": {"text": {"format": fmt, "style": style}},
            "handlers": {
                "text": {
                    "class": "logging.StreamHandler",
                    "stream": stream,
                    "formatter": "text",
                    "filters": ["request_context"],
                }
            },
            "loggers": {
                name: {"handlers": ["text"], "level": "DEBUG", "propagate": False}
                for name in loggers
            },
        }
    )
    return stream


def lines_with(stream: StringIO, text: str) -> list[str]:
    return [line for line in stream.getvalue().splitlines() if text in line]
