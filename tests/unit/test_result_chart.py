"""ui.components.result_chart: frames from SQL results, the first chart guess, and charts whose
column names would mean paths or types to Vega-Lite."""

from __future__ import annotations

from typing import Any

from ui.components import result_chart


def result(*columns: tuple[str, str], rows: list[list[Any]] | None = None) -> dict[str, Any]:
    return {"columns": [{"name": name, "type": kind} for name, kind in columns], "rows": rows or []}


def test_duplicate_column_names_get_a_suffix() -> None:
    found = result(("n", "integer"), ("n", "integer"), ("n", "text"), rows=[[1, 2, "x"]])
    assert list(result_chart.frame(found).columns) == ["n", "n_2", "n_3"]
    assert result_chart.column_types(found) == {"n": "integer", "n_2": "integer", "n_3": "text"}


def test_the_first_guess_follows_the_column_types() -> None:
    guess = result_chart.default_chart
    assert guess({"day": "date", "model": "text", "cost": "number"}) == {
        "type": "line",
        "x": "day",
        "y": ["cost"],
        "color": None,
    }
    assert guess({"tool": "text", "calls": "integer", "p95": "number"})["type"] == "bar"
    assert guess({"a": "number", "b": "number"}) == {"type": "scatter", "x": "a", "y": ["b"], "color": None}
    assert guess({"name": "text", "tags": "json"}) is None


def test_a_saved_chart_is_used_only_when_its_columns_exist() -> None:
    types = {"day": "date", "cost": "number"}
    assert result_chart.usable({"type": "bar", "x": "day", "y": ["cost"], "color": None}, types)
    assert not result_chart.usable({"type": "bar", "x": "day", "y": ["tokens"]}, types)
    assert not result_chart.usable({"type": "pie", "x": "day", "y": ["cost"]}, types)
    assert not result_chart.usable({"type": "bar", "x": "day", "y": ["cost"], "color": "model"}, types)
    assert not result_chart.usable(None, types)


def test_column_names_vega_would_misread_are_drawn_under_their_own_titles() -> None:
    found = result(
        ("a.b", "timestamp"),
        ("p95:ms", "number"),
        ("x[0]", "number"),
        rows=[["2026-11-25T10:00:00Z", 1.5, 2], ["2026-11-25T11:00:00Z", 2.5, 3]],
    )
    types = result_chart.column_types(found)
    spec = result_chart.draw(
        result_chart.frame(found), types, {"type": "line", "x": "a.b", "y": ["p95:ms", "x[0]"], "color": None}
    ).to_dict()
    encoding = spec["encoding"]
    assert encoding["x"]["field"] == "c0" and encoding["x"]["title"] == "a.b"
    assert encoding["x"]["type"] == "temporal"
    assert encoding["y"]["title"] == "p95:ms, x[0]"
    assert encoding["color"]["field"] == "series"
    values = next(iter(spec["datasets"].values()))
    assert sorted({row["series"] for row in values}) == ["p95:ms", "x[0]"]
    assert sorted(row["value"] for row in values) == [1.5, 2, 2.5, 3]
