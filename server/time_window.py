"""Times given as text: an ISO 8601 time, or for ``since`` a window back from now (``30m``,
``24h``, ``7d``), as in ``spanscope export --since 24h``.

>>> from datetime import datetime, timezone
>>> since_time("24h", now=datetime(2026, 1, 2, tzinfo=timezone.utc))
datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
>>> parse_time("2026-01-01T12:00:00Z", "until")
datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from pydantic import TypeAdapter, ValidationError

WINDOW_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_WINDOW = re.compile(r"^(\d{1,6})([mhd])$")
# Pydantic parses times the way the rest of the API does (``start_after`` of the trace list).
_TIME = TypeAdapter(datetime)
TIME_EXAMPLE = "2026-01-31T00:00:00Z"


class BadTime(ValueError):  # noqa: N818 - the message is shown as it is
    """Text that is not a time (or a window); the message names the parameter and an example."""


def parse_time(text: str, parameter: str) -> datetime:
    """An ISO 8601 time, in UTC; one without a time zone is taken as UTC."""
    try:
        parsed = _TIME.validate_python(text.strip())
    except ValidationError:
        raise BadTime(f"{parameter}: {text!r} is not an ISO 8601 time; for example {TIME_EXAMPLE}") from None
    return parsed.astimezone(timezone.utc) if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def since_time(text: str, now: datetime | None = None, parameter: str = "since") -> datetime:
    """An ISO 8601 time, or a window back from ``now``: a whole number of minutes (``30m``),
    hours (``24h``) or days (``7d``)."""
    window = _WINDOW.match(text.strip())
    if window is not None:
        count, unit = window.groups()
        return (now or datetime.now(timezone.utc)) - int(count) * WINDOW_UNITS[unit]
    try:
        return parse_time(text, parameter)
    except BadTime:
        raise BadTime(
            f"{parameter}: {text!r} is neither an ISO 8601 time ({TIME_EXAMPLE}) nor a window back from now"
            " (a whole number then m, h or d: 30m, 24h, 7d)"
        ) from None
