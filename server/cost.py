"""The cost of an LLM call from its model, provider and token usage, with the offline
``genai-prices`` table.

``genai_prices.calc_price`` costs about 60 µs a call (it resolves usage units through a
registry each time), too much for every LLM span at ingest. Most models have flat
per-token prices, so the price is linear in the token counts: per (model, provider) we
ask the library once for the price of one million tokens of each kind and keep the four
rates. Models with tiered prices (by prompt length) or conditional ones (a start date, or
an off-peak time of day) are not linear; for those each call goes to the library, with
the span's own time.

>>> price = compute_cost("gpt-4o", "openai", input_tokens=1000, output_tokens=100)
>>> price is not None and price.source.startswith("genai-prices")
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

from genai_prices import Usage, __version__
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import ModelInfo, ModelPrice, Provider, TieredPrices

__all__ = ["Price", "PriceTable", "compute_cost"]

_MILLION = 1_000_000
# Models are user-supplied strings: bound the cache so junk names cannot grow it forever.
_MAX_ENTRIES = 4096

# GenAI ``gen_ai.provider.name`` values the library's own provider matching misses.
_PROVIDER_ALIASES = {"gcp.gen_ai": "google", "x_ai": "x-ai", "azure.ai.inference": "azure", "vertexai": "google"}


@dataclass(frozen=True, slots=True)
class Price:
    usd: float
    source: str  # "genai-prices <version> <provider>/<model>": which table row priced it


@dataclass(frozen=True, slots=True)
class _Linear:
    source: str
    input: float  # USD per token
    output: float
    cache_read: float  # added to ``input`` per cached token (usually negative: a discount)
    cache_write: float


@dataclass(frozen=True, slots=True)
class _Exact:
    source: str
    model: ModelInfo = field(repr=False)
    provider: Provider = field(repr=False)


def _is_linear(model: ModelInfo) -> bool:
    if not isinstance(model.prices, ModelPrice):  # conditional on date or time of day
        return False
    return not any(isinstance(price, TieredPrices) for price in vars(model.prices).values())


def _per_token(model: ModelInfo, provider: Provider, **tokens: int) -> float:
    return float(model.calc_price(Usage(**tokens), provider).total_price) / _MILLION


def _entry(model_ref: str, provider_id: str | None) -> _Linear | _Exact | None:
    provider_id = _PROVIDER_ALIASES.get(provider_id, provider_id) if provider_id else None
    try:
        provider, model = get_snapshot().find_provider_model(model_ref, None, provider_id, None)
    except LookupError:
        # An unknown provider is not priced by model name alone: an OpenAI-compatible
        # self-hosted server running "llama-3" does not cost Meta's API price.
        return None
    source = f"genai-prices {__version__} {provider.id}/{model.id}"
    if not _is_linear(model):
        return _Exact(source, model, provider)
    try:
        input_rate = _per_token(model, provider, input_tokens=_MILLION)
        linear = _Linear(
            source=source,
            input=input_rate,
            output=_per_token(model, provider, output_tokens=_MILLION),
            cache_read=_per_token(model, provider, input_tokens=_MILLION, cache_read_tokens=_MILLION) - input_rate,
            cache_write=_per_token(model, provider, input_tokens=_MILLION, cache_write_tokens=_MILLION) - input_rate,
        )
    except (ValueError, ArithmeticError):  # a unit the rates cannot express: ask each time
        return _Exact(source, model, provider)
    return linear


class PriceTable:
    """Prices looked up once per (model, provider). Not thread-safe to mutate concurrently
    in theory; in CPython the dict operations are atomic and a race only computes an entry
    twice."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str | None], _Linear | _Exact | None] = {}

    def price(
        self,
        model: str,
        provider: str | None,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        time_ns: int | None = None,
    ) -> Price | None:
        """The cost in USD, or None for an unknown model or no usage (never a made-up 0)."""
        if input_tokens is None and output_tokens is None:
            return None
        key = (model, provider)
        if key in self._entries:
            entry = self._entries[key]
        else:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            entry = self._entries[key] = _entry(model, provider)
        if entry is None:
            return None
        input_count, output_count = input_tokens or 0, output_tokens or 0
        cache_read, cache_write = cache_read_tokens or 0, cache_write_tokens or 0
        if cache_read + cache_write > input_count:
            # Anthropic's raw usage counts cached tokens apart from input_tokens; the GenAI
            # convention includes them. A cache larger than the input can only mean the former.
            input_count += cache_read + cache_write
        usd: float | None
        if isinstance(entry, _Linear):
            usd = (
                input_count * entry.input
                + output_count * entry.output
                + cache_read * entry.cache_read
                + cache_write * entry.cache_write
            )
        else:
            usage = Usage(
                input_tokens=input_count,
                output_tokens=output_count,
                cache_read_tokens=cache_read or None,
                cache_write_tokens=cache_write or None,
            )
            usd = _exact_price(entry, usage, time_ns)
        return Price(usd, entry.source) if usd is not None and math.isfinite(usd) else None


def _exact_price(entry: _Exact, usage: Usage, time_ns: int | None) -> float | None:
    try:
        # The span's time selects date- and time-of-day-conditional prices.
        when = datetime.fromtimestamp(time_ns / 1e9, tz=timezone.utc) if time_ns else None
        return float(entry.model.calc_price(usage, entry.provider, genai_request_timestamp=when).total_price)
    except (ValueError, ArithmeticError, OverflowError, OSError):  # also a time beyond datetime's range
        return None


_DEFAULT_TABLE = PriceTable()
compute_cost = _DEFAULT_TABLE.price
