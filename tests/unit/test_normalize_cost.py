"""Cost from genai-prices: the cached linear rates must agree with the library itself."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from _normalize_helpers import START_NS, raw_span
from genai_prices import Usage, calc_price

from server.cost import PriceTable
from server.normalize import normalize

USAGES = [
    {"input_tokens": 1000, "output_tokens": 200},
    {"input_tokens": 5000, "output_tokens": 10, "cache_read_tokens": 4000},
    {"input_tokens": 5000, "output_tokens": 10, "cache_read_tokens": 1000, "cache_write_tokens": 2000},
    {"input_tokens": 300_000, "output_tokens": 2000},  # past Gemini's 200k-token tier
]
MODELS = [
    ("gpt-4o-2024-08-06", "openai"),
    ("claude-3-5-sonnet-20241022", "anthropic"),
    ("gemini-2.5-pro", "google"),  # tiered: priced by the library on every call
    ("deepseek-chat", "deepseek"),
]


@pytest.mark.parametrize(("model", "provider"), MODELS)
@pytest.mark.parametrize("usage", USAGES)
def test_cached_prices_match_the_library(model: str, provider: str, usage: dict[str, int]) -> None:
    when = datetime.fromtimestamp(START_NS / 1e9, tz=timezone.utc)
    expected = float(calc_price(Usage(**usage), model, provider_id=provider, genai_request_timestamp=when).total_price)
    price = PriceTable().price(model, provider, time_ns=START_NS, **usage)
    assert price is not None
    assert price.usd == pytest.approx(expected, rel=1e-9)
    assert price.source.startswith("genai-prices 0.2.3 ")


def test_unknown_model_unknown_provider_or_no_usage_cost_nothing_not_zero() -> None:
    table = PriceTable()
    assert table.price("my-finetune-v3", "openai", input_tokens=10, output_tokens=1) is None
    assert table.price("llama-3-8b", "ollama", input_tokens=10, output_tokens=1) is None
    assert table.price("gpt-4o", "openai") is None
    assert table.price("gpt-4o", None, input_tokens=10) is not None  # matched by model name alone


def test_genai_provider_names_are_understood() -> None:
    table = PriceTable()
    for provider in ("gcp.gemini", "gcp.vertex_ai", "gcp.gen_ai"):
        price = table.price("gemini-2.0-flash", provider, input_tokens=100, output_tokens=10)
        assert price is not None and "google/" in price.source


def test_anthropic_style_usage_with_cache_outside_input() -> None:
    # Raw Anthropic usage: input_tokens excludes cached tokens, so the cache exceeds it.
    table = PriceTable()
    raw = table.price(
        "claude-3-5-sonnet-20241022", "anthropic", input_tokens=10, output_tokens=5, cache_read_tokens=990
    )
    total = table.price(
        "claude-3-5-sonnet-20241022", "anthropic", input_tokens=1000, output_tokens=5, cache_read_tokens=990
    )
    assert raw is not None and total is not None and raw.usd == pytest.approx(total.usd)


def test_span_cost_takes_precedence_and_unknown_models_stay_none() -> None:
    carried = normalize(
        raw_span({"llm.model_name": "gpt-4o", "llm.token_count.prompt": 10, "llm.cost.total": 1.5}), "p"
    )
    assert (carried.cost_usd, carried.cost_source) == (1.5, "span")
    unknown = normalize(
        raw_span(
            {"gen_ai.request.model": "acme-llm", "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 2}
        ),
        "p",
    )
    assert (unknown.cost_usd, unknown.cost_source, unknown.total_tokens) == (None, None, 12)
    no_usage = normalize(raw_span({"gen_ai.request.model": "gpt-4o"}), "p")
    assert no_usage.cost_usd is None
