"""The SDK never raises into user code, but its own tests must see its errors.

As in Logfire's ``handle_internal_errors``: in production an internal error is logged
and swallowed; while a pytest test runs (or with SPANSCOPE_RAISE_INTERNAL_ERRORS=true)
it is re-raised so that a bug in the SDK fails the test that triggered it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

logger = logging.getLogger("spanscope")

_lock = threading.Lock()
_count = 0
_raise_setting: bool | None = None


def set_raise_setting(value: bool | None) -> None:
    global _raise_setting
    _raise_setting = value


def internal_error_count() -> int:
    return _count


def should_raise() -> bool:
    if _raise_setting is not None:
        return _raise_setting
    return "PYTEST_CURRENT_TEST" in os.environ


def report_internal_error(where: str, *, reraise: bool = True) -> None:
    """Call from an ``except`` block. Logs and counts; re-raises when configured to.

    ``reraise=False`` is for background threads, where raising would only kill the
    thread: the error is still counted, and tests check the count.
    """
    global _count
    with _lock:
        _count += 1
    error = sys.exc_info()[1]
    if reraise and should_raise() and error is not None:
        raise error
    logger.exception("spanscope internal error in %s (the application was not affected)", where)
