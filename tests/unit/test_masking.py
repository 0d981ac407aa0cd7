"""Redaction and keyed pseudonymization, applied before spans leave the process."""

from __future__ import annotations

import orjson
import pytest

import tracer
from tracer.testing import capture


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("email", "mail ada.lovelace+ai@example.co.uk now", "mail <email> now"),
        ("phone", "call +44 20 7946 0958 today", "call <phone> today"),
        ("phone", "call (555) 123-4567", "call <phone>"),
        ("phone", "or +14155550123.", "or <phone>."),
        ("card", "card 4111 1111 1111 1111 exp", "card <card> exp"),
        ("card", "card 4111-1111-1111-1111", "card <card>"),
        ("secret", "key sk-proj-abcdefghijklmnopqrstuvwx1234", "key <secret>"),
        ("secret", "AKIAIOSFODNN7EXAMPLE in env", "<secret> in env"),
        ("secret", "Authorization: Bearer abcdefghijklmnop1234", "Authorization: <secret>"),
        ("secret", 'password="hunter2hunter2"', '<secret>"'),
        ("secret", "ghp_" + "a" * 36, "<secret>"),
    ],
)
def test_built_in_redactors(kind: str, text: str, expected: str) -> None:
    assert tracer.redact(kind)(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "order 12345678 shipped",  # a bare id is not a phone number
        "timestamp 1732492800000",
        "card 4111 1111 1111 1112",  # fails the Luhn check
        "version 1.2.3 and 2024-11-24",
        "the word secret alone",
    ],
)
def test_redactors_leave_ordinary_text_alone(text: str) -> None:
    assert tracer.redact()(text) == text


def test_pseudonymization_is_consistent_keyed_and_case_blind() -> None:
    mask = tracer.redact("email", pseudonymize_key="k1")
    first = mask("from Ada@Example.com")
    assert first == mask("from ada@example.com")
    token = first.removeprefix("from ")
    assert token.startswith("<email:") and "ada" not in token
    assert mask("bob@example.com") != first.removeprefix("from ")
    assert tracer.redact("email", pseudonymize_key="k2")("ada@example.com") != token


def test_redact_refuses_unknown_kinds_and_empty_keys() -> None:
    with pytest.raises(ValueError, match="unknown redactor"):
        tracer.redact("ssn")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        tracer.redact(pseudonymize_key="")


def test_mask_applies_to_every_recorded_string_before_export() -> None:
    @tracer.llm
    def chat(messages: list[dict[str, str]]) -> str:
        raise ValueError("user ada@example.com hit a limit")

    with (
        capture(mask=tracer.redact("email")) as spans,
        tracer.context(user_id="ada@example.com"),
        pytest.raises(ValueError),
    ):
        chat([{"role": "user", "content": "I am ada@example.com"}])
    span = spans.named("chat")
    everything = orjson.dumps([span.attributes, span.events, span.status_message]).decode()
    assert "ada@example.com" not in everything
    assert span.attributes["user.id"] == "<email>"
    assert "<email>" in span.attributes["gen_ai.input.messages"]
    assert span.status_message == "ValueError: user <email> hit a limit"


@pytest.mark.internal_errors
def test_a_failing_mask_is_an_internal_error_not_a_crash() -> None:
    def broken(text: str) -> str:
        raise RuntimeError("mask bug")

    @tracer.tool
    def work() -> int:
        return 1

    # Under pytest internal errors are raised (so this test sees it) ...
    with capture(mask=broken), pytest.raises(RuntimeError, match="mask bug"):
        work()
    # ... in production they are logged and counted, and the call goes on.
    before = tracer.stats().internal_errors
    with capture(mask=broken, raise_internal_errors=False):
        assert work() == 1
    assert tracer.stats().internal_errors == before + 1
