"""``spanscope export`` against a running collector: JSON Lines to a file or standard output,
Parquet to a file, clear errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.collector_helpers import (
    T0_NS,
    RunningCollector,
    new_trace_id,
    running_collector,
    span,
    traces_request,
)

SPANSCOPE = Path(sys.executable).with_name("spanscope")
HOUR_NS = 3600 * 10**9


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """Three spans, an hour apart from 2026-01-01T00:00:00Z."""
    database = tmp_path_factory.mktemp("export-cli") / "s.duckdb"
    with running_collector(f"duckdb:///{database}") as running:
        trace = new_trace_id()
        spans = [span(trace, f"step {hour}", start_ns=T0_NS + hour * HOUR_NS) for hour in range(3)]
        assert running.post_json(traces_request(*spans)).status_code == 200
        yield running


def _export(*arguments: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    command = [str(SPANSCOPE), "export", *arguments, "--endpoint", endpoint]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_jsonl_to_a_file(collector: RunningCollector, tmp_path: Path) -> None:
    target = tmp_path / "spans.jsonl"
    done = _export("--output", str(target), endpoint=collector.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 3 spans to {target}"
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert [record["name"] for record in records] == ["step 0", "step 1", "step 2"]
    assert not (tmp_path / "spans.jsonl.part").exists()


def test_jsonl_to_standard_output_with_since_and_until(collector: RunningCollector) -> None:
    done = _export("--since", "2026-01-01T00:30:00Z", "--until", "2026-01-01T02:00:00Z", endpoint=collector.url)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["name"] for line in done.stdout.splitlines()] == ["step 1"]
    assert "wrote 1 spans to standard output" in done.stderr


def test_parquet_to_a_file(collector: RunningCollector, tmp_path: Path) -> None:
    target = tmp_path / "spans.parquet"
    done = _export("--format", "parquet", "--output", str(target), "--since", "3650d", endpoint=collector.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote 3 spans to {target}"
    table = pq.read_table(target)
    assert table.column("name").to_pylist() == ["step 0", "step 1", "step 2"]
    assert str(table.schema.field("start_time").type) == "timestamp[us, tz=UTC]"


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (("--format", "csv"), 2, "error: --format must be one of jsonl, parquet, not 'csv'"),
        (("--format", "parquet"), 2, "error: --format parquet needs --output FILE"),
        (("--since", "yesterday"), 2, "error: --since: 'yesterday' is neither an ISO 8601 time"),
        (("--until", "soon"), 2, "error: --until: 'soon' is not an ISO 8601 time"),
        (
            ("--since", "2026-01-02", "--until", "2026-01-01"),
            1,
            "error: 400: since (2026-01-02T00:00:00+00:00) is after until",
        ),
    ],
)
def test_bad_options_get_clear_errors(
    collector: RunningCollector, arguments: tuple[str, ...], status: int, message: str
) -> None:
    done = _export(*arguments, endpoint=collector.url)
    assert done.returncode == status and message in done.stderr, (done.returncode, done.stderr)


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "spans.parquet"
    done = _export("--format", "parquet", "--output", str(target), endpoint="http://127.0.0.1:9")
    assert done.returncode == 1
    assert "error: no collector answered at http://127.0.0.1:9" in done.stderr
    assert list(tmp_path.iterdir()) == []
