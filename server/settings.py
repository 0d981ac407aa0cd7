"""The collector's settings, declared once: argument, then ``SPANSCOPE_*``, then default.

The declaration and resolution machinery is the SDK's (one implementation for both);
``docs/server.md`` documents each setting and a test checks it does.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tracer._internal.settings import (
    Setting,
    SettingError,
    parse_bool,
    parse_positive_float,
    parse_positive_int,
    verbatim,
)


def _default_database_url() -> str:
    return f"duckdb:///{Path.cwd() / '.spanscope' / 'spanscope.duckdb'}"


def _count(text: str) -> int:
    number = int(text)
    if number < 0:
        raise ValueError(f"expected a whole number from 0, got {text!r}")
    return number


def _rate(text: str) -> float:
    number = float(text)
    if not number >= 0 or number == float("inf"):
        raise ValueError(f"expected a number of spans a second from 0 (no limit), got {text!r}")
    return number


def _port(text: str) -> int:
    number = int(text)
    if not 0 <= number <= 65535:
        raise ValueError(f"expected a port from 0 to 65535, got {text!r}")
    return number


def _sql_rows(text: str) -> int:
    number = int(text)
    if not 1 <= number <= MAX_SQL_ROWS:
        raise ValueError(f"expected a row count from 1 to {MAX_SQL_ROWS}, got {text!r}")
    return number


# The most rows one SQL request may ask for (its ``limit``); the setting is only the default.
MAX_SQL_ROWS = 10_000

SERVER_SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", "duckdb:///path/file.duckdb or postgresql+psycopg://user@host/db.", None, verbatim),
    Setting("host", "Address the collector listens on.", "127.0.0.1", verbatim),
    Setting("port", "Port of the collector (OTLP/HTTP and the API).", 4318, _port),
    Setting(
        "max_body_bytes",
        "Largest request body after decompression; above it: 413.",
        64 * 1024 * 1024,
        parse_positive_int,
    ),
    Setting(
        "max_queue_spans",
        "Spans accepted but not yet committed; above it new requests get 503 + Retry-After.",
        100_000,
        parse_positive_int,
    ),
    Setting("max_batch_spans", "Most spans the writer commits in one transaction.", 20_000, parse_positive_int),
    Setting("commit_timeout", "Seconds a request waits for its commit before 503.", 30.0, parse_positive_float),
    Setting("retry_after", "Seconds sent in Retry-After with a 503.", 1, parse_positive_int),
    Setting("project", "The project spans are stored in until API keys say otherwise.", "default", verbatim),
    Setting(
        "auth",
        "Require an API key on every request but /health; needed to listen beyond 127.0.0.1.",
        False,
        parse_bool,
    ),
    Setting(
        "ingest_spans_per_second",
        "Spans a project may send a second (bursts of two seconds' worth); above it: 429. 0: no limit.",
        100_000.0,
        _rate,
    ),
    Setting(
        "retention_check_seconds",
        "Seconds between passes that delete traces past their project's retention.",
        300.0,
        parse_positive_float,
    ),
    Setting("sql_concurrency", "SQL queries a project may run at once; more get 429.", 4, parse_positive_int),
    Setting("sql_time_limit", "Seconds a POST /api/v1/sql query may run; then it stops.", 10.0, parse_positive_float),
    Setting("sql_row_limit", "Rows POST /api/v1/sql returns when the request gives no limit.", 1000, _sql_rows),
    Setting(
        "ingest_workers",
        "Processes that decode and normalize OTLP requests; 0 does it in the collector process.",
        None,
        _count,
    ),
)


@dataclass(frozen=True)
class ServerSettings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 4318
    max_body_bytes: int = 64 * 1024 * 1024
    max_queue_spans: int = 100_000
    max_batch_spans: int = 20_000
    commit_timeout: float = 30.0
    retry_after: int = 1
    project: str = "default"
    auth: bool = False
    ingest_spans_per_second: float = 100_000.0
    sql_concurrency: int = 4
    retention_check_seconds: float = 300.0
    sql_time_limit: float = 10.0
    sql_row_limit: int = 1000
    ingest_workers: int = 0


def resolve_server_settings(
    explicit: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> ServerSettings:
    """Resolve every server setting; SettingError names the bad argument or variable."""
    given = {key: value for key, value in (explicit or {}).items() if value is not None}
    known = {field.name for field in fields(ServerSettings)}
    unknown = set(given) - known
    if unknown:
        raise SettingError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    environment = os.environ if env is None else env
    values = {setting.name: setting.resolve(given.get(setting.name), environment) for setting in SERVER_SETTINGS}
    if values["ingest_workers"] is None:
        values["ingest_workers"] = min(os.cpu_count() or 1, 4)
    if values["database_url"] is None:
        values["database_url"] = _default_database_url()
    url = str(values["database_url"])
    if not url.startswith(("duckdb://", "postgresql://", "postgresql+psycopg://")):
        shown = url.rsplit("@", maxsplit=1)[-1]  # never echo credentials
        raise SettingError(f"database_url: expected duckdb:///path or postgresql+psycopg://..., got {shown!r}")
    if not values["auth"] and not is_loopback(str(values["host"])):
        raise SettingError(
            f"host: listening on {values['host']} without auth would open every project to anyone who can reach "
            "it; set SPANSCOPE_AUTH=true (spanscope server --auth) and use API keys (docs/security.md)"
        )
    return ServerSettings(**values)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that resolves elsewhere, or any other text
