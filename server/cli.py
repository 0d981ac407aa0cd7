"""The ``spanscope`` command."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
import typer

import tracer
from server.sink import OtlpSink
from tracer.testing import decode_attributes

app = typer.Typer(help="Spanscope: observability for compound AI systems.", no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(tracer.__version__)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@app.command()
def example(
    endpoint: Annotated[str, typer.Option(help="Collector base URL (OTLP/HTTP).")] = "http://127.0.0.1:4318",
    record_to: Annotated[Path, typer.Option(help="Where a local sink writes spans.")] = Path(
        ".spanscope/example-spans.jsonl"
    ),
) -> None:
    """Trace a small support-assistant pipeline and print where its spans went."""
    from server.example import run_example

    parts = urlsplit(endpoint)
    host, port = parts.hostname or "127.0.0.1", parts.port or 4318
    sink = None
    if not _listening(host, port):
        # No collector yet: receive the spans ourselves so the example shows the real export path.
        record_to.parent.mkdir(parents=True, exist_ok=True)
        record_to.unlink(missing_ok=True)
        sink = OtlpSink(host, port, record_to=record_to).start()
    tracer.configure(endpoint=endpoint.rstrip("/") + "/v1/traces", service_name="spanscope-example")
    trace_id = run_example()
    acknowledged = tracer.flush(timeout=10)
    stats = tracer.stats()
    typer.echo(f"Traced trace {trace_id}: {stats.spans_exported} spans exported to {endpoint}/v1/traces.")
    if not acknowledged:
        typer.echo(f"Not every span was acknowledged: {stats}", err=True)
        raise typer.Exit(1)
    if sink is None:
        typer.echo("The collector listening there acknowledged all of them.")
        return
    sink.stop()
    typer.echo(f"No collector was listening, so a local sink received them and wrote {record_to}:")
    spans = [orjson.loads(line) for line in record_to.read_bytes().splitlines()]
    _print_tree(spans)


def _print_tree(spans: list[dict[str, Any]]) -> None:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for span in spans:
        children.setdefault(span.get("parentSpanId"), []).append(span)

    def show(span: dict[str, Any], depth: int) -> None:
        kind = decode_attributes(span.get("attributes", [])).get("spanscope.span.kind", "span")
        duration_ms = (int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) / 1e6
        typer.echo(f"  {'  ' * depth}{span['name']} [{kind}] {duration_ms:.2f} ms")
        for child in sorted(children.get(span["spanId"], []), key=lambda s: int(s["startTimeUnixNano"])):
            show(child, depth + 1)

    for root in children.get(None, []):
        show(root, 0)


def main() -> None:
    app()
