"""The session endpoints over real sockets, on DuckDB and Postgres: known traces in, exact session
summaries out (order, sums, users, tags, previews), cursor paging, filters, one session with its
traces (IDs with a slash, spaces and non-ASCII), 404 and 400."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest

from tests.integration.collector_helpers import (
    T0_NS,
    RunningCollector,
    new_trace_id,
    running_collector,
    span,
    traces_request,
)
from tests.integration.conftest import Backend

T0 = datetime.fromtimestamp(T0_NS / 1e9, timezone.utc)
SECOND_NS = 1_000_000_000
ODD_SESSION = "chat/42 é☃"  # a slash, a space and non-ASCII: all must survive the URL path
# A cursor of the trace list, which the session list must refuse.
TRACE_LIST_CURSOR = base64.urlsafe_b64encode(
    json.dumps({"start_time": "2026-01-01T00:00:00+00:00", "trace_id": "a"}).encode()
).decode()


@pytest.fixture
def collector(backend: Backend) -> Iterator[RunningCollector]:
    with running_collector(backend.url) as running:
        yield running


def a_trace(
    session_id: str | None,
    start_s: float,
    duration_ms: float,
    *,
    user_id: str | None = None,
    tags: tuple[str, ...] = (),
    question: str | None = None,
    answer: str | None = None,
    error: bool = False,
    tokens: tuple[int, int] | None = None,
    cost: float | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """A trace: a chain root (session, user, tags, input, output) and, with ``tokens``, an LLM
    child with those input/output tokens and ``cost`` (an unpriced model, so no cost otherwise)."""
    trace_id = new_trace_id()
    start_ns = T0_NS + int(start_s * SECOND_NS)
    attributes: dict[str, Any] = {"openinference.span.kind": "CHAIN", "tag.tags": list(tags)}
    for key, value in (("session.id", session_id), ("user.id", user_id), ("input.value", question)):
        if value is not None:
            attributes[key] = value
    if answer is not None:
        attributes["output.value"] = answer
    root = span(trace_id, "turn", start_ns=start_ns, duration_ms=duration_ms, attributes=attributes)
    if error:
        root["status"] = {"code": 2, "message": "failed"}
    spans = [root]
    if tokens is not None:
        llm: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "house-model",
            "gen_ai.usage.input_tokens": tokens[0],
            "gen_ai.usage.output_tokens": tokens[1],
        }
        if cost is not None:
            llm["llm.cost.total"] = cost
        spans.append(span(trace_id, "chat", parent=root["spanId"], start_ns=start_ns + 1_000_000, attributes=llm))
    return trace_id, spans


def post(collector: RunningCollector, *traces: tuple[str, list[dict[str, Any]]]) -> list[str]:
    response = collector.post_json(traces_request(*(item for _, spans in traces for item in spans)))
    assert response.status_code == 200, response.text
    return [trace_id for trace_id, _ in traces]


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def sessions(collector: RunningCollector, **params: Any) -> dict[str, Any]:
    response = collector.client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, f"GET sessions {params}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


def session_path(session_id: str) -> str:
    return "/api/v1/sessions/" + quote(session_id, safe="")


@pytest.fixture
def chats(collector: RunningCollector) -> dict[str, list[str]]:
    """Three sessions and a trace with none; returns each session's trace IDs by start."""
    odd = post(
        collector,
        a_trace(ODD_SESSION, 0, 100, user_id="u1", tags=("prod",), question="first question", tokens=(10, 5), cost=0.5),
        a_trace(ODD_SESSION, 60, 200, user_id="u2", tags=("beta", "prod"), error=True, tokens=(20, 2)),
        a_trace(ODD_SESSION, 120, 300, user_id="u1", answer="last answer", tokens=(1, 1), cost=0.25),
    )
    plain = post(
        collector,
        a_trace("plain", 30, 50, question="hello"),
        a_trace("plain", 200, 1000, user_id="u3", answer="bye"),
    )
    old = post(collector, a_trace("old", -600, 10, user_id="u1"))
    post(collector, a_trace(None, 500, 10, user_id="u1"))  # no session: in no session
    return {ODD_SESSION: odd, "plain": plain, "old": old}


ODD_SUMMARY = {
    "session_id": ODD_SESSION,
    "user_ids": ["u1", "u2"],
    "trace_count": 3,
    "first_start": at(0),
    "last_end": at(120.3),
    "duration_ms": 600.0,
    "error_count": 1,
    "total_tokens": 39,
    "cost_usd": 0.75,
    "tags": ["beta", "prod"],
    "first_input_preview": "first question",
    "last_output_preview": "last answer",
}
PLAIN_SUMMARY = {
    "session_id": "plain",
    "user_ids": ["u3"],
    "trace_count": 2,
    "first_start": at(30),
    "last_end": at(201),
    "duration_ms": 1050.0,
    "error_count": 0,
    "total_tokens": 0,
    "cost_usd": None,
    "tags": [],
    "first_input_preview": "hello",
    "last_output_preview": "bye",
}
OLD_SUMMARY = {
    "session_id": "old",
    "user_ids": ["u1"],
    "trace_count": 1,
    "first_start": at(-600),
    "last_end": at(-599.99),
    "duration_ms": 10.0,
    "error_count": 0,
    "total_tokens": 0,
    "cost_usd": None,
    "tags": [],
    "first_input_preview": None,
    "last_output_preview": None,
}


def normalized(summary: dict[str, Any]) -> dict[str, Any]:
    """Times as UTC ISO strings with Z, costs rounded: comparable with the expected dicts."""
    found = dict(summary)
    for key in ("first_start", "last_end"):
        found[key] = datetime.fromisoformat(found[key]).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if found["cost_usd"] is not None:
        found["cost_usd"] = round(found["cost_usd"], 9)
    return found


def test_sessions_are_listed_most_recently_active_first_with_exact_summaries(
    collector: RunningCollector, chats: dict[str, list[str]]
) -> None:
    listed = sessions(collector)
    assert listed["next_cursor"] is None
    assert [normalized(item) for item in listed["sessions"]] == [PLAIN_SUMMARY, ODD_SUMMARY, OLD_SUMMARY]


def test_filters_choose_the_traces_that_sessions_summarize(
    collector: RunningCollector, chats: dict[str, list[str]]
) -> None:
    # Only traces that start in [60 s, 200 s): the odd session's 2nd and 3rd, none of plain's.
    found = sessions(collector, start_after=at(60), start_before=at(200))["sessions"]
    assert [(item["session_id"], item["trace_count"]) for item in found] == [(ODD_SESSION, 2)]
    odd = normalized(found[0])
    assert (odd["first_start"], odd["user_ids"], odd["total_tokens"], odd["cost_usd"]) == (
        at(60),
        ["u1", "u2"],
        24,
        0.25,
    )
    assert (odd["first_input_preview"], odd["last_output_preview"], odd["error_count"]) == (None, "last answer", 1)

    found = sessions(collector, user_id="u1")["sessions"]
    assert [(item["session_id"], item["trace_count"], item["user_ids"]) for item in found] == [
        (ODD_SESSION, 2, ["u1"]),
        ("old", 1, ["u1"]),
    ]
    assert [item["session_id"] for item in sessions(collector, start_before=at(0))["sessions"]] == ["old"]
    assert sessions(collector, user_id="nobody") == {"sessions": [], "next_cursor": None}


def test_cursor_paging_returns_every_session_once_in_order(collector: RunningCollector) -> None:
    # Eleven sessions; the ones ending at the same instant tie, and the tie is broken by
    # session_id, descending, across page boundaries too.
    traces = [a_trace(f"s{number:02d}", start_s=10 * (number // 2), duration_ms=500) for number in range(11)]
    post(collector, *traces)
    whole = [item["session_id"] for item in sessions(collector, limit=500)["sessions"]]
    assert whole == ["s10", "s09", "s08", "s07", "s06", "s05", "s04", "s03", "s02", "s01", "s00"]
    pages, cursor = [], None
    while True:
        page = sessions(collector, limit=4, **({"cursor": cursor} if cursor else {}))
        pages.append([item["session_id"] for item in page["sessions"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "paging does not end"
    assert [len(page) for page in pages] == [4, 4, 3]
    assert [session_id for page in pages for session_id in page] == whole


def test_one_session_with_its_traces_in_order(collector: RunningCollector, chats: dict[str, list[str]]) -> None:
    for path in (session_path(ODD_SESSION), "/api/v1/sessions/" + ODD_SESSION):  # encoded, then raw
        response = collector.client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        detail = response.json()
        assert normalized(detail["session"]) == ODD_SUMMARY
        assert [trace["trace_id"] for trace in detail["traces"]] == chats[ODD_SESSION]
        assert detail["truncated"] is False
        first = detail["traces"][0]
        assert (first["session_id"], first["user_id"], first["input_preview"], first["span_count"]) == (
            ODD_SESSION,
            "u1",
            "first question",
            2,
        )
    # The detail's summary is the list's, with no filters.
    listed = next(item for item in sessions(collector)["sessions"] if item["session_id"] == "plain")
    assert collector.client.get(session_path("plain")).json()["session"] == listed


def test_a_long_session_lists_its_first_thousand_traces(collector: RunningCollector) -> None:
    post(collector, *(a_trace("long", start_s=index, duration_ms=1) for index in range(1001)))
    detail = collector.client.get(session_path("long")).json()
    assert (detail["session"]["trace_count"], len(detail["traces"]), detail["truncated"]) == (1001, 1000, True)
    starts = [trace["start_time"] for trace in detail["traces"]]
    assert starts == sorted(starts) and datetime.fromisoformat(starts[0]) == T0


@pytest.mark.parametrize("session_id", ["nope", "chat", "chat/42", ODD_SESSION + " ", "é☃"])
def test_an_unknown_session_is_404(collector: RunningCollector, chats: dict[str, list[str]], session_id: str) -> None:
    response = collector.client.get(session_path(session_id))
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"no such session in this project: {session_id!r}"


@pytest.mark.parametrize(
    ("params", "status", "named"),
    [
        ({"limit": 0}, 422, "limit"),
        ({"limit": 501}, 422, "limit"),
        ({"start_after": "yesterday"}, 422, "start_after"),
        ({"session": "x"}, 422, "session"),
        ({"cursor": "not-a-cursor"}, 400, "cursor"),
        ({"cursor": TRACE_LIST_CURSOR}, 400, "cursor"),
    ],
)
def test_invalid_list_parameters_are_refused(
    collector: RunningCollector, params: dict[str, Any], status: int, named: str
) -> None:
    response = collector.client.get("/api/v1/sessions", params=params)
    assert response.status_code == status, f"{params}: {response.status_code} {response.text}"
    assert named in response.json()["detail"], response.text


def test_openapi_lists_the_session_routes(collector: RunningCollector) -> None:
    paths = collector.client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/sessions"] and "get" in paths["/api/v1/sessions/{session_id}"]
    parameters = {parameter["name"] for parameter in paths["/api/v1/sessions"]["get"]["parameters"]}
    assert parameters == {"limit", "cursor", "start_after", "start_before", "user_id"}
