"""The UI in a real browser: a user's first visit on the demo, and hostile trace content."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from browser_world import ARTIFACTS, Platform, Watch, api

from tests.ui.sample import HOSTILE, HOSTILE_TEXT, send_sample
from ui.components.tree import TreeView, rows

TIMEOUT_MS = 30_000
ROW_PX = 35  # Streamlit's dataframe: header and rows are 35 px high


def _settled(page: Any) -> None:
    """Wait until Streamlit has finished running the page's script."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS)


def _click_row(page: Any, table: int, row: int) -> None:
    """Select a row of a dataframe (a canvas grid) by its selection box."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(table)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + ROW_PX + ROW_PX * row + ROW_PX / 2)


def _safe(page: Any, watch: Watch) -> None:
    assert watch.remote_requests == [], "the page asked a remote host for something"
    assert watch.dialogs == [], "script from trace content ran"
    assert page.evaluate("window.__xss") is None, "script from trace content ran"


def test_a_first_visit_to_the_demo(platform: Platform, page: tuple[Any, Watch]) -> None:
    browser_page, watch = page
    browser_page.goto(platform.ui_url, timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name="Traces").wait_for(timeout=TIMEOUT_MS)
    assert browser_page.url.endswith("/traces"), "the root URL lands on Traces"
    _settled(browser_page)

    # Filter to the failures, as a user hunting the bad call would.
    browser_page.get_by_label("Status").click()
    browser_page.get_by_role("option", name="with errors").click()
    browser_page.get_by_role("button", name="Apply").click()
    browser_page.wait_for_url("**/traces?*status=error*", timeout=TIMEOUT_MS)
    _settled(browser_page)
    failing = api(platform, "/api/v1/traces", status="error", limit=1)["traces"]
    assert failing, "the demo has failed traces"

    _click_row(browser_page, 0, 0)
    browser_page.wait_for_url(f"**/trace?id={failing[0]['trace_id']}*", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name=failing[0]["name"]).first.wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)

    # Select the trace's first LLM call in the tree and read its conversation.
    roots = api(platform, f"/api/v1/traces/{failing[0]['trace_id']}")["spans"]
    tree_rows = rows(roots, TreeView())
    llm_row = next(index for index, row in enumerate(tree_rows) if row.kind == "llm")
    _click_row(browser_page, 0, llm_row)
    browser_page.wait_for_url(f"**span={tree_rows[llm_row].key}*", timeout=TIMEOUT_MS)
    browser_page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=TIMEOUT_MS)
    assert browser_page.locator('[data-testid="stVegaLiteChart"]').count() >= 1, "the waterfall is drawn"
    browser_page.screenshot(path=str(_artifact("demo-llm-span")), full_page=True)

    # On to its session, read as a conversation.
    if failing[0]["session_id"]:
        browser_page.get_by_role("button", name="Session").click()
        browser_page.wait_for_url("**/session?id=*", timeout=TIMEOUT_MS)
        browser_page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=TIMEOUT_MS)
        browser_page.screenshot(path=str(_artifact("demo-session")), full_page=True)

    browser_page.get_by_role("link", name="Overview").click()
    browser_page.wait_for_url("**/overview", timeout=TIMEOUT_MS)
    browser_page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    assert browser_page.locator('[data-testid="stVegaLiteChart"]').count() >= 4
    _safe(browser_page, watch)


def test_hostile_trace_content_is_shown_as_text_and_runs_nothing(platform: Platform, page: tuple[Any, Watch]) -> None:
    browser_page, watch = page
    sample = send_sample(platform.api_url)
    roots = api(platform, f"/api/v1/traces/{sample.hostile}")["spans"]
    visits = [
        "/traces",
        f"/traces?tag={quote(HOSTILE[2])}",
        "/sessions",
        f"/session?id={quote(sample.hostile_session, safe='')}",
        f"/trace?id={sample.hostile}",
    ]
    visits += [f"/trace?id={sample.hostile}&span={row.key}" for row in rows(roots, TreeView())]
    for path in visits:
        browser_page.goto(platform.ui_url + path, timeout=TIMEOUT_MS)
        browser_page.locator('[data-testid="stMain"]').wait_for(timeout=TIMEOUT_MS)
        _settled(browser_page)
        _safe(browser_page, watch)
    # The last visit is the LLM span: its messages are there, as the characters they are.
    browser_page.get_by_role("tab", name="Messages").click()
    assert browser_page.get_by_text(HOSTILE[0], exact=False).count() > 0
    assert browser_page.get_by_text(HOSTILE_TEXT[:60], exact=False).count() > 0
    _safe(browser_page, watch)


def _artifact(name: str) -> Any:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
