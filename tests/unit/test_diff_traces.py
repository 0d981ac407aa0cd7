"""Aligning and diffing two span trees: inserted, deleted, reordered, repeated and renamed
spans, documents and tool calls, the summary, and two properties: a trace diffed with itself
shows no change, and diff(a, b) mirrors diff(b, a)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from server.diff import diff_traces
from server.diff.align import align_siblings

_ids = itertools.count(1)


def node(kind: str, name: str, *children: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"span_id": f"{next(_ids):016x}", "kind": kind, "name": name, "children": list(children), **fields}


def trace(*roots: dict[str, Any], **figures: Any) -> dict[str, Any]:
    return {"trace": {"trace_id": f"{next(_ids):032x}", **figures}, "spans": list(roots)}


def changes(diff: dict[str, Any]) -> list[tuple[str, str]]:
    return [(row["change"], row["name"]) for row in diff["spans"]]


def loop(*steps: str, **tool_fields: Any) -> dict[str, Any]:
    """An agent loop: plan (llm), then the named tools, each step one child."""
    children = []
    for step in steps:
        children.append(node("llm", "plan_next_step"))
        children.append(node("tool", step, tool_arguments=tool_fields.get(step, "{}")))
    return node("agent", "support_agent", *children, node("llm", "plan_next_step"))


def test_one_more_tool_call_in_a_loop_is_two_added_spans_not_a_shifted_loop() -> None:
    before = trace(loop("lookup_order", "estimate_shipping"))
    after = trace(loop("list_orders", "lookup_order", "estimate_shipping"))
    diff = diff_traces(before, after)
    # Which plan_next_step is the new one, the first or the second, is a tie; the count is not.
    assert sorted(change for change in changes(diff) if change[0] != "same") == [
        ("added", "list_orders"),
        ("added", "plan_next_step"),
    ]
    assert (diff["summary"]["added"], diff["summary"]["removed"], diff["summary"]["changed"]) == (2, 0, 0)
    assert diff["summary"]["text"].startswith("1 more LLM call, 1 more tool call")


def test_a_removed_step_and_a_changed_argument() -> None:
    before = trace(loop("lookup_order", "lookup_order", "calculator", lookup_order='{"order_id": "NP-1"}'))
    after = trace(loop("lookup_order", "calculator", lookup_order='{"order_id": "NP-2"}'))
    rows = diff_traces(before, after)["spans"]
    assert sorted((row["change"], row["name"]) for row in rows if row["change"] != "same") == [
        ("changed", "lookup_order"),
        ("removed", "lookup_order"),
        ("removed", "plan_next_step"),
    ]
    changed = next(row for row in rows if row["change"] == "changed")
    assert changed["changed"] == ["tool_arguments"]
    assert changed["values"]["tool_arguments"] == {"a": '{"order_id": "NP-1"}', "b": '{"order_id": "NP-2"}'}


def test_reordered_siblings_keep_one_in_place_and_move_the_other() -> None:
    before = trace(node("chain", "root", node("tool", "x"), node("tool", "y")))
    after = trace(node("chain", "root", node("tool", "y"), node("tool", "x")))
    assert sorted(changes(diff_traces(before, after))) == [
        ("added", "x"),
        ("removed", "x"),
        ("same", "root"),
        ("same", "y"),
    ] or sorted(changes(diff_traces(before, after))) == [
        ("added", "y"),
        ("removed", "y"),
        ("same", "root"),
        ("same", "x"),
    ]


def test_a_model_change_is_the_same_step_changed_not_removed_and_added() -> None:
    before = trace(node("llm", "chat gpt-4o", model="gpt-4o", attributes={"gen_ai.request.temperature": 0.2}))
    after = trace(node("llm", "chat gpt-4o-mini", model="gpt-4o-mini", attributes={"gen_ai.request.temperature": 0}))
    diff = diff_traces(before, after)
    (row,) = diff["spans"]
    assert (row["change"], row["changed"]) == ("changed", ["name", "model", "parameters"])
    assert diff["summary"]["model_changes"] == [{"a": "gpt-4o", "b": "gpt-4o-mini"}]
    assert "model gpt-4o → gpt-4o-mini" in diff["summary"]["text"]


def test_retrieval_diff_names_documents_added_dropped_and_reranked() -> None:
    docs_a = [
        {"id": "kb-returns", "score": 0.9},
        {"id": "kb-refunds", "score": 0.7},
        {"id": "kb-exchanges", "score": 0.5},
    ]
    docs_b = [
        {"id": "kb-refunds", "score": 0.8},
        {"id": "kb-returns", "score": 0.9},
        {"id": "kb-gift-cards", "score": 0.4},
    ]
    diff = diff_traces(
        trace(node("retriever", "search", documents=docs_a)), trace(node("retriever", "search", documents=docs_b))
    )
    documents = diff["spans"][0]["documents"]
    assert [doc["id"] for doc in documents["added"]] == ["kb-gift-cards"]
    assert [doc["id"] for doc in documents["dropped"]] == ["kb-exchanges"]
    assert [(doc["id"], doc["rank_a"], doc["rank_b"], doc["score_a"], doc["score_b"]) for doc in documents["kept"]] == [
        ("kb-refunds", 2, 1, 0.7, 0.8),
        ("kb-returns", 1, 2, 0.9, 0.9),
    ]
    assert diff["summary"]["documents_lost"] == ["kb-exchanges"]
    assert "retrieval lost kb-exchanges" in diff["summary"]["text"]


def test_text_changes_come_with_a_unified_diff_and_the_summary_adds_it_up() -> None:
    before = trace(
        node("chain", "answer", output="Returns take 30 days.\nThanks!", duration_ms=1000.0),
        duration_ms=1000.0,
        total_tokens=100,
        cost_usd=0.001,
    )
    after = trace(
        node("chain", "answer", output="Returns take 60 days.\nThanks!", duration_ms=2300.0),
        duration_ms=2300.0,
        total_tokens=520,
        cost_usd=0.003,
    )
    diff = diff_traces(before, after)
    (row,) = diff["spans"]
    assert row["deltas"]["duration_ms"] == 1300.0
    assert "-Returns take 30 days.\n+Returns take 60 days." in row["texts"]["output"]["unified"]
    assert diff["summary"]["text"] == "+420 tokens, +$0.0020, +1.3 s, answer changed"


def test_a_whole_subtree_added_lists_every_span_of_it() -> None:
    before = trace(node("chain", "root"))
    after = trace(node("chain", "root", node("agent", "helper", node("tool", "a"), node("tool", "b"))))
    assert changes(diff_traces(before, after)) == [
        ("same", "root"),
        ("added", "helper"),
        ("added", "a"),
        ("added", "b"),
    ]


# Properties --------------------------------------------------------------------------------

KINDS = ("llm", "tool", "retriever")
NAMES = ("plan", "lookup", "search", "answer")


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> list[dict[str, Any]]:
    count = draw(st.integers(0, 5 if depth else 2))
    spans = []
    for _ in range(count):
        children = draw(trees(depth + 1)) if depth < 2 else []
        fields = {"output": draw(st.sampled_from(["", "yes", "no"])), "duration_ms": draw(st.sampled_from([1.0, 2.0]))}
        spans.append(node(draw(st.sampled_from(KINDS)), draw(st.sampled_from(NAMES)), *children, **fields))
    return spans


def _pairs(diff: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(((row["span_id_a"] or ""), (row["span_id_b"] or ""), row["change"]) for row in diff["spans"])


MIRROR = {"added": "removed", "removed": "added", "changed": "changed", "same": "same"}


@settings(max_examples=200, deadline=None)
@given(trees())
def test_a_trace_diffed_with_itself_shows_no_change(roots: list[dict[str, Any]]) -> None:
    same = trace(*roots)
    diff = diff_traces(same, same)
    assert {row["change"] for row in diff["spans"]} <= {"same"}
    assert diff["summary"]["text"] == "no difference"


@settings(max_examples=300, deadline=None)
@given(trees(), trees())
def test_diff_of_b_and_a_mirrors_diff_of_a_and_b(roots_a: list[dict[str, Any]], roots_b: list[dict[str, Any]]) -> None:
    forward, backward = diff_traces(trace(*roots_a), trace(*roots_b)), diff_traces(trace(*roots_b), trace(*roots_a))
    assert _pairs(backward) == sorted((b, a, MIRROR[change]) for a, b, change in _pairs(forward))
    by_pair = {(row["span_id_a"], row["span_id_b"]): row["deltas"] for row in forward["spans"]}
    for row in backward["spans"]:
        mirrored = by_pair[(row["span_id_b"], row["span_id_a"])]
        assert row["deltas"] == {name: None if value is None else -value for name, value in mirrored.items()}


@given(st.lists(st.sampled_from(NAMES), max_size=12), st.lists(st.sampled_from(NAMES), max_size=12))
def test_sibling_alignment_keeps_both_orders_and_every_span_once(names_a: list[str], names_b: list[str]) -> None:
    a = [node("tool", name) for name in names_a]
    b = [node("tool", name) for name in names_b]
    pairs = align_siblings(a, b)
    assert [pair.a["span_id"] for pair in pairs if pair.a] == [span["span_id"] for span in a]
    assert [pair.b["span_id"] for pair in pairs if pair.b] == [span["span_id"] for span in b]


def test_an_llm_call_is_compared_by_its_messages_not_its_raw_response() -> None:
    said = [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}]
    before = trace(node("llm", "chat", output='{"id": "chatcmpl-1", "created": 1}', output_messages=said))
    after = trace(node("llm", "chat", output='{"id": "chatcmpl-2", "created": 2}', output_messages=said))
    assert diff_traces(before, after)["spans"][0]["change"] == "same"
    reworded = [{"role": "assistant", "parts": [{"type": "text", "content": "Hi"}]}]
    after = trace(node("llm", "chat", output='{"id": "chatcmpl-2", "created": 2}', output_messages=reworded))
    assert diff_traces(before, after)["spans"][0]["changed"] == ["output_messages"]
