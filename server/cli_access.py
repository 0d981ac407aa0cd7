"""``spanscope projects …`` and ``spanscope keys …``: projects and API keys, on the database
``--db`` (or ``SPANSCOPE_DATABASE_URL``) names, migrated first, or with ``--endpoint``
through a running collector's admin API (``server.access_client``, with
``SPANSCOPE_API_KEY``). A DuckDB file is only reachable while no collector holds it
(ARCHITECTURE.md, "DuckDB owns its file"): use ``--endpoint`` while one runs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from server.storage.base import Store

projects_app = typer.Typer(
    help="Projects: create, list, rename, delete (with all of their data).", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys of a project: create (shown once), list, revoke.", no_args_is_help=True)

Db = Annotated[str | None, typer.Option(help="Database URL (default: SPANSCOPE_DATABASE_URL or a DuckDB file).")]
Endpoint = Annotated[
    str | None, typer.Option(help="A running collector's URL: act through its admin API (with SPANSCOPE_API_KEY).")
]


def _fail(message: str, status: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(status)


@contextmanager
def _access(db: str | None, endpoint: str | None) -> Iterator[Any]:
    """``store.access`` of the database, or its stand-in over the admin API with ``endpoint``;
    every refusal is a one-line error, exit 1."""
    from server.access_client import ApiAccess, RequestFailed
    from server.storage.errors import NotFoundError, RefusedError
    from server.storage.names import NameTakenError

    if endpoint is not None and db is not None:
        raise _fail("give --db or --endpoint, not both", 2)
    try:
        if endpoint is not None:
            yield ApiAccess(endpoint)
        else:
            with _store(db) as store:
                yield store.access
    except (NotFoundError, RefusedError, NameTakenError, RequestFailed) as error:
        raise _fail(str(error)) from None


@contextmanager
def _store(db: str | None) -> Iterator[Store]:
    """The migrated store."""
    from server.cli import _prepare_database_path, _server_settings
    from server.storage import migrate, open_store

    settings = _server_settings(database_url=db)
    _prepare_database_path(settings.database_url)
    try:
        migrate.upgrade(settings.database_url)
        store = open_store(settings.database_url)
    except Exception as error:
        if "lock" in str(error).lower():
            raise _fail("the DuckDB file is open in a running collector: stop it first, or use its API") from None
        raise
    try:
        yield store
    finally:
        store.close()


def _table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(row[index])) for row in [header, *rows]) for index in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _when(value: object) -> str:
    return "-" if value is None else str(value)[:19]


@projects_app.command("create")
def project_create(
    name: Annotated[str, typer.Argument(help="1 to 100 letters, digits, '.', '_' or '-'.")],
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """Create a project."""
    with _access(db, endpoint) as access:
        project = access.create_project(name)
    typer.echo(f"created project {project['name']} (id {project['id']})")


@projects_app.command("list")
def project_list(db: Db = None, endpoint: Endpoint = None) -> None:
    """List the projects."""
    with _access(db, endpoint) as access:
        rows = [
            [row["name"], row["id"], _when(row["created_at"]), row["retention_days"] or "-"]
            for row in access.projects()
        ]
    _table(rows, ["NAME", "ID", "CREATED", "RETENTION DAYS"])


@projects_app.command("rename")
def project_rename(
    name: Annotated[str, typer.Argument(help="The project's name or id.")],
    new_name: Annotated[str, typer.Argument(help="Its new name.")],
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """Rename a project (its id, and so its data and keys, stay)."""
    with _access(db, endpoint) as access:
        project = access.rename_project(name, new_name)
    typer.echo(f"renamed project {name} to {project['name']}")


@projects_app.command("retention")
def project_retention(
    name: Annotated[str, typer.Argument(help="The project's name or id.")],
    days: Annotated[str, typer.Argument(help="Days to keep traces (by start time), or 'off' to keep them.")],
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """Keep a project's traces for so many days; older ones are deleted in the background."""
    if days != "off" and not days.isdigit():
        raise _fail(f"days must be a whole number or 'off', not {days!r}", 2)
    with _access(db, endpoint) as access:
        project = access.set_retention(name, None if days == "off" else int(days))
    kept = "for ever" if project["retention_days"] is None else f"{project['retention_days']} days"
    typer.echo(f"project {project['name']} keeps its traces {kept}")


@projects_app.command("delete")
def project_delete(
    name: Annotated[str, typer.Argument(help="The project's name or id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask: delete it and all of its data.")] = False,
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """Delete a project with all of its traces, scores, datasets, runs, queries and keys."""
    if not yes:
        if not sys.stdin.isatty():
            raise _fail("deleting a project deletes all of its data: confirm with --yes", 2)
        typed = typer.prompt(f"This deletes project {name} and all of its data. Type its name to confirm")
        if typed != name:
            raise _fail("the name typed does not match: nothing deleted", 2)
    with _access(db, endpoint) as access:
        deleted = access.delete_project(name)
    counts = ", ".join(f"{count} {table}" for table, count in deleted.items() if count)
    typer.echo(f"deleted project {name} and all of its data" + (f": {counts}" if counts else ""))


@keys_app.command("create")
def key_create(
    project: Annotated[str, typer.Option(help="The project's name or id.")],
    role: Annotated[str, typer.Option(help="ingest (send spans and scores), read (query), or admin (everything).")],
    name: Annotated[str, typer.Option(help="What the key is for, to recognise it later.")] = "",
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """Create an API key. The key is printed once, as the last line: it is stored only hashed."""
    with _access(db, endpoint) as access:
        project_id = access.project(project)["id"]
        key, row = access.create_key(project_id, role, name)
    typer.echo(f"created {row['role']} key {row['id']} for project {project}; it is shown only now:")
    typer.echo(key)


@keys_app.command("list")
def key_list(
    project: Annotated[str | None, typer.Option(help="Only this project's keys (name or id).")] = None,
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """List API keys (never the keys themselves)."""
    with _access(db, endpoint) as access:
        project_id = None if project is None else access.project(project)["id"]
        names = {row["id"]: row["name"] for row in access.projects()}
        rows = [
            [
                row["id"],
                names.get(row["project_id"], row["project_id"]),
                row["role"],
                row["name"] or "-",
                _when(row["created_at"]),
                _when(row["last_used_at"]),
                _when(row["revoked_at"]),
            ]
            for row in access.list_keys(project_id)
        ]
    _table(rows, ["ID", "PROJECT", "ROLE", "NAME", "CREATED", "LAST USED", "REVOKED"])


@keys_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (the list shows it).")],
    db: Db = None,
    endpoint: Endpoint = None,
) -> None:
    """Revoke an API key."""
    with _access(db, endpoint) as access:
        row = access.revoke_key(key_id)
    typer.echo(f"revoked key {row['id']} ({row['role']})")
