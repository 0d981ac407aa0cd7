"""Schemathesis over ``/openapi.json`` with an admin key, against a real collector (DuckDB):
every query API operation, with bodies and parameters generated from its schema, never answers
5xx, and answers only documented status codes and content types, in the documented shapes.

OTLP ingest (``/v1/*``, ``/api/public/otel/*``) reads raw protobuf or JSON bodies that the
schema does not describe: tests/unit/test_otlp_properties.py fuzzes those decoders instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from server.storage import migrate, open_store
from tests.integration.collector_helpers import running_collector


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"duckdb:///{tmp_path_factory.mktemp('schema') / 'spanscope.duckdb'}"
    migrate.upgrade(url)
    store = open_store(url)
    try:
        key = store.access.create_key("default", "admin", "schemathesis")[0]
    finally:
        store.close()
    with running_collector(url, auth=True, ingest_workers=0) as collector:
        yield collector.url, key


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, str]) -> Any:
    return schemathesis.openapi.from_url(f"{served[0]}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.exclude(path_regex="^/v1/|^/api/public/").parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: Any, served: tuple[str, str]) -> None:
    case.call_and_validate(headers={"authorization": f"Bearer {served[1]}"}, checks=CHECKS)
