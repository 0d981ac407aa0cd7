"""Messages carried by OTLP log records beside a span, and message edge cases."""

from __future__ import annotations

from _normalize_helpers import text

from server.normalize.messages import LogEvent, genai_messages, messages_from_log_events, openai_messages


def test_per_message_events_of_openai_v2_in_time_order() -> None:
    events = [
        # Out of order on purpose: the collector receives log records in any order.
        LogEvent("gen_ai.choice", {"index": 1, "finish_reason": "stop", "message": {"content": "B"}}, {}, 40),
        LogEvent("gen_ai.user.message", {"content": "Weather in Paris?"}, {}, 20),
        LogEvent("gen_ai.system.message", {"content": "Be brief."}, {}, 10),
        LogEvent(
            "gen_ai.assistant.message",
            {
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"c": 1}'}}
                ]
            },
            {},
            25,
        ),
        # The event name may come as an attribute (older SDKs) instead of the event_name field.
        LogEvent("", {"content": "sunny", "id": "call_1"}, {"event.name": "gen_ai.tool.message"}, 30),
        LogEvent("gen_ai.choice", {"index": 0, "finish_reason": "stop", "message": {"role": "assistant"}}, {}, 35),
        LogEvent("gen_ai.other", {"content": "ignored"}, {}, 50),
    ]
    inputs, outputs = messages_from_log_events(events)
    assert inputs == [
        text("system", "Be brief."),
        text("user", "Weather in Paris?"),
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"c": 1}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "sunny"}]},
    ]
    # Choices in index order; a choice without content (capture off) keeps its role.
    assert outputs == [
        {"role": "assistant", "parts": [], "finish_reason": "stop"},
        text("assistant", "B", finish_reason="stop"),
    ]


def test_operation_details_event_with_structured_and_json_attributes() -> None:
    event = LogEvent(
        "gen_ai.client.inference.operation.details",
        None,
        {
            "gen_ai.system_instructions": '[{"type": "text", "content": "Be brief."}]',
            "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
            "gen_ai.output.messages": '[{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], '
            '"finish_reason": "stop"}]',
        },
        1,
    )
    assert messages_from_log_events([event]) == (
        [text("system", "Be brief."), text("user", "Hi")],
        [text("assistant", "Hello", finish_reason="stop")],
    )


def test_garbage_events_never_raise() -> None:
    assert messages_from_log_events([]) == ([], [])
    garbage = [
        LogEvent("gen_ai.choice", "not a dict", {}, 1),
        LogEvent("gen_ai.user.message", 42, {}, 2),
        LogEvent("gen_ai.client.inference.operation.details", None, {"gen_ai.input.messages": "{broken"}, 3),
    ]
    inputs, outputs = messages_from_log_events(garbage)
    # Text that is not the JSON it should be (an SDK may cut long values) is still shown.
    assert inputs == [{"role": "user", "parts": [{"type": "text", "content": 42}]}, text("user", "{broken")]
    assert outputs == []


def test_genai_messages_accept_openai_shaped_items_and_keep_unknown_parts() -> None:
    assert genai_messages('[{"role": "user", "content": "Hi"}]') == [text("user", "Hi")]
    assert genai_messages([{"role": "user", "parts": [{"type": "blob", "modality": "image", "content": b"\x01"}]}]) == [
        {"role": "user", "parts": [{"type": "blob", "modality": "image", "content": "01"}]}
    ]
    assert genai_messages("plain text") == [text("user", "plain text")]
    assert genai_messages(42) is None


def test_openai_messages_drop_only_unusable_messages() -> None:
    messages = [{"role": ["not", "hashable"], "content": "x"}, {"role": "user", "content": "kept"}]
    assert openai_messages(messages) == [text("user", "kept")]
    assert openai_messages([1, 2]) is None
