"""The SDK in a fresh interpreter: what importing it loads, how it joins an existing
OpenTelemetry setup, and that spans are flushed at exit. Spans go to a real local sink."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.sink import OtlpSink
from tracer.testing import decode_attributes

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("SPANSCOPE_", "OTEL_"))}
    environment.pop("PYTEST_CURRENT_TEST", None)  # production behaviour in the child
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    server = OtlpSink(keep_spans=True).start()
    yield server
    server.stop()


def test_importing_tracer_loads_no_server_side_package() -> None:
    result = run_python(
        """
        import sys, tracer
        heavy = ["server", "ui", "fastapi", "sqlalchemy", "duckdb", "streamlit", "typer", "requests"]
        print(sorted(name for name in heavy if name in sys.modules))
        """
    )
    assert result.stdout.strip() == "[]"


def test_joins_the_applications_own_provider(sink: OtlpSink) -> None:
    result = run_python(
        f"""
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        app_exporter = InMemorySpanExporter()
        provider = TracerProvider(resource=Resource.create({{"service.name": "shop-api"}}))
        provider.add_span_processor(SimpleSpanProcessor(app_exporter))
        trace.set_tracer_provider(provider)

        import tracer
        tracer.configure(endpoint="{sink.url}/v1/traces")
        tracer.configure(endpoint="{sink.url}/v1/traces")  # idempotent: still one processor

        @tracer.tool
        def lookup(order_id):
            return "shipped"

        http = trace.get_tracer("fastapi-like")
        with tracer.context(session_id="s-9"), http.start_as_current_span("POST /chat"):
            lookup("A-1")
        assert trace.get_tracer_provider() is provider
        assert tracer.flush(10)
        print(sorted(span.name for span in app_exporter.get_finished_spans()))
        """
    )
    assert result.stdout.strip() == "['POST /chat', 'lookup']"
    assert sorted(span["name"] for span in sink.kept) == ["POST /chat", "lookup"]
    http, tool = sorted(sink.kept, key=lambda span: span["name"])
    assert tool["traceId"] == http["traceId"]
    assert tool["parentSpanId"] == http["spanId"]
    assert decode_attributes(http["attributes"])["session.id"] == "s-9"


def test_sets_up_a_provider_when_there_is_none_and_flushes_at_exit(sink: OtlpSink) -> None:
    run_python(
        f"""
        import tracer
        from opentelemetry import trace
        tracer.configure(endpoint="{sink.url}/v1/traces", service_name="support-bot", export_interval=60)

        @tracer.chain
        def pipeline():
            with trace.get_tracer("requests-like").start_as_current_span("GET /docs"):
                pass

        pipeline()
        # No flush: the exit handler must send what is queued.
        """
    )
    names = sorted(span["name"] for span in sink.kept)
    assert names == ["GET /docs", "pipeline"]


def test_reconfigure_replaces_the_exporter_and_disable_stops_tracing(sink: OtlpSink) -> None:
    other = OtlpSink(keep_spans=True).start()
    try:
        run_python(
            f"""
            import tracer

            @tracer.tool
            def step(n):
                return n

            tracer.configure(endpoint="{sink.url}/v1/traces")
            step(1)
            tracer.configure(endpoint="{other.url}/v1/traces")
            step(2)
            tracer.configure(enabled=False)
            step(3)
            assert tracer.flush(10)
            """
        )
        assert [span["name"] for span in sink.kept] == ["step"]
        assert [span["name"] for span in other.kept] == ["step"]
    finally:
        other.stop()


def test_environment_variables_configure_the_sdk(sink: OtlpSink) -> None:
    run_python(
        """
        import tracer
        tracer.configure()

        @tracer.tool
        def step():
            return 1

        step()
        assert tracer.flush(10)
        """,
        OTEL_EXPORTER_OTLP_ENDPOINT=sink.url,
        OTEL_SERVICE_NAME="env-service",
        SPANSCOPE_CAPTURE_CONTENT="false",
    )
    (span,) = sink.kept
    assert "input.value" not in decode_attributes(span["attributes"])


def test_internal_errors_never_reach_the_application_in_production(sink: OtlpSink) -> None:
    result = run_python(
        f"""
        import tracer

        def broken_mask(text):
            raise RuntimeError("mask bug")

        tracer.configure(endpoint="{sink.url}/v1/traces", mask=broken_mask)

        @tracer.tool
        def work():
            return 41 + 1

        print(work())
        print(tracer.stats().internal_errors)
        """
    )
    assert result.stdout.split() == ["42", "1"]
    assert "spanscope internal error" in result.stderr
