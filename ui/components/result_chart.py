"""A SQL result as a table frame and as a chart: line, bar or scatter of chosen columns.

A chart is a dict, as saved with a query: ``{"type": "line", "x": "day", "y": ["cost_usd"],
"color": "model"}`` (``color`` optional: one series per value).

Column names are whatever a query chose (``"a.b"``, ``"p95:ms"``); Vega-Lite reads dots,
brackets and colons in a field name as paths and types, so the chart's frame renames columns
to ``c0, c1, ...`` and shows the real names as titles, which Vega draws as text.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import pandas as pd  # type: ignore[import-untyped]

CHART_TYPES = ("line", "bar", "scatter")
NUMERIC = ("integer", "number")
TEMPORAL = ("timestamp", "date")
# What Vega-Lite should take each API column type for (nominal: anything else).
Encoding = Literal["quantitative", "temporal", "nominal"]
_ENCODING: dict[str, Encoding] = {
    "integer": "quantitative",
    "number": "quantitative",
    "timestamp": "temporal",
    "date": "temporal",
}


def frame(result: dict[str, Any]) -> pd.DataFrame:
    """The rows as a frame with the result's column names (duplicates get a ``_2`` suffix: a
    frame needs distinct names, a query does not)."""
    names = distinct_names([column["name"] for column in result["columns"]])
    return pd.DataFrame(result["rows"], columns=names)


def distinct_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    distinct = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        distinct.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return distinct


def column_types(result: dict[str, Any]) -> dict[str, str]:
    """Frame column name -> the API's type (``integer``, ``text``, ``timestamp``, ...)."""
    names = distinct_names([column["name"] for column in result["columns"]])
    return {name: column["type"] for name, column in zip(names, result["columns"], strict=True)}


def default_chart(types: dict[str, str]) -> dict[str, Any] | None:
    """A first guess: numbers over the first time column as lines, else over the first other
    column as bars; None when there is no number to draw."""
    numbers = [name for name, kind in types.items() if kind in NUMERIC]
    times = [name for name, kind in types.items() if kind in TEMPORAL]
    others = [name for name in types if name not in numbers]
    if times and numbers:
        return {"type": "line", "x": times[0], "y": numbers[:3], "color": None}
    if others and numbers:
        return {"type": "bar", "x": others[0], "y": numbers[:1], "color": None}
    if len(numbers) >= 2:
        return {"type": "scatter", "x": numbers[0], "y": numbers[1:2], "color": None}
    return None


def usable(chart: dict[str, Any] | None, types: dict[str, str]) -> bool:
    """Whether ``chart`` (saved with a query, perhaps before the query changed) fits these
    columns."""
    if not chart or chart.get("type") not in CHART_TYPES or chart.get("x") not in types:
        return False
    wanted = [*chart.get("y", []), *([chart["color"]] if chart.get("color") else [])]
    return bool(chart.get("y")) and all(name in types for name in wanted)


def draw(data: pd.DataFrame, types: dict[str, str], chart: dict[str, Any]) -> alt.Chart:
    """``chart`` over ``data``; several ``y`` columns become one series each."""
    safe = {name: f"c{index}" for index, name in enumerate(data.columns)}
    renamed = data.rename(columns=safe)
    for name, kind in types.items():
        if kind in TEMPORAL:
            renamed[safe[name]] = pd.to_datetime(renamed[safe[name]], utc=True, errors="coerce")
        elif kind in NUMERIC:
            renamed[safe[name]] = pd.to_numeric(renamed[safe[name]], errors="coerce")
    ys = list(chart["y"])
    x_field = safe[chart["x"]]
    x_type: Encoding = _ENCODING.get(types[chart["x"]], "nominal")
    if len(ys) == 1:
        y_field, y_title = safe[ys[0]], ys[0]
        source = renamed
        color_field, color_title = (safe[chart["color"]], chart["color"]) if chart.get("color") else (None, None)
    else:  # one series per y column, named by it
        keep = [column for column in renamed.columns if column not in {safe[y] for y in ys}]
        source = renamed.melt(id_vars=keep, value_vars=[safe[y] for y in ys], var_name="series", value_name="value")
        source["series"] = source["series"].map({safe[y]: y for y in ys})
        y_field, y_title, color_field, color_title = "value", ", ".join(ys), "series", None
    marks = {
        "line": alt.Chart(source).mark_line(point=True),
        "bar": alt.Chart(source).mark_bar(),
        "scatter": alt.Chart(source).mark_circle(size=60),
    }
    encoding: dict[str, Any] = {
        "x": alt.X(x_field, type=x_type, title=chart["x"]),
        "y": alt.Y(y_field, type="quantitative", title=y_title),
    }
    if color_field is not None:
        encoding["color"] = alt.Color(color_field, type="nominal", title=color_title, legend=alt.Legend(orient="top"))
    tooltips: list[tuple[str, Encoding, str]] = [(x_field, x_type, chart["x"]), (y_field, "quantitative", y_title)]
    if color_field is not None:
        tooltips.append((color_field, "nominal", color_title or "series"))
    encoding["tooltip"] = [alt.Tooltip(field, type=kind, title=title) for field, kind, title in tooltips]
    drawn: alt.Chart = marks[chart["type"]].encode(**encoding).properties(height=320)
    return drawn
