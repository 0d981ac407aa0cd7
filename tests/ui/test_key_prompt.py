"""A collector with auth on: the UI asks the browser session for an API key, refuses a bad one
with the collector's reason, and shows the key's project once given a good one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from ui_world import APP

from server.storage import migrate, open_store
from tests.integration.collector_helpers import RunningCollector, running_collector


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RunningCollector, str]]:
    url = f"duckdb:///{tmp_path / 'auth.duckdb'}"
    migrate.upgrade(url)
    store = open_store(url)
    try:
        key = store.access.create_key(store.access.create_project("team-a")["id"], "read", "ui")[0]
    finally:
        store.close()
    with running_collector(url, auth=True, ingest_workers=0) as collector:
        monkeypatch.setenv("SPANSCOPE_API_URL", collector.url)
        monkeypatch.delenv("SPANSCOPE_API_KEY", raising=False)
        yield collector, key


def test_the_ui_asks_for_a_key_and_uses_it(guarded: tuple[RunningCollector, str]) -> None:
    _, key = guarded
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.switch_page("views/traces.py")
    app.run()
    assert not app.exception
    assert [box.label for box in app.text_input] == ["API key"]
    assert "needs an API key" in app.info[0].value

    app.text_input[0].set_value("ssk_0123456789abcdef_" + "x" * 43)
    app.button[0].click().run()
    assert "That key was refused" in app.error[0].value

    app.text_input[0].set_value(key)
    app.button[0].click().run()
    assert not app.exception and not app.error
    assert app.title[0].value == "Traces"
    assert [item.value for item in app.info] == ["No traces yet: send some to the collector's /v1/traces."]
