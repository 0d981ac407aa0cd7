"""Every SDK setting, declared once: its variables, default and one-line doc.

Resolution order (ARCHITECTURE.md, decision 10): explicit argument, then the
``SPANSCOPE_*`` variable, then the standard ``OTEL_*`` variables, then the default.
``docs/configuration.md`` is checked against this table by a test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

DEFAULT_ENDPOINT = "http://127.0.0.1:4318"
TRACES_PATH = "/v1/traces"


class SettingError(ValueError):
    """A setting has a value that cannot be used; the message names the setting."""


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_rate(text: str) -> float:
    rate = float(text)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"expected a number from 0 to 1, got {text!r}")
    return rate


def parse_positive_int(text: str) -> int:
    number = int(text)
    if number <= 0:
        raise ValueError(f"expected a whole number above 0, got {text!r}")
    return number


def parse_positive_float(text: str) -> float:
    number = float(text)
    if number <= 0:
        raise ValueError(f"expected a number above 0, got {text!r}")
    return number


def parse_compression(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ("gzip", "none"):
        raise ValueError(f"expected gzip or none, got {text!r}")
    return lowered


def parse_headers(text: str) -> dict[str, str]:
    """Parse the OTEL_EXPORTER_OTLP_HEADERS format: ``k1=v1,k2=v2``, values URL-encoded."""
    headers: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected key=value pairs separated by commas, got {item!r}")
        headers[unquote(key.strip()).lower()] = unquote(value.strip())
    return headers


def _traces_url(base: str) -> str:
    return base.rstrip("/") + TRACES_PATH


def _sampler_ratio(env: Mapping[str, str]) -> str | None:
    """OTEL_TRACES_SAMPLER_ARG only means a ratio for the ratio samplers."""
    sampler = env.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if sampler in ("traceidratio", "parentbased_traceidratio"):
        return env.get("OTEL_TRACES_SAMPLER_ARG")
    if sampler in ("always_off", "parentbased_always_off"):
        return "0"
    return None


@dataclass(frozen=True)
class Setting:
    name: str
    doc: str
    default: Any
    parse: Callable[[str], Any]
    # Standard variables, in priority order; each maps the raw text to the setting's text.
    otel: tuple[tuple[str, Callable[[str], str]], ...] = ()
    derived: Callable[[Mapping[str, str]], str | None] | None = None

    @property
    def env_var(self) -> str:
        return "SPANSCOPE_" + self.name.upper()

    def resolve(self, explicit: Any, env: Mapping[str, str]) -> Any:
        if explicit is not None:
            return explicit
        raw = env.get(self.env_var)
        source = self.env_var
        if raw is None:
            for var, transform in self.otel:
                if env.get(var):
                    raw, source = transform(env[var]), var
                    break
        if raw is None and self.derived is not None:
            raw, source = self.derived(env), "OTEL_TRACES_SAMPLER_ARG"
        if raw is None or raw == "":
            return self.default
        try:
            return self.parse(raw)
        except ValueError as error:
            raise SettingError(f"{source}: {error}") from None


def verbatim(text: str) -> str:
    return text


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "endpoint",
        "Full URL the spans are POSTed to (OTLP/HTTP JSON).",
        _traces_url(DEFAULT_ENDPOINT),
        verbatim,
        otel=(
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", verbatim),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", _traces_url),
        ),
    ),
    Setting("project", "Project name sent as the X-Spanscope-Project header.", None, verbatim),
    Setting("api_key", "API key, sent as Authorization: Bearer.", None, verbatim),
    Setting(
        "service_name",
        "service.name of the resource (OTEL_SERVICE_NAME is read by the OTel SDK itself).",
        None,
        verbatim,
    ),
    Setting(
        "capture_content",
        "Record inputs, outputs, messages, documents and tool arguments/results.",
        True,
        parse_bool,
        otel=(("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", verbatim),),
    ),
    Setting(
        "sample_rate",
        "Fraction of traces kept (parent-based trace-ID ratio).",
        1.0,
        parse_rate,
        derived=_sampler_ratio,
    ),
    Setting(
        "max_value_size",
        "Longest recorded input/output/message value in characters; longer ones are cut with a marker.",
        32_768,
        parse_positive_int,
    ),
    Setting(
        "headers",
        "Extra HTTP headers for the export, as k1=v1,k2=v2.",
        {},
        parse_headers,
        otel=(
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", verbatim),
            ("OTEL_EXPORTER_OTLP_HEADERS", verbatim),
        ),
    ),
    Setting(
        "compression",
        "gzip or none.",
        "none",
        parse_compression,
        otel=(
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", verbatim),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", verbatim),
        ),
    ),
    Setting(
        "max_queue_bytes",
        "Encoded spans waiting for export, in bytes; above it new spans are dropped and counted.",
        256 * 1024 * 1024,
        parse_positive_int,
    ),
    Setting(
        "export_batch_size",
        "Most spans in one export request.",
        1024,
        parse_positive_int,
        otel=(("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", verbatim),),
    ),
    Setting(
        "export_interval",
        "Seconds between exports when the batch is not full.",
        0.5,
        parse_positive_float,
        otel=(("OTEL_BSP_SCHEDULE_DELAY", lambda ms: str(float(ms) / 1000)),),
    ),
    Setting(
        "export_timeout",
        "Seconds one export request may take.",
        10.0,
        parse_positive_float,
    ),
    Setting(
        "max_retry_time",
        "Seconds a batch is retried (429/502/503/504, connection errors) before it is given up.",
        120.0,
        parse_positive_float,
    ),
    Setting(
        "enabled",
        "false turns the SDK into a no-op (OTEL_SDK_DISABLED=true does too).",
        True,
        parse_bool,
        otel=(("OTEL_SDK_DISABLED", lambda text: str(not parse_bool(text))),),
    ),
    Setting(
        "raise_internal_errors",
        "Re-raise the SDK's own errors instead of logging them; on by default under pytest.",
        None,
        parse_bool,
    ),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Settings:
    endpoint: str
    project: str | None
    api_key: str | None
    service_name: str | None
    capture_content: bool
    sample_rate: float
    max_value_size: int
    headers: dict[str, str] = field(default_factory=dict)
    compression: str = "none"
    max_queue_bytes: int = 256 * 1024 * 1024
    export_batch_size: int = 1024
    export_interval: float = 0.5
    export_timeout: float = 10.0
    max_retry_time: float = 120.0
    enabled: bool = True
    # None: decided when an error happens (on while a pytest test runs).
    raise_internal_errors: bool | None = None


def resolve_settings(explicit: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Resolve every setting; raises SettingError naming the bad variable or argument."""
    environment = os.environ if env is None else env
    unknown = set(explicit) - set(SETTINGS_BY_NAME)
    if unknown:
        raise SettingError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values = {setting.name: setting.resolve(explicit.get(setting.name), environment) for setting in SETTINGS}
    _check_explicit(values)
    return Settings(**values)


def _check_explicit(values: dict[str, Any]) -> None:
    """Explicit arguments skip parsing, so check the ones whose range matters."""
    if not 0.0 <= float(values["sample_rate"]) <= 1.0:
        raise SettingError(f"sample_rate: expected a number from 0 to 1, got {values['sample_rate']!r}")
    for name in ("max_value_size", "max_queue_bytes", "export_batch_size"):
        if not isinstance(values[name], int) or values[name] <= 0:
            raise SettingError(f"{name}: expected a whole number above 0, got {values[name]!r}")
    for name in ("export_interval", "export_timeout", "max_retry_time"):
        if not isinstance(values[name], (int, float)) or values[name] <= 0:
            raise SettingError(f"{name}: expected a number above 0, got {values[name]!r}")
    if values["compression"] not in ("gzip", "none"):
        raise SettingError(f"compression: expected gzip or none, got {values['compression']!r}")
    if not str(values["endpoint"]).startswith(("http://", "https://")):
        raise SettingError(f"endpoint: expected an http:// or https:// URL, got {values['endpoint']!r}")
