"""The UI tests' world: a real collector (DuckDB file, real sockets) holding the sample
traces, and the UI pointed at it through SPANSCOPE_API_URL, as ``spanscope up`` does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sample import Sample, send_sample
from streamlit.testing.v1 import AppTest

from tests.integration.collector_helpers import RunningCollector, running_collector

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


@dataclass
class UiWorld:
    collector: RunningCollector
    sample: Sample

    def span_id(self, trace_id: str, name: str) -> str:
        """The id of the span called ``name`` in a trace."""
        pending = list(self.collector.trace(trace_id)["spans"])
        while pending:
            node = pending.pop()
            if node["name"] == name:
                return str(node["span_id"])
            pending.extend(node["children"])
        raise AssertionError(f"no span {name!r} in trace {trace_id}")

    def page(self, view: str, **query: str) -> AppTest:
        """Run ``ui/views/<view>.py`` as the app does, with ``query`` in the URL."""
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.switch_page(f"views/{view}.py")
        for key, value in query.items():
            app.query_params[key] = value
        app.run()
        assert not app.exception, [item.value for item in app.exception]
        return app


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiWorld]:
    database = tmp_path_factory.mktemp("ui") / "ui.duckdb"
    with running_collector(f"duckdb:///{database}") as collector, pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPANSCOPE_API_URL", collector.url)
        yield UiWorld(collector, send_sample(collector.url))


def markdown_sources(app: AppTest) -> list[str]:
    """The Markdown source of every element that renders Markdown (and widget labels)."""
    sources: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success"):
        sources.extend(str(element.value) for element in app.get(kind))
    for kind in ("metric", "button", "text_input", "selectbox", "toggle", "expander", "tab"):
        sources.extend(str(getattr(element, "label", "")) for element in app.get(kind))
    return sources


def texts(app: AppTest) -> str:
    """Everything shown as plain text, code or JSON, joined."""
    parts: list[Any] = [element.value for kind in ("text", "code", "json") for element in app.get(kind)]
    return "\n".join(map(str, parts))
