"""Projects and API keys on DuckDB and Postgres (server/storage/access.py), and the
``spanscope projects`` and ``spanscope keys`` commands on a DuckDB file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from server.model import SpanRecord
from server.storage import open_store
from server.storage.access import ROLES, key_hash
from server.storage.base import Store, TraceFilter
from server.storage.errors import NotFoundError, RefusedError
from server.storage.names import NameTakenError
from server.storage.saved_queries import SavedQuery
from server.storage.tables import api_keys, saved_queries, spans

SPANSCOPE = Path(sys.executable).parent / "spanscope"


def count(store: Store, table: sa.Table, project_id: str) -> int:
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(sa.select(sa.func.count()).where(table.c.project_id == project_id)).scalar_one())


def test_projects_are_created_renamed_listed_and_refused_by_name(store: Store) -> None:
    access = store.access
    project = access.create_project("support-bot")
    assert access.project("support-bot") == project == access.project(project["id"])
    with pytest.raises(NameTakenError, match="a project named 'support-bot' exists already"):
        access.create_project("support-bot")
    with pytest.raises(RefusedError, match="a project name is 1 to 100"):
        access.create_project("no spaces")
    renamed = access.rename_project("support-bot", "helpdesk")
    assert (renamed["id"], access.project("helpdesk")["id"]) == (project["id"], project["id"])
    assert [row["name"] for row in access.projects()] == ["default", "helpdesk"]
    access.ensure_project("embedded app")  # the server's own project, as configured
    access.ensure_project("embedded app")
    assert access.project("embedded app")["id"] == "embedded app"
    with pytest.raises(NotFoundError, match="no project 'support-bot'"):
        access.project("support-bot")


def test_deleting_a_project_deletes_all_of_its_data_and_nothing_else(
    store: Store, make_span: Callable[..., SpanRecord]
) -> None:
    access = store.access
    doomed = access.create_project("doomed")["id"]
    store.write([make_span(trace=1, project_id=doomed), make_span(trace=2, project_id="default")])
    store.saved_queries.create(doomed, SavedQuery("slow", "SELECT 1"))
    access.create_key(doomed, "read")
    deleted = access.delete_project("doomed")
    assert (deleted["spans"], deleted["traces"], deleted["saved_queries"], deleted["api_keys"]) == (1, 1, 1, 1)
    assert [count(store, table, doomed) for table in (spans, saved_queries, api_keys)] == [0, 0, 0]
    assert count(store, spans, "default") == 1, "another project's data stays"
    assert store.list_traces(doomed, TraceFilter(), 10, None).traces == [], "no summary comes back"
    assert [row["name"] for row in access.projects()] == ["default"]


def test_a_key_is_shown_once_stored_hashed_and_revoked(store: Store) -> None:
    access = store.access
    project = access.create_project("team-a")["id"]
    key, row = access.create_key(project, "ingest", "ci")
    assert key.startswith(f"ssk_{row['id']}_") and "secret_hash" not in row
    with store.engine.connect() as connection:  # type: ignore[attr-defined]
        stored = [tuple(found) for found in connection.execute(sa.select(api_keys))]
    assert all(key not in str(value) for found in stored for value in found), "the key itself is never stored"
    assert [found for found in stored if key_hash(key) in found], "only its hash"

    caller = access.authenticate(key)
    assert caller is not None and (caller.project_id, caller.role, caller.key_id) == (project, "ingest", row["id"])
    [listed] = access.list_keys(project)
    assert listed["last_used_at"] is not None and listed["revoked_at"] is None
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert [access.authenticate(text) for text in (tampered, "ssk_nothing", "", key + "x")] == [None] * 4

    access.revoke_key(row["id"])
    assert access.authenticate(key) is None, "revoked: refused at once"
    assert access.revoke_key(row["id"])["revoked_at"] is not None, "revoking twice changes nothing"
    with pytest.raises(RefusedError, match="role must be one of ingest, read, admin"):
        access.create_key(project, "owner")
    with pytest.raises(NotFoundError):
        access.create_key("no-such-project", "read")
    assert ROLES == ("ingest", "read", "admin")


def run(*arguments: str, database: Path) -> subprocess.CompletedProcess[str]:
    command = [str(SPANSCOPE), *arguments, "--db", f"duckdb:///{database}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)


def test_the_projects_and_keys_commands(tmp_path: Path) -> None:
    database = tmp_path / "s.duckdb"
    assert run("projects", "create", "team-a", database=database).returncode == 0
    created = run("keys", "create", "--project", "team-a", "--role", "read", "--name", "grafana", database=database)
    assert created.returncode == 0, created.stderr
    key = created.stdout.splitlines()[-1]
    key_id = key[len("ssk_") : len("ssk_") + 16]
    listed = run("keys", "list", database=database)
    assert key_id in listed.stdout and "team-a" in listed.stdout and "grafana" in listed.stdout
    assert key[len("ssk_") + 17 :] not in listed.stdout, "the secret is never shown again"

    refused = run("projects", "delete", "team-a", database=database)
    assert (refused.returncode, refused.stderr.strip()) == (
        2,
        "error: deleting a project deletes all of its data: confirm with --yes",
    )
    missing = run("keys", "create", "--project", "team-b", "--role", "read", database=database)
    assert (missing.returncode, missing.stderr.strip()) == (1, "error: no project 'team-b'")
    kept = run("projects", "retention", "team-a", "30", database=database)
    assert (kept.returncode, kept.stdout.strip()) == (0, "project team-a keeps its traces 30 days")
    assert run("projects", "retention", "team-a", "soon", database=database).returncode == 2
    assert "30" in run("projects", "list", database=database).stdout
    revoked = run("keys", "revoke", key_id, database=database)
    assert revoked.returncode == 0 and "revoked key" in revoked.stdout
    deleted = run("projects", "delete", "team-a", "--yes", database=database)
    assert deleted.returncode == 0 and "and all of its data: 1 project_retention, 1 api_keys" in deleted.stdout
    assert "team-a" not in run("projects", "list", database=database).stdout

    store = open_store(f"duckdb:///{database}")
    try:
        assert store.access.list_keys() == []
        assert store.access.projects()[0]["created_at"] <= datetime.now(timezone.utc)
    finally:
        store.close()


def test_the_commands_through_a_running_collectors_admin_api(tmp_path: Path) -> None:
    from tests.integration.collector_helpers import running_collector

    url = f"duckdb:///{tmp_path / 's.duckdb'}"
    with running_collector(url, ingest_workers=0) as collector:  # auth off: a local server admin

        def api(*arguments: str) -> subprocess.CompletedProcess[str]:
            command = [str(SPANSCOPE), *arguments, "--endpoint", collector.url]
            return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

        assert api("projects", "create", "team-a").returncode == 0
        created = api("keys", "create", "--project", "team-a", "--role", "read")
        assert created.returncode == 0, created.stderr
        key = created.stdout.splitlines()[-1]
        headers = {"authorization": f"Bearer {key}"}
        assert collector.client.get("/api/v1/project", headers=headers).json()["name"] == "team-a"
        assert key[4:20] in api("keys", "list").stdout
        assert api("keys", "revoke", key[4:20]).returncode == 0
        assert api("projects", "retention", "team-a", "7").stdout.strip() == "project team-a keeps its traces 7 days"
        missing = api("keys", "create", "--project", "team-b", "--role", "read")
        assert (missing.returncode, missing.stderr.strip()) == (1, "error: no project 'team-b'")
        assert api("projects", "delete", "team-a", "--yes").returncode == 0
        assert [row["name"] for row in collector.client.get("/api/v1/projects").json()["projects"]] == ["default"]
