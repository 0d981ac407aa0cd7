"""GET /api/v1/export/spans on both backends, over real sockets: an export holds exactly the rows
and columns of ``SELECT * FROM spans`` (POST /api/v1/sql), in start time order, in JSON Lines and
in Parquet; since/until select by start time; batches join up without a gap or a repeat; another
project's spans never leave; bad parameters are refused with a message naming them."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow.parquet as pq
import pytest

from server.model import SpanRecord
from server.storage import export, open_store
from tests.integration import sql_views_data
from tests.integration.collector_helpers import RunningCollector, running_collector
from tests.integration.conftest import T0_NS, Backend

ALL_SPANS = "SELECT * FROM spans ORDER BY start_time, trace_id, span_id"


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def collector(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A collector on a database holding the spans of ``sql_views_data`` (one of another project)."""
    url = sql_views_data.stored_database(request.param, tmp_path_factory, request)
    with running_collector(url, ingest_workers=0) as running:
        yield running


def sql(collector: RunningCollector, query: str) -> dict[str, Any]:
    response = collector.client.post("/api/v1/sql", json={"query": query, "limit": 10_000})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def export_spans(collector: RunningCollector, **params: str) -> bytes:
    response = collector.client.get("/api/v1/export/spans", params=params)
    assert response.status_code == 200, response.text
    return response.content


def comparable(types: list[str], row: list[Any]) -> list[Any]:
    """A row with times as datetimes and JSON text parsed: the same whichever way it traveled."""
    return [
        None
        if value is None
        else datetime.fromisoformat(value)
        if kind == "timestamp" and isinstance(value, str)
        else json.loads(value)
        if kind == "json" and isinstance(value, str)
        else value
        for kind, value in zip(types, row, strict=True)
    ]


def expected(collector: RunningCollector, where: str = "") -> tuple[list[str], list[list[Any]]]:
    """Column names and comparable rows of ``SELECT * FROM spans`` in export order."""
    result = sql(collector, ALL_SPANS.replace(" ORDER BY", f" {where} ORDER BY") if where else ALL_SPANS)
    types = [column["type"] for column in result["columns"]]
    assert not result["truncated"]
    return [column["name"] for column in result["columns"]], [comparable(types, row) for row in result["rows"]]


def jsonl_rows(collector: RunningCollector, **params: str) -> tuple[list[str], list[list[Any]]]:
    types = [column["type"] for column in sql(collector, ALL_SPANS + " LIMIT 1")["columns"]]
    records = [json.loads(line) for line in export_spans(collector, **params).splitlines()]
    names = list(records[0]) if records else []
    return names, [comparable(types, list(record.values())) for record in records]


def parquet_rows(collector: RunningCollector, **params: str) -> tuple[list[str], list[list[Any]]]:
    table = pq.read_table(io.BytesIO(export_spans(collector, format="parquet", **params)))
    types = [column["type"] for column in sql(collector, ALL_SPANS + " LIMIT 1")["columns"]]
    return table.column_names, [comparable(types, list(row.values())) for row in table.to_pylist()]


def test_jsonl_holds_the_rows_and_columns_of_the_spans_view(collector: RunningCollector) -> None:
    names, rows = expected(collector)
    assert len(rows) == 16  # every span but the other project's
    assert jsonl_rows(collector) == (names, rows)


def test_parquet_holds_the_same_with_typed_columns(collector: RunningCollector) -> None:
    names, rows = expected(collector)
    assert parquet_rows(collector) == (names, rows)
    schema = pq.read_schema(io.BytesIO(export_spans(collector, format="parquet")))
    assert str(schema.field("start_time").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("input_tokens").type) == "int64"
    assert str(schema.field("duration_ms").type) == "double"
    assert str(schema.field("tags").type) == "string"  # JSON as its text


def test_times_and_json_as_in_the_sql_endpoint(collector: RunningCollector) -> None:
    first = json.loads(export_spans(collector).splitlines()[0])
    result = sql(collector, ALL_SPANS)
    sql_row = dict(zip([column["name"] for column in result["columns"]], result["rows"][0], strict=True))
    assert first["start_time"] == sql_row["start_time"]  # ISO 8601, UTC
    assert first["start_time"].endswith("+00:00")
    assert first["tags"] == ["prompt:v1"] and first["attributes"] == sql_row["attributes"]


def test_headers_name_the_type_and_a_file(collector: RunningCollector) -> None:
    for format, media_type in (("jsonl", "application/x-ndjson"), ("parquet", "application/vnd.apache.parquet")):
        response = collector.client.get("/api/v1/export/spans", params={"format": format})
        assert response.headers["content-type"] == media_type
        assert response.headers["content-disposition"] == f'attachment; filename="spans-default.{format}"'


def test_since_and_until_select_by_start_time(collector: RunningCollector) -> None:
    _, everything = expected(collector)
    start_times = sorted({row[8] for row in everything})
    since, until = start_times[2], start_times[7]
    names, rows = expected(
        collector, f"WHERE start_time >= '{since.isoformat()}' AND start_time < '{until.isoformat()}'"
    )
    assert 0 < len(rows) < len(everything)
    params = {"since": since.isoformat(), "until": until.isoformat()}
    assert jsonl_rows(collector, **params) == (names, rows)
    assert parquet_rows(collector, **params) == (names, rows)


def test_since_as_a_window_back_from_now(collector: RunningCollector) -> None:
    # Traces 1 to 3 start today, trace 4 eight days ago.
    _, rows = jsonl_rows(collector, since="7d")
    assert {row[1] for row in rows} == {f"{number:032x}" for number in (1, 2, 3)}
    assert len(jsonl_rows(collector, since="30d")[1]) == 16


def test_nothing_to_export_is_an_empty_body_or_an_empty_parquet_file(collector: RunningCollector) -> None:
    later = (datetime.now(timezone.utc) + timedelta(days=365)).isoformat()
    assert export_spans(collector, since=later) == b""
    table = pq.read_table(io.BytesIO(export_spans(collector, since=later, format="parquet")))
    assert table.num_rows == 0 and table.column_names == expected(collector)[0]


def test_batches_join_up_without_a_gap_or_a_repeat(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    names, rows = expected(collector)
    monkeypatch.setattr(export, "BATCH_SPANS", 2)
    assert jsonl_rows(collector) == (names, rows)
    assert parquet_rows(collector) == (names, rows)
    parquet = pq.ParquetFile(io.BytesIO(export_spans(collector, format="parquet")))
    assert parquet.num_row_groups == 8  # 16 spans, 2 a batch: the body was written batch by batch


def test_spans_starting_at_the_same_time_are_each_exported_once(
    backend: Backend, make_span: Callable[..., SpanRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keyset pagination continues after (start_time, trace_id, span_id): a batch boundary in the
    # middle of a tie must neither skip nor repeat a span.
    tied = [make_span(trace=trace, start_time_ns=T0_NS) for trace in (2, 1, 2, 1, 3)]
    store = open_store(backend.url)
    try:
        store.write([*tied, make_span(trace=1, start_time_ns=T0_NS - 1000), make_span(trace=1)])
    finally:
        store.close()
    monkeypatch.setattr(export, "BATCH_SPANS", 2)
    with running_collector(backend.url, ingest_workers=0) as running:
        records = [json.loads(line) for line in export_spans(running).splitlines()]
    keys = [(record["start_time"], record["trace_id"], record["span_id"]) for record in records]
    assert len(keys) == 7 and keys == sorted(set(keys))


def test_another_projects_spans_never_leave(collector: RunningCollector, monkeypatch: pytest.MonkeyPatch) -> None:
    other = sql_views_data.OTHER_PROJECT
    for batch_spans in (export.BATCH_SPANS, 1):
        monkeypatch.setattr(export, "BATCH_SPANS", batch_spans)
        _, rows = jsonl_rows(collector)
        assert {row[0] for row in rows} == {"default"}
        assert "elsewhere" not in {row[4] for row in rows}  # the other project's one span
        table = pq.read_table(io.BytesIO(export_spans(collector, format="parquet")))
        assert other not in table.column("project_id").to_pylist()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"format": "csv"}, "format: must be jsonl or parquet, not 'csv'"),
        ({"since": "yesterday"}, "since: 'yesterday' is neither an ISO 8601 time (2026-01-31T00:00:00Z) nor a window"),
        ({"since": "24x"}, "(a whole number then m, h or d: 30m, 24h, 7d)"),
        ({"until": "7d"}, "until: '7d' is not an ISO 8601 time; for example 2026-01-31T00:00:00Z"),
        ({"until": "2026-13-01"}, "until: '2026-13-01' is not an ISO 8601 time"),
        (
            {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            "since (2026-02-01T00:00:00+00:00) is after until (2026-01-01T00:00:00+00:00)",
        ),
    ],
)
def test_bad_parameters_are_refused_by_name(collector: RunningCollector, params: dict[str, str], message: str) -> None:
    response = collector.client.get("/api/v1/export/spans", params=params)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
