"""Time buckets of the metrics: which range and bucket size a request means, and the checks that
keep a request from asking for an empty range or an unbounded number of buckets.

Buckets align to whole multiples of their size since the Unix epoch (a 5-minute bucket starts at
:00, :05, ...), so the same data gives the same buckets whatever range was asked for.

    >>> from datetime import datetime
    >>> choose(datetime(2026, 1, 1, 0), datetime(2026, 1, 1, 1), None, None, None).bucket_seconds
    60
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .queries import as_utc

# Sizes a reader takes in at a glance on a chart's axis; above a day, whole days.
FRIENDLY_SECONDS = (1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
TARGET_BUCKETS = 60
MAX_BUCKETS = 10_000
# Larger is one bucket anyway; the bound keeps the SQL's arithmetic in a bigint.
MAX_BUCKET_SECONDS = 100 * 365 * 86400
_DAY = 86400
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Window:
    start: datetime | None  # start_after, else the first trace start (None: no range, no data)
    end: datetime | None  # start_before, else the last trace start
    bucket_seconds: int


def check_request(start_after: datetime | None, start_before: datetime | None, bucket_seconds: int | None) -> None:
    """Raise ValueError, with a message for the caller, for a request no data can make valid."""
    if bucket_seconds is not None and not 1 <= bucket_seconds <= MAX_BUCKET_SECONDS:
        raise ValueError(f"bucket_seconds must be from 1 to {MAX_BUCKET_SECONDS} (a century), not {bucket_seconds}")
    if start_after is not None and start_before is not None and as_utc(start_after) >= as_utc(start_before):
        raise ValueError(
            f"start_after ({start_after.isoformat()}) must be before start_before ({start_before.isoformat()})"
        )


def default_bucket_seconds(start: datetime, end: datetime) -> int:
    """The smallest friendly size that cuts ``start``..``end`` into at most about 60 buckets."""
    wanted = (end - start).total_seconds() / TARGET_BUCKETS
    for size in FRIENDLY_SECONDS:
        if size >= wanted:
            return size
    return _DAY * math.ceil(wanted / _DAY)


def bucket_count(start: datetime, end: datetime, bucket_seconds: int) -> int:
    """How many buckets ``start``..``end`` touches (both ends included)."""
    step = timedelta(seconds=bucket_seconds)
    return (as_utc(end) - _EPOCH) // step - (as_utc(start) - _EPOCH) // step + 1


def choose(
    start_after: datetime | None,
    start_before: datetime | None,
    requested: int | None,
    first: datetime | None,
    last: datetime | None,
) -> Window:
    """The window of a request: its bounds, else the first and last trace start in range
    (``first``, ``last``). Raise ValueError when it would have more than MAX_BUCKETS buckets."""
    check_request(start_after, start_before, requested)
    start = as_utc(start_after) if start_after is not None else first
    end = as_utc(start_before) if start_before is not None else last
    # One bound given and no trace beyond it: the window is that instant.
    start, end = start or end, end or start
    if start is None or end is None:
        return Window(None, None, requested or FRIENDLY_SECONDS[0])
    size = requested or default_bucket_seconds(start, end)
    count = bucket_count(start, end, size)
    if count > MAX_BUCKETS:
        raise ValueError(
            f"bucket_seconds={size} cuts {start.isoformat()} to {end.isoformat()} into {count} buckets, "
            f"more than {MAX_BUCKETS}: choose a larger bucket_seconds or a shorter range"
        )
    return Window(start, end, size)
