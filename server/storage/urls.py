"""Storage URLs: which backend a URL names, and the SQLAlchemy URL that reaches it."""

from __future__ import annotations

import sys
from typing import Literal

if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # typing_extensions comes with SQLAlchemy
    from typing_extensions import assert_never

__all__ = ["Backend", "assert_never", "backend_of", "engine_url"]

Backend = Literal["duckdb", "postgresql"]


def backend_of(url: str) -> Backend:
    """``duckdb:///path/file.duckdb`` or ``postgresql[+psycopg]://user@host:port/db``."""
    scheme = url.split("://", 1)[0]
    if scheme == "duckdb":
        return "duckdb"
    if scheme in ("postgresql", "postgresql+psycopg", "postgres"):
        return "postgresql"
    raise ValueError(f"unsupported storage URL scheme {scheme!r}: use duckdb:/// or postgresql+psycopg://")


def engine_url(url: str) -> str:
    """The URL with the driver SQLAlchemy must use: a bare ``postgresql://`` would pick psycopg2."""
    backend = backend_of(url)
    if backend == "postgresql":
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
