"""The metrics' time buckets: the default size for a range, the count, and the checks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.storage.buckets import MAX_BUCKETS, Window, bucket_count, choose, default_bucket_seconds

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("range_seconds", "expected"),
    [
        (0, 1),
        (59, 1),
        (60, 1),  # exactly 60 buckets of 1 s
        (61, 5),
        (300, 5),
        (301, 10),
        (1800, 30),
        (3600, 60),  # an hour: minutes
        (3601, 300),
        (6 * 3600, 900),  # 6 hours: quarter hours
        (24 * 3600, 3600),  # a day: hours
        (7 * 86400, 21600),  # a week: 6 hours
        (60 * 86400, 86400),  # two months: days
        (61 * 86400, 2 * 86400),  # beyond: whole days
        (365 * 86400, 7 * 86400),
    ],
)
def test_default_size_is_the_smallest_friendly_one_for_sixty_buckets(range_seconds: int, expected: int) -> None:
    assert default_bucket_seconds(T0, T0 + timedelta(seconds=range_seconds)) == expected


def test_buckets_count_whole_multiples_from_the_epoch() -> None:
    assert bucket_count(T0, T0, 60) == 1
    assert bucket_count(T0, T0 + timedelta(seconds=59, microseconds=999_999), 60) == 1
    assert bucket_count(T0 + timedelta(seconds=59), T0 + timedelta(seconds=60), 60) == 2
    assert bucket_count(T0, T0 + timedelta(days=1), 1) == 86401
    # Naive datetimes are UTC.
    assert bucket_count(datetime(2026, 1, 1, 0, 0, 30), datetime(2026, 1, 1, 0, 1, 30), 60) == 2


def test_the_window_takes_the_data_bounds_where_the_request_has_none() -> None:
    first, last = T0 + timedelta(seconds=10), T0 + timedelta(seconds=610)
    assert choose(None, None, None, first, last) == Window(first, last, 10)
    assert choose(T0, None, 30, first, last) == Window(T0, last, 30)
    assert choose(None, T0 + timedelta(hours=1), None, first, last) == Window(first, T0 + timedelta(hours=1), 60)
    # One bound and no data beyond it: the window is that instant.
    assert choose(T0, None, None, None, None) == Window(T0, T0, 1)
    assert choose(None, None, None, None, None) == Window(None, None, 1)
    assert choose(None, None, 300, None, None) == Window(None, None, 300)


@pytest.mark.parametrize(
    ("start_after", "start_before", "bucket_seconds", "message"),
    [
        (T0, T0, None, "must be before start_before"),
        (T0 + timedelta(seconds=1), T0, 60, "must be before start_before"),
        (None, None, 0, "bucket_seconds must be from 1"),
        (None, None, 10**10, "bucket_seconds must be from 1"),
        (T0, T0 + timedelta(seconds=MAX_BUCKETS), 1, f"into {MAX_BUCKETS + 1} buckets, more than {MAX_BUCKETS}"),
    ],
)
def test_bad_requests_say_why(
    start_after: datetime | None, start_before: datetime | None, bucket_seconds: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        choose(start_after, start_before, bucket_seconds, T0, T0)


def test_the_largest_allowed_count_passes() -> None:
    assert choose(T0, T0 + timedelta(seconds=MAX_BUCKETS - 1), 1, None, None).bucket_seconds == 1
