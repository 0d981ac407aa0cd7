"""A simulated chat model that stands in for the OpenAI and Anthropic APIs, offline.

It answers in the providers' own response shapes (chat completions, stream chunks with a
final usage chunk, Anthropic messages) with real model names, so the collector prices the
calls. Token counts follow the length of the text, latency follows the model and the number
of tokens, and calls sometimes fail as real ones do: rate limits, timeouts, and streams cut
off halfway. What it says is written by ``demo.replies``: a few rules that read the prompt.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from demo import replies, simulation

Message = dict[str, Any]
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class ModelProfile:
    provider: str  # "openai" or "anthropic": the response shape
    version: str  # the dated name the API answers with
    first_token: tuple[float, float]  # seconds until the first token
    per_token: float  # seconds per output token
    timeout: float = 1.2  # the client's timeout: a timed-out call takes this long, then fails


MODELS = {
    "gpt-4o-mini": ModelProfile("openai", "gpt-4o-mini-2024-07-18", (0.2, 0.45), 0.003),
    "gpt-4o": ModelProfile("openai", "gpt-4o-2024-08-06", (0.3, 0.6), 0.005),
    "gpt-4.1-nano": ModelProfile("openai", "gpt-4.1-nano-2025-04-14", (0.012, 0.035), 0.0005, timeout=0.4),
    "claude-3-5-haiku-20241022": ModelProfile("anthropic", "claude-3-5-haiku-20241022", (0.25, 0.5), 0.004),
}

RATE_LIMIT_CHANCE = 0.03
TIMEOUT_CHANCE = 0.012
STREAM_CUT_CHANCE = 0.04
RETRY_ATTEMPTS = 3


class ModelError(Exception):
    """The (simulated) model API failed."""


class RateLimitError(ModelError):
    """HTTP 429: too many requests or tokens for the account's tier."""


class ModelTimeoutError(ModelError):
    """No response within the client's timeout."""


class StreamInterruptedError(ModelError):
    """The connection dropped after part of the answer was streamed: not safe to retry."""


def count_tokens(text: str) -> int:
    """About four characters a token, as OpenAI's tokenizers give for English."""
    return max(1, round(len(text) / 4))


def prompt_tokens(messages: list[Message], tools: list[dict[str, Any]] | None = None) -> int:
    # Each message costs a few tokens of framing; tool schemas are sent as part of the prompt.
    total = sum(
        4 + count_tokens(json.dumps(message.get("content") or message.get("tool_calls") or "")) for message in messages
    )
    return total + 3 + (count_tokens(json.dumps(tools)) if tools else 0)


async def _fail_sometimes(model: str, profile: ModelProfile) -> None:
    sim = simulation.current()
    roll = sim.rng.random()
    if roll < RATE_LIMIT_CHANCE:
        await sim.wait(0.03, 0.1)
        raise RateLimitError(f"429 Too Many Requests: rate limit reached for {model} in organization demo (simulated)")
    if roll < RATE_LIMIT_CHANCE + TIMEOUT_CHANCE:
        await sim.wait(profile.timeout, profile.timeout)
        raise ModelTimeoutError(f"Request to {model} timed out after {profile.timeout} s (simulated)")


def _profile(model: str) -> ModelProfile:
    try:
        return MODELS[model]
    except KeyError:
        raise ValueError(f"the simulated model knows {', '.join(MODELS)}, not {model!r}") from None


def _response_id(prefix: str) -> str:
    return f"{prefix}sim{simulation.current().rng.getrandbits(64):016x}"


async def complete(
    messages: list[Message], *, model: str, tools: list[dict[str, Any]] | None = None, temperature: float = 0.0
) -> dict[str, Any]:
    """One chat completion, in the response shape of the model's provider."""
    profile = _profile(model)
    await _fail_sometimes(model, profile)
    sim = simulation.current()
    reply = replies.reply(messages, tools, sim.rng, temperature)
    input_tokens = prompt_tokens(messages, tools)
    output_tokens = count_tokens(reply.text or json.dumps(reply.tool_calls))
    await sim.wait(*profile.first_token)
    await sim.wait(output_tokens * profile.per_token * 0.8, output_tokens * profile.per_token * 1.2)
    if profile.provider == "anthropic":
        return {
            "id": _response_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": profile.version,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _response_id("call_"),
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for name, arguments in reply.tool_calls
        ]
    return {
        "id": _response_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": profile.version,
        "system_fingerprint": "simulated",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }


async def stream(messages: list[Message], *, model: str, temperature: float = 0.0) -> AsyncIterator[dict[str, Any]]:
    """A streamed chat completion: OpenAI chunks of a few words each, then a usage chunk
    (as with ``stream_options={"include_usage": True}``)."""
    profile = _profile(model)
    if profile.provider != "openai":
        raise ValueError("the simulated model streams in the OpenAI shape only")
    await _fail_sometimes(model, profile)
    sim = simulation.current()
    text = replies.reply(messages, None, sim.rng, temperature).text or ""
    response_id, version = _response_id("chatcmpl-"), profile.version
    words = text.split(" ")
    pieces = [" ".join(words[index : index + 3]) + " " for index in range(0, len(words), 3)]
    pieces[-1] = pieces[-1].rstrip(" ")
    cut_at = sim.rng.randrange(1, len(pieces)) if len(pieces) > 1 and sim.chance(STREAM_CUT_CHANCE) else None
    await sim.wait(*profile.first_token)
    for index, piece in enumerate(pieces):
        if index == cut_at:
            raise StreamInterruptedError(f"connection to {model} reset after {index} chunks (simulated)")
        tokens = count_tokens(piece)
        await sim.wait(tokens * profile.per_token * 0.5, tokens * profile.per_token * 1.5)
        yield {
            "id": response_id,
            "object": "chat.completion.chunk",
            "model": version,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
    input_tokens, output_tokens = prompt_tokens(messages), count_tokens(text)
    yield {
        "id": response_id,
        "object": "chat.completion.chunk",
        "model": version,
        "choices": [],
        "usage": {
            "prompt_tokens": input_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        },
    }


def reply_text(completion: dict[str, Any]) -> str:
    """The text of a chat completion or an Anthropic message."""
    if completion.get("type") == "message":
        return "".join(block.get("text", "") for block in completion["content"])
    return completion["choices"][0]["message"].get("content") or ""


async def with_retries(call: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call again after a rate limit or a timeout, backing off, as the provider SDKs do.
    Each attempt is its own LLM span, so a retried call shows as a failed span and a good one."""
    sim = simulation.current()
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            return await call(*args, **kwargs)
        except (RateLimitError, ModelTimeoutError):
            if attempt == RETRY_ATTEMPTS:
                raise
            sim.retries += 1
            await sim.wait(0.1 * 2**attempt, 0.15 * 2**attempt)
    raise AssertionError("unreachable")
