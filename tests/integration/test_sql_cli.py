"""``spanscope sql`` against a running collector: a table, CSV, JSON and Parquet; clear errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.collector_helpers import (
    RunningCollector,
    new_trace_id,
    running_collector,
    span,
    traces_request,
)

SPANSCOPE = Path(sys.executable).with_name("spanscope")
QUERY = "SELECT name, kind, duration_ms, start_time, tags FROM spans ORDER BY name"


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    database = tmp_path_factory.mktemp("sql-cli") / "s.duckdb"
    with running_collector(f"duckdb:///{database}") as running:
        trace = new_trace_id()
        hostile = {"spanscope.span.kind": "tool", "tag.tags": ["\x1b[2J\x1b[31mred"]}
        request = traces_request(span(trace, "answer"), span(trace, "lookup\x1b]0;title\x07", attributes=hostile))
        assert running.post_json(request).status_code == 200
        yield running


def _sql(collector: RunningCollector, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [str(SPANSCOPE), "sql", *arguments, "--endpoint", collector.url]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_a_table_by_default_with_terminal_escapes_defused(collector: RunningCollector) -> None:
    done = _sql(collector, QUERY)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["name", "kind", "duration_ms", "start_time", "tags"]
    assert lines[2].startswith("answer ")
    assert "\x1b" not in done.stdout and "\\x1b]0;title\\x07" in lines[3]
    assert lines[-1].startswith("(2 rows in ")


def test_csv_and_json(collector: RunningCollector) -> None:
    rows = list(csv.DictReader(io.StringIO(_sql(collector, QUERY, "--format", "csv").stdout)))
    assert [row["name"] for row in rows] == ["answer", "lookup\x1b]0;title\x07"]
    assert json.loads(rows[1]["tags"]) == ["\x1b[2J\x1b[31mred"]
    records = json.loads(_sql(collector, QUERY, "--format", "json").stdout)
    assert records[1]["kind"] == "tool" and isinstance(records[0]["duration_ms"], float)


def test_parquet_keeps_types(collector: RunningCollector, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    done = _sql(collector, QUERY, "--format", "parquet", "--output", str(target))
    assert done.returncode == 0 and "wrote 2 rows" in done.stdout, done.stderr
    table = pq.read_table(target)
    assert str(table.schema.field("duration_ms").type) == "double"
    assert str(table.schema.field("start_time").type) == "timestamp[us, tz=UTC]"
    assert table.column("name").to_pylist()[0] == "answer"


def test_truncation_is_said(collector: RunningCollector) -> None:
    done = _sql(collector, QUERY, "--limit", "1")
    assert done.returncode == 0 and "truncated at 1 rows" in done.stderr


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (("DELETE FROM spans",), 1, "error: 400"),
        (("SELECT * FROM pg_roles",), 1, "pg_roles"),
        (("SELECT 1", "--format", "xml"), 2, "--format must be one of"),
        (("SELECT 1", "--format", "parquet"), 2, "needs --output"),
    ],
)
def test_bad_queries_and_options_get_clear_errors(
    collector: RunningCollector, arguments: tuple[str, ...], status: int, message: str
) -> None:
    done = _sql(collector, *arguments)
    assert done.returncode == status and message in done.stderr, (done.returncode, done.stderr)


def test_no_collector_listening() -> None:
    command = [str(SPANSCOPE), "sql", "SELECT 1", "--endpoint", "http://127.0.0.1:9"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "no collector answered at http://127.0.0.1:9" in done.stderr
