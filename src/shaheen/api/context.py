"""The request id of the request being served, for responses and every log record.

A context variable, so that a log line written deep inside a service (in the worker
thread FastAPI runs sync routes in: the context is copied there) names the request it
belongs to without any service knowing about HTTP.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

_REQUEST_ID: ContextVar[str | None] = ContextVar("shaheen_request_id", default=None)
_installed = False


def current_request_id() -> str | None:
    """The id of the request being served here, or None outside a request."""
    return _REQUEST_ID.get()


def set_request_id(value: str | None) -> object:
    """Make `value` the current request id; returns a token for `reset_request_id`."""
    return _REQUEST_ID.set(value)


def reset_request_id(token: object) -> None:
    _REQUEST_ID.reset(token)  # type: ignore[arg-type]


def install_log_records() -> None:
    """Give every log record a `request_id` attribute ("-" outside a request), so a log
    format may use `%(request_id)s`. Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _REQUEST_ID.get() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
