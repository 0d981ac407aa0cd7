"""The ``spanscope`` command."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import orjson
import typer

import tracer
from server.settings import ServerSettings
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


@app.command()
def server(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: SPANSCOPE_DATABASE_URL or a DuckDB file).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 4318).")] = None,
) -> None:
    """Run the collector: OTLP/HTTP ingest and the query API."""
    import uvicorn

    from server.app import create_app

    settings = _server_settings(database_url=db, host=host, port=port)
    _prepare_database_path(settings.database_url)
    address = f"http://{settings.host}:{settings.port}"
    typer.echo(f"Spanscope collector on {address} (OTLP: {address}/v1/traces), db {_safe_url(settings.database_url)}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


@app.command()
def up(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: SPANSCOPE_DATABASE_URL or a DuckDB file).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Collector port (default 4318).")] = None,
    ui_port: Annotated[int, typer.Option(help="UI port.")] = 8501,
    demo: Annotated[bool, typer.Option(help="Send the demo application's traces first (once per database).")] = False,
) -> None:
    """Run the collector and the UI together; Ctrl-C stops both."""
    from server.up import UpOptions, run

    settings = _server_settings(database_url=db, port=port)
    _prepare_database_path(settings.database_url)
    options = UpOptions(settings.database_url, settings.host, settings.port, ui_port, demo)
    raise typer.Exit(run(options, typer.echo))


db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    db: Annotated[str | None, typer.Option(help="Database URL.")] = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Migrate the database up to a revision (default: the latest)."""
    from server.storage import migrate

    settings = _server_settings(database_url=db)
    _prepare_database_path(settings.database_url)
    migrate.upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {migrate.current(settings.database_url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. base or -1.")],
    db: Annotated[str | None, typer.Option(help="Database URL.")] = None,
) -> None:
    """Migrate the database down to a revision."""
    from server.storage import migrate

    settings = _server_settings(database_url=db)
    migrate.downgrade(settings.database_url, revision)
    typer.echo(f"database at revision {migrate.current(settings.database_url) or 'base'}")


def _server_settings(**explicit: object) -> ServerSettings:
    from server.settings import resolve_server_settings
    from tracer import SettingError

    try:
        return resolve_server_settings(explicit)
    except SettingError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _prepare_database_path(url: str) -> None:
    """A DuckDB file's folder must exist before DuckDB can create the file."""
    if url.startswith("duckdb:///"):
        Path(url.removeprefix("duckdb:///")).parent.mkdir(parents=True, exist_ok=True)


def _safe_url(url: str) -> str:
    """The URL without a password, for printing."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':')[0]}:***@{host}" if ":" in credentials else rest
    return f"{scheme}{sep}{rest}"


def main() -> None:
    app()
