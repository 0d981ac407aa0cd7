"""The ``spanscope`` command."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

import tracer
from server.settings import ServerSettings

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
def demo(  # keyword-only: Typer passes options by name
    *,
    endpoint: Annotated[str, typer.Option(help="Collector base URL (OTLP/HTTP).")] = "http://127.0.0.1:4318",
    seed: Annotated[int, typer.Option(help="The same seed sends the same conversations.")] = 7,
    sessions: Annotated[int | None, typer.Option(help="Customer chat sessions (default 40).")] = None,
    long_traces: Annotated[int | None, typer.Option(help="Bulk order reviews, 200+ spans each (default 3).")] = None,
    pace: Annotated[float, typer.Option(help="Scales the simulated latencies: 0.1 runs ten times faster.")] = 1.0,
    evaluate: Annotated[
        bool, typer.Option(help="Then score a few answers by hand and run both prompts over a dataset.")
    ] = True,
) -> None:
    """Send the demo application's traces (a simulated support assistant) to a running collector."""
    from demo import run

    parts = urlsplit(endpoint)
    if not _listening(parts.hostname or "127.0.0.1", parts.port or 4318):
        typer.echo(f"error: no collector is listening at {endpoint}; start one with `spanscope server`.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Sending the demo's traces to {endpoint} (seed {seed})...")

    def report(done: int, planned: int) -> None:
        if done % 25 == 0 or done == planned:
            typer.echo(f"  {done}/{planned} traces")

    stats = run(
        endpoint, seed=seed, sessions=sessions, long_traces=long_traces, pace=pace, progress=report, evaluate=evaluate
    )
    typer.echo(
        f"Sent {stats.traces} traces from {stats.sessions} sessions of {stats.users} users "
        f"in {stats.seconds:.0f} s ({stats.spans} spans in all): {stats.failed_traces} traces ended in an error, "
        f"{stats.retried_calls} model calls were retried."
    )
    if evaluate:
        typer.echo(f"A reviewer scored {stats.reviewed_answers} answers by hand.")
        typer.echo(f"Runs over the dataset of {stats.dataset_examples} support questions (mean scores):")
        for name, means in stats.runs.items():
            shown = ", ".join(f"{score} {'-' if mean is None else f'{mean:.2f}'}" for score, mean in means.items())
            typer.echo(f"  {name}: {shown}")
    if not stats.acknowledged:
        typer.echo(f"error: the collector did not acknowledge every span: {tracer.stats()}", err=True)
        raise typer.Exit(1)
    typer.echo("Find them with the tag `demo`.")


@app.command()
def server(
    db: Annotated[
        str | None, typer.Option(help="Database URL (default: SPANSCOPE_DATABASE_URL or a DuckDB file).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 4318).")] = None,
    auth: Annotated[
        bool | None, typer.Option("--auth/--no-auth", help="Require API keys (needed beyond 127.0.0.1).")
    ] = None,
) -> None:
    """Run the collector: OTLP/HTTP ingest and the query API."""
    import uvicorn

    from server.app import create_app

    settings = _server_settings(database_url=db, host=host, port=port, auth=auth)
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
    auth: Annotated[
        bool | None, typer.Option("--auth/--no-auth", help="Require API keys; the UI gets a local admin key.")
    ] = None,
) -> None:
    """Run the collector and the UI together; Ctrl-C stops both."""
    from server.up import UpOptions, run

    settings = _server_settings(database_url=db, port=port, auth=auth)
    _prepare_database_path(settings.database_url)
    options = UpOptions(
        settings.database_url, settings.host, settings.port, ui_port, demo, settings.auth, settings.project
    )
    raise typer.Exit(run(options, typer.echo))


def _check_format(format: str, formats: tuple[str, ...], output: Path | None) -> None:
    """Exit 2 for a format the command does not write, or Parquet with nowhere to write it."""
    if format not in formats:
        typer.echo(f"error: --format must be one of {', '.join(formats)}, not {format!r}", err=True)
        raise typer.Exit(2)
    if format == "parquet" and output is None:
        typer.echo("error: --format parquet needs --output FILE", err=True)
        raise typer.Exit(2)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One SELECT over the views of docs/sql.md (DuckDB dialect).")],
    endpoint: Annotated[str, typer.Option(help="Collector base URL.")] = "http://127.0.0.1:4318",
    limit: Annotated[int | None, typer.Option(help="Most rows (default: the collector's, 1,000).")] = None,
    format: Annotated[str, typer.Option("--format", help="table, csv, json or parquet.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
) -> None:
    """Query traces with SQL through a running collector."""
    from server import sql_output

    _check_format(format, sql_output.FORMATS, output)
    try:
        result = sql_output.run(endpoint, query, limit)
    except sql_output.RequestFailed as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if format == "parquet":
        assert output is not None
        sql_output.to_parquet(result, output)
        typer.echo(f"wrote {result['row_count']:,} rows to {output}")
        return
    text = {"table": sql_output.table, "csv": sql_output.to_csv}.get(format)
    data = text(result).encode() if text else sql_output.to_json(result)
    if output is None:
        typer.echo(data.decode().rstrip("\n"))
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {result['row_count']:,} rows to {output}")
    if result["truncated"]:
        typer.echo(f"truncated at {result['row_count']:,} rows; raise --limit (at most 10,000)", err=True)


@app.command()
def export(
    since: Annotated[
        str | None,
        typer.Option(
            help="Spans that started at or after this: ISO 8601 or a window back (30m, 24h, 7d). Default: all."
        ),
    ] = None,
    until: Annotated[str | None, typer.Option(help="Spans that started before this (ISO 8601).")] = None,
    format: Annotated[str, typer.Option("--format", help="jsonl or parquet.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option(help="Write here (needed for parquet); jsonl goes to standard output without it.")
    ] = None,
    endpoint: Annotated[str, typer.Option(help="Collector base URL.")] = "http://127.0.0.1:4318",
) -> None:
    """Export spans (the columns of the SQL view `spans`) from a running collector, streamed.

    Without --since every span of the project is exported, however many there are."""
    import sys

    from server import export_client
    from server.sql_output import RequestFailed
    from server.time_window import BadTime, parse_time, since_time

    _check_format(format, export_client.FORMATS, output)
    try:  # checked here too, for exit status 2; the collector reads the text as given
        if since:
            since_time(since, parameter="--since")
        if until:
            parse_time(until, "--until")
    except BadTime as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if output is None:
        try:
            lines = export_client.download(endpoint, since, until, format, sys.stdout.buffer)
        except RequestFailed as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        sys.stdout.flush()
        typer.echo(f"wrote {lines:,} spans to standard output", err=True)
        return
    # Into a side file, renamed once complete: a failed export leaves no truncated FILE behind.
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("wb") as target:
            lines = export_client.download(endpoint, since, until, format, target)
    except RequestFailed as error:
        partial.unlink(missing_ok=True)
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    partial.replace(output)
    spans = export_client.parquet_rows(output) if format == "parquet" else lines
    typer.echo(f"wrote {spans:,} spans to {output}")


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


# At the end: cli_access reuses this module's helpers.
from server.cli_access import keys_app, projects_app  # noqa: E402

app.add_typer(projects_app, name="projects")
app.add_typer(keys_app, name="keys")
