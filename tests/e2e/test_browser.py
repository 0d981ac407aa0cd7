"""The UI in a real browser: a user's first visit on the demo, hostile trace content, and a
question answered with SQL on the SQL page."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

import httpx
from browser_world import ARTIFACTS, Platform, Watch, api

from server.sql import reference
from tests.integration.collector_helpers import new_trace_id, span, traces_request
from tests.ui.sample import HOSTILE, HOSTILE_TEXT, send_sample
from ui.components.tree import TreeView, rows
from ui.text import CHANGE_MARKS as MARKS

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

    # Filter to the customers' failures (not the evaluation's), as a user hunting the bad call would.
    browser_page.get_by_label("Status").click()
    browser_page.get_by_role("option", name="with errors").click()
    browser_page.get_by_text("More filters").click()
    browser_page.get_by_label("Tag").fill("demo")
    browser_page.get_by_role("button", name="Apply").click()
    browser_page.wait_for_url("**/traces?*status=error*", timeout=TIMEOUT_MS)
    _settled(browser_page)
    failing = api(platform, "/api/v1/traces", status="error", tag="demo", limit=1)["traces"]
    assert failing, "the demo has failed traces"

    _click_row(browser_page, 0, 0)
    browser_page.wait_for_url(f"**/trace?id={failing[0]['trace_id']}*", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name=failing[0]["name"]).first.wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)

    # Select the trace's first LLM call that answered (a rate-limited attempt has no answer) and
    # read its conversation.
    roots = api(platform, f"/api/v1/traces/{failing[0]['trace_id']}")["spans"]
    tree_rows = rows(roots, TreeView())
    llm_row = next(index for index, row in enumerate(tree_rows) if row.kind == "llm" and not row.failed)
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


def _backfill_last_week(platform: Platform) -> None:
    """Tool calls from eight to thirteen days ago, each 1 ms: the demo's tools were faster
    last week. Sent as OTLP from another service, as a backfill or a second app would."""
    now_ns = time.time_ns()
    spans = []
    for day in range(8, 14):
        for tool in ("lookup_order", "estimate_shipping", "list_orders"):
            attributes = {"openinference.span.kind": "TOOL", "tool.name": tool, "session.id": f"last-week-{day}"}
            spans.append(
                span(new_trace_id(), tool, start_ns=now_ns - day * 86_400 * 10**9, duration_ms=1, attributes=attributes)
            )
    response = httpx.post(f"{platform.api_url}/v1/traces", json=traces_request(*spans, service="backfill"), timeout=30)
    response.raise_for_status()


def test_which_tool_got_slower_this_week_in_the_sql_page(platform: Platform, page: tuple[Any, Watch]) -> None:
    browser_page, watch = page
    _backfill_last_week(platform)
    question = "Which tool got slower this week than last week, and in which sessions?"
    query = next(example.query for example in reference.examples() if example.question == question)
    expected = httpx.post(f"{platform.api_url}/api/v1/sql", json={"query": query, "limit": 10_000}, timeout=30).json()
    tools = {row[0] for row in expected["rows"]}
    assert {"lookup_order", "estimate_shipping"} <= tools, "the demo's calls this week are slower than 1 ms"
    customers = {trace["trace_id"] for trace in api(platform, "/api/v1/traces", tag="demo", limit=500)["traces"]}
    customer_rows = [row for row in expected["rows"] if row[4] in customers]  # the evaluation's have no session
    assert customer_rows and all(row[3] for row in customer_rows), "each slower call names its session"

    browser_page.goto(platform.ui_url + "/sql", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name="SQL").wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    browser_page.get_by_label("Examples").click()
    browser_page.get_by_role("option", name=question).click()
    browser_page.wait_for_url("**/sql?q=*", timeout=TIMEOUT_MS)
    _settled(browser_page)
    shown = f"{expected['row_count']:,} rows in"
    browser_page.get_by_text(shown).wait_for(timeout=TIMEOUT_MS)
    assert "slower" in browser_page.locator("textarea").input_value() or "this_week_ms" in (
        browser_page.locator("textarea").input_value()
    )

    browser_page.get_by_role("tab", name="Chart").click()
    browser_page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=TIMEOUT_MS)

    # Save it for the team, then open it again from the saved list.
    browser_page.get_by_role("button", name="Save").first.click()
    browser_page.get_by_label("Name", exact=True).fill("Tools slower this week")
    browser_page.get_by_role("button", name="Save as a new query").click()
    browser_page.wait_for_url("**/sql?saved=*", timeout=TIMEOUT_MS)
    _settled(browser_page)
    saved = api(platform, "/api/v1/saved-queries")["saved_queries"]
    assert [(row["name"], row["query"]) for row in saved] == [("Tools slower this week", query)]
    browser_page.goto(platform.ui_url + f"/sql?saved={saved[0]['id']}", timeout=TIMEOUT_MS)
    _settled(browser_page)
    browser_page.get_by_text(shown).wait_for(timeout=TIMEOUT_MS)
    _safe(browser_page, watch)


def test_a_reviewer_scores_a_trace_and_finds_it_by_its_score(platform: Platform, page: tuple[Any, Watch]) -> None:
    browser_page, watch = page
    trace = api(platform, "/api/v1/traces", limit=1, without_score="thumbs_up")["traces"][0]
    browser_page.goto(f"{platform.ui_url}/trace?id={trace['trace_id']}", timeout=TIMEOUT_MS)
    browser_page.get_by_text("Scores · ").first.wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    browser_page.get_by_label("Reviewer").fill("ada")
    browser_page.get_by_label("Reviewer").press("Enter")
    _settled(browser_page)
    browser_page.get_by_role("button", name="👎").click()
    browser_page.get_by_text("Scores · 1").wait_for(timeout=TIMEOUT_MS)
    [given] = api(platform, "/api/v1/scores", trace_id=trace["trace_id"])["scores"]
    assert (given["name"], given["value"], given["source"], given["author"]) == ("thumbs_up", 0.0, "human", "ada")

    browser_page.goto(f"{platform.ui_url}/traces?score_name=thumbs_up&max_score=0", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name="Traces").wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    listed = api(platform, "/api/v1/traces", score_name="thumbs_up", max_score=0)["traces"]
    assert trace["trace_id"] in {row["trace_id"] for row in listed}
    _safe(browser_page, watch)


def test_the_demo_runs_in_the_runs_page(platform: Platform, page: tuple[Any, Watch]) -> None:
    browser_page, watch = page
    (dataset,) = api(platform, "/api/v1/datasets")["datasets"]
    runs = api(platform, "/api/v1/runs", dataset_id=dataset["id"])["runs"]
    assert sorted(run["name"] for run in runs) == ["prompt v1", "prompt v2"]
    browser_page.goto(f"{platform.ui_url}/runs", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name="Runs").wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    # The dataset's name as it is: a select box shows text, not Markdown.
    shown = browser_page.get_by_label("Dataset").input_value()
    assert shown == f"{dataset['name']} ({dataset['example_count']} examples)"
    browser_page.screenshot(path=ARTIFACTS / "runs.png", full_page=True)

    _click_row(browser_page, 0, 1)
    browser_page.wait_for_url(f"**/runs?id={runs[1]['id']}", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name=runs[1]["name"]).wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    examples = browser_page.locator('[data-testid="stMetric"]').filter(has_text="Examples")
    assert examples.inner_text().split()[-1] == str(runs[1]["examples_run"]) == "30"
    browser_page.screenshot(path=ARTIFACTS / "run.png", full_page=True)
    _safe(browser_page, watch)


def test_two_demo_runs_compared_down_to_the_span_that_changed(platform: Platform, page: tuple[Any, Watch]) -> None:
    browser_page, watch = page
    runs = {run["name"]: run["id"] for run in api(platform, "/api/v1/runs")["runs"]}
    expected = api(platform, "/api/v1/diff/runs", a=runs["prompt v1"], b=runs["prompt v2"])
    regressed = [row for row in expected["examples"] if row["verdict"] in ("regressed", "mixed")]
    assert regressed, "with the demo's seed, v2 does worse on some examples"

    browser_page.goto(f"{platform.ui_url}/compare", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name="Compare").wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)
    for label, name in (("Run A (before)", "prompt v1"), ("Run B (after)", "prompt v2")):
        browser_page.get_by_label(label).click()
        browser_page.get_by_role("option", name=re.compile(f"^{name} ")).click()
        _settled(browser_page)
    browser_page.get_by_role("button", name="Compare the runs").click()
    browser_page.wait_for_url(f"**/compare?run_a={runs['prompt v1']}&run_b={runs['prompt v2']}", timeout=TIMEOUT_MS)
    browser_page.get_by_role("heading", name="prompt v1 → prompt v2").wait_for(timeout=TIMEOUT_MS)
    _settled(browser_page)

    browser_page.get_by_role("radio", name="regressions").click()
    _settled(browser_page)
    browser_page.screenshot(path=ARTIFACTS / "compare-runs.png", full_page=True)
    _click_row(browser_page, 1, 0)  # the examples table, below the scorers'
    example = regressed[0]
    browser_page.wait_for_url(f"**example={example['example_id']}", timeout=TIMEOUT_MS)
    _settled(browser_page)
    spans = api(platform, "/api/v1/diff/traces", a=example["trace_id_a"], b=example["trace_id_b"])
    browser_page.get_by_text(spans["summary"]["text"], exact=True).wait_for(timeout=TIMEOUT_MS)
    first_changed = next(row for row in spans["spans"] if row["change"] != "same")
    heading = f"{MARKS[first_changed['change']]}: {first_changed['kind']} span"
    browser_page.get_by_role("heading", name=heading).wait_for(timeout=TIMEOUT_MS)
    browser_page.screenshot(path=ARTIFACTS / "compare-traces.png", full_page=True)
    _safe(browser_page, watch)
