"""Shared test policy.

- The SDK's internal errors fail the test that caused them (also those swallowed in the
  exporter thread, which cannot raise).
- A test that needs Postgres or a browser skips when it is missing, unless
  SPANSCOPE_REQUIRE_POSTGRES=1 / SPANSCOPE_REQUIRE_BROWSER=1 (set by .ci/run): then it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tracer._internal import errors

REQUIRE_SWITCHES = {"postgres": "SPANSCOPE_REQUIRE_POSTGRES", "browser": "SPANSCOPE_REQUIRE_BROWSER"}


def missing_dependency(feature: str, reason: str) -> None:
    """Skip, or fail when CI requires ``feature`` (see REQUIRE_SWITCHES)."""
    switch = REQUIRE_SWITCHES[feature]
    if os.environ.get(switch) == "1":
        pytest.fail(f"{feature} is required ({switch}=1) but missing: {reason}")
    pytest.skip(f"{feature} missing: {reason}")


@pytest.fixture(autouse=True)
def no_internal_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    before = errors.internal_error_count()
    yield
    if request.node.get_closest_marker("internal_errors") is None:
        assert errors.internal_error_count() == before, "the SDK reported an internal error (see the log)"
