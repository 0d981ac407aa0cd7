"""API keys at the door, on DuckDB and Postgres, with auth on: every route of the OpenAPI
schema without a key (401), with a bad key (401), with too small a role (403), and with project
A's admin key on project B's rows (404, as for a row that does not exist; lists without B's
rows). Keys in every header form, revocation within seconds, and keys never in the logs."""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from server.api.auth import CACHE_SECONDS
from server.storage import open_store
from tests.integration.collector_helpers import (
    RunningCollector,
    new_span_id,
    new_trace_id,
    running_collector,
    span,
    traces_request,
)
from tests.integration.conftest import Backend

RANK = {"ingest": 0, "read": 1, "admin": 2}


@dataclass
class World:
    collector: RunningCollector
    keys: dict[str, str]  # "a-admin", "a-read", "a-ingest", "b-admin" -> key
    ids: dict[str, str]  # project B's rows, by path parameter name


def _headers(key: str | None) -> dict[str, str]:
    return {} if key is None else {"authorization": f"Bearer {key}"}


def _ok(response: httpx.Response, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json() if response.content else None


@pytest.fixture
def world(backend: Backend) -> Iterator[World]:
    store = open_store(backend.url)
    try:
        keys = {}
        project_ids = {}
        for project in ("team-a", "team-b"):
            project_ids[project] = project_id = store.access.create_project(project)["id"]
            for role in ("admin", "read", "ingest"):
                keys[f"{project[-1]}-{role}"] = store.access.create_key(project_id, role, f"{role} key")[0]
        keys["server-admin"] = store.access.create_key("default", "admin", "operator")[0]
    finally:
        store.close()
    with running_collector(backend.url, auth=True, ingest_workers=0) as collector:
        ids = _fill_project_b(collector, keys["b-admin"])
        ids |= {"project_id": project_ids["team-b"], "key_id": keys["b-read"][len("ssk_") : len("ssk_") + 16]}
        yield World(collector, keys, ids)


def _fill_project_b(collector: RunningCollector, key: str) -> dict[str, str]:
    """One row of every kind in project B: a trace, a score, a config, a dataset, a run, a query."""
    client, headers = collector.client, _headers(key)
    trace_id, span_id = new_trace_id(), new_span_id()
    attributes = {"session.id": "b-session", "openinference.span.kind": "CHAIN"}
    _ok(
        client.post(
            "/v1/traces",
            json=traces_request(span(trace_id, "b-secret", span_id=span_id, attributes=attributes)),
            headers=headers,
        )
    )
    score = _ok(
        client.post("/api/v1/scores", json={"trace_id": trace_id, "name": "b-score", "value": 1}, headers=headers)
    )
    config = _ok(
        client.post("/api/v1/score-configs", json={"name": "b-config", "data_type": "boolean"}, headers=headers)
    )
    dataset = _ok(
        client.post(
            "/api/v1/datasets",
            json={"name": "b-data", "examples": [{"id": "b-example", "input": "x"}]},
            headers=headers,
        )
    )
    run = _ok(client.post("/api/v1/runs", json={"dataset_id": dataset["id"], "name": "b-run"}, headers=headers))
    query = _ok(client.post("/api/v1/saved-queries", json={"name": "b-query", "query": "SELECT 1"}, headers=headers))
    return {
        "trace_id": trace_id,
        "span_id": span_id,
        "session_id": "b-session",
        "score_id": score["id"],
        "config_id": config["id"],
        "dataset_id": dataset["id"],
        "example_id": "b-example",
        "run_id": run["id"],
        "query_id": query["id"],
    }  # fmt: skip


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every API route, also those of included routers (FastAPI keeps those apart)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


def _routes(collector: RunningCollector) -> list[tuple[str, str, str]]:
    """(method, path, role) of every route, from the app itself; /health is the one without."""
    found = []
    for route in api_routes(collector.app.routes):
        if route.path == "/health":
            continue
        roles = [getattr(dependency.call, "required_role", None) for dependency in route.dependant.dependencies]
        roles = [role for role in roles if role]
        assert len(roles) == 1, f"{route.path} has no authorization dependency"
        found += [(method, route.path, roles[0]) for method in sorted(route.methods)]
    return found


def test_every_route_but_health_requires_a_role() -> None:
    from server.app import create_app
    from server.settings import resolve_server_settings

    app = create_app(resolve_server_settings({"database_url": "duckdb:///unused.duckdb"}, env={}))
    routes = api_routes(app.routes)
    paths = {route.path for route in routes}
    assert {"/v1/traces", "/api/v1/traces", "/api/v1/sql", "/api/v1/diff/cohorts", "/health"} <= paths
    for route in routes:
        if route.path != "/health":
            roles = [getattr(dependency.call, "required_role", None) for dependency in route.dependant.dependencies]
            assert [role for role in roles if role], f"{sorted(route.methods)} {route.path}: no require(role)"


def _call(world: World, method: str, path: str, key: str | None, *, nowhere: bool = False) -> httpx.Response:
    """``path`` with project B's IDs in it (or IDs of nothing at all)."""
    ids = {name: "0" * 32 for name in world.ids} if nowhere else world.ids
    url = re.sub(r"\{(\w+)(:path)?\}", lambda match: ids[match[1]], path)
    params = {"a": ids["trace_id"], "b": ids["trace_id"]} if path == "/api/v1/diff/traces" else None
    if path == "/api/v1/diff/runs":
        params = {"a": ids["run_id"], "b": ids["run_id"]}
    return world.collector.client.request(method, url, params=params, headers=_headers(key))


def test_no_key_bad_key_and_small_roles_are_refused_everywhere(world: World) -> None:
    for method, path, role in _routes(world.collector):
        for key in (None, "ssk_0123456789abcdef_" + "x" * 43, "not-a-key"):
            response = _call(world, method, path, key)
            assert response.status_code == 401, (method, path, key, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
        for held in ("ingest", "read"):
            if RANK[held] < RANK[role]:
                response = _call(world, method, path, world.keys[f"a-{held}"])
                assert response.status_code == 403, (method, path, held, response.text)
                assert f"this key's role is {held}; this needs {role}" in response.json()["detail"]


def test_another_projects_rows_are_as_missing_as_rows_that_do_not_exist(world: World) -> None:
    b_data = ("b-secret", "b-score", "b-config", "b-data", "b-run", "b-query", "team-b", world.ids["key_id"])
    for method, path, _ in _routes(world.collector):
        if method != "GET" or path.startswith("/v1/"):
            continue
        response = _call(world, method, path, world.keys["a-admin"])
        assert not any(name in response.text for name in b_data), (path, response.text[:300])
        if path == "/api/v1/projects" or path.startswith("/api/v1/projects/"):
            assert response.status_code == 403, (path, response.text)  # for server admins only
        elif "{" in path or path in ("/api/v1/diff/traces", "/api/v1/diff/runs"):
            # The very answer A gets for rows that exist nowhere (the IDs it sent aside).
            missing = _call(world, method, path, world.keys["a-admin"], nowhere=True)
            assert response.status_code == missing.status_code == 404, (path, response.text)
            assert _unquoted(response.json()["detail"]) == _unquoted(missing.json()["detail"]), path
        else:
            assert response.status_code == 200, (path, response.text)


def _unquoted(detail: str) -> str:
    return re.sub(r"'[^']*'", "'…'", detail)

    sql = world.collector.client.post(
        "/api/v1/sql", json={"query": "SELECT name FROM spans"}, headers=_headers(world.keys["a-read"])
    )
    assert _ok(sql)["rows"] == []
    own = world.collector.client.get(f"/api/v1/traces/{world.ids['trace_id']}", headers=_headers(world.keys["b-read"]))
    assert _ok(own)["spans"][0]["name"] == "b-secret"


def test_ingest_takes_the_key_in_every_form_and_stores_in_its_project(world: World) -> None:
    key = world.keys["a-ingest"]
    basic = base64.b64encode(f"pk-lf-anything:{key}".encode()).decode()
    forms = {
        "/v1/traces": {"authorization": f"Bearer {key}"},
        "/api/public/otel/v1/traces": {"authorization": f"Basic {basic}"},
    }
    sent = []
    for path, headers in {**forms, "/v1/traces#x-api-key": {"x-api-key": key}}.items():
        trace_id = new_trace_id()
        response = world.collector.client.post(
            path.split("#")[0], json=traces_request(span(trace_id, "a-work")), headers=headers
        )
        assert response.status_code == 200, (path, response.text)
        sent.append(trace_id)
    listed = _ok(world.collector.client.get("/api/v1/traces", headers=_headers(world.keys["a-read"])))["traces"]
    assert {trace["trace_id"] for trace in listed} == set(sent)
    refused = world.collector.client.post(
        "/v1/traces", json=traces_request(span(new_trace_id(), "x")), headers={"authorization": "Token abc"}
    )
    assert refused.status_code == 401 and "Bearer" in refused.json()["detail"]


def test_a_revoked_key_stops_working_within_seconds(world: World, backend: Backend) -> None:
    key = world.keys["a-read"]
    assert world.collector.client.get("/api/v1/traces", headers=_headers(key)).status_code == 200
    store = open_store(backend.url) if backend.name == "postgres" else world.collector.app.state.collector.store
    try:
        [row] = [row for row in store.access.list_keys() if key.startswith(f"ssk_{row['id']}_")]
        store.access.revoke_key(row["id"])
    finally:
        if backend.name == "postgres":
            store.close()
    time.sleep(CACHE_SECONDS + 0.2)
    assert world.collector.client.get("/api/v1/traces", headers=_headers(key)).status_code == 401


def test_keys_never_reach_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for key in world.keys.values():
        world.collector.client.get("/api/v1/traces", headers=_headers(key))
        world.collector.client.post("/v1/traces", content=b"not protobuf", headers=_headers(key))
    world.collector.client.get("/api/v1/traces", headers=_headers("ssk_0123456789abcdef_" + "y" * 43))
    logged = caplog.text
    assert logged, "the collector logged something to search"
    secrets = [key[len("ssk_") + 17 :] for key in world.keys.values()]  # after "ssk_<16 hex id>_"
    leaked = [line for line in logged.splitlines() for secret in secrets if secret in line]
    assert not leaked, leaked[:3]


def test_a_project_admin_manages_its_own_keys_only(world: World) -> None:
    client, admin = world.collector.client, _headers(world.keys["a-admin"])
    assert _ok(client.get("/api/v1/project", headers=_headers(world.keys["a-read"])))["name"] == "team-a"
    created = _ok(client.post("/api/v1/keys", json={"role": "read", "name": "grafana"}, headers=admin))
    key = created["key"]
    assert key.startswith(f"ssk_{created['id']}_") and created["role"] == "read"
    listed = _ok(client.get("/api/v1/keys", headers=admin))["keys"]
    assert created["id"] in {row["id"] for row in listed} and key not in str(listed)
    assert "secret_hash" not in listed[0] and "key" not in listed[0]
    assert _ok(client.get("/api/v1/traces", headers=_headers(key)))["traces"] == []

    theirs = client.delete(f"/api/v1/keys/{world.ids['key_id']}", headers=admin)
    assert (theirs.status_code, theirs.json()["detail"]) == (404, f"no API key '{world.ids['key_id']}'")
    assert _ok(client.delete(f"/api/v1/keys/{created['id']}", headers=admin))["revoked_at"] is not None
    bad_role = client.post("/api/v1/keys", json={"role": "owner"}, headers=admin)
    assert bad_role.status_code == 422 and "role" in bad_role.json()["detail"]


def test_a_server_admin_manages_projects(world: World) -> None:
    client, operator = world.collector.client, _headers(world.keys["server-admin"])
    created = _ok(client.post("/api/v1/projects", json={"name": "team-c"}, headers=operator))
    taken = client.post("/api/v1/projects", json={"name": "team-c"}, headers=operator)
    assert (taken.status_code, taken.json()["detail"]) == (409, "a project named 'team-c' exists already")
    renamed = _ok(client.patch(f"/api/v1/projects/{created['id']}", json={"name": "team-d"}, headers=operator))
    assert renamed["name"] == "team-d"
    names = {row["name"] for row in _ok(client.get("/api/v1/projects", headers=operator))["projects"]}
    assert names == {"default", "team-a", "team-b", "team-d"}
    unconfirmed = client.delete(
        f"/api/v1/projects/{world.ids['project_id']}", params={"confirm": "oops"}, headers=operator
    )
    assert unconfirmed.status_code == 400 and "nothing deleted" in unconfirmed.json()["detail"]
    own = client.delete("/api/v1/projects/default", params={"confirm": "default"}, headers=operator)
    assert own.status_code == 400
    gone = client.delete(f"/api/v1/projects/{world.ids['project_id']}", params={"confirm": "team-b"}, headers=operator)
    assert gone.status_code == 204
    assert client.get("/api/v1/traces", headers=_headers(world.keys["b-read"])).status_code == 401, "its keys went too"
    refused = client.post("/api/v1/projects", json={"name": "team-e"}, headers=_headers(world.keys["a-admin"]))
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "managing projects needs an admin key of the server's own project",
    )


# A body each write route accepts, so that only the project can make it fail.
WRITE_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/datasets/{dataset_id}/examples"): {"examples": [{"input": "x"}]},
    ("POST", "/api/v1/datasets/{dataset_id}/import"): None,  # a file: sent as JSON Lines below
    ("POST", "/api/v1/runs/{run_id}/results"): {"results": [{"example_id": "b-example", "output": "x"}]},
    ("PATCH", "/api/v1/runs/{run_id}"): {"status": "completed"},
    ("PUT", "/api/v1/saved-queries/{query_id}"): {"name": "mine now", "query": "SELECT 1"},
}


def _b_rows(world: World) -> str:
    """Project B's rows as its own admin reads them: unchanged by anything A does."""
    client, headers = world.collector.client, _headers(world.keys["b-admin"])
    paths = ["/api/v1/traces", "/api/v1/scores", "/api/v1/score-configs", "/api/v1/datasets", "/api/v1/runs"]
    paths += ["/api/v1/saved-queries", f"/api/v1/datasets/{world.ids['dataset_id']}/examples", "/api/v1/keys"]
    return "\n".join(client.get(path, headers=headers).text for path in paths)


def test_writes_and_deletes_on_another_projects_rows_are_404_and_change_nothing(world: World) -> None:
    before = _b_rows(world)
    for method, path, _ in _routes(world.collector):
        if method == "GET" or "{" not in path or path.startswith("/api/v1/projects/"):
            continue  # reads: the test above; projects: server admins only (403 above)
        url = re.sub(r"\{(\w+)(:path)?\}", lambda match: world.ids[match[1]], path)
        body = WRITE_BODIES.get((method, path))
        if path.endswith("/import"):
            response = world.collector.client.post(
                url,
                content=b'{"input": "x"}\n',
                headers={**_headers(world.keys["a-admin"]), "content-type": "application/x-ndjson"},
            )
        else:
            response = world.collector.client.request(method, url, json=body, headers=_headers(world.keys["a-admin"]))
        assert response.status_code == 404, (method, path, response.status_code, response.text)
    assert _b_rows(world) == before


def test_the_project_header_switches_projects_for_server_admins_only(world: World) -> None:
    client, trace_path = world.collector.client, f"/api/v1/traces/{world.ids['trace_id']}"

    def get(key: str, project: str) -> httpx.Response:
        return client.get(trace_path, headers={**_headers(world.keys[key]), "x-spanscope-project": project})

    assert get("server-admin", "team-b").json()["spans"][0]["name"] == "b-secret"  # by name
    assert get("server-admin", world.ids["project_id"]).status_code == 200  # or by id
    assert get("b-read", "team-b").status_code == 200, "a key may name its own project, as the SDK does"
    refused = get("a-admin", "team-b")
    assert (refused.status_code, refused.json()["detail"]) == (403, "this key is not for project 'team-b'")
    unknown = get("server-admin", "team-z")
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "no project 'team-z'")


def test_without_auth_a_local_request_names_its_project(backend: Backend) -> None:
    store = open_store(backend.url)
    try:
        store.access.create_project("checkout")
    finally:
        store.close()
    with running_collector(backend.url, ingest_workers=0) as collector:
        trace_id = new_trace_id()
        sent = collector.client.post(
            "/v1/traces", json=traces_request(span(trace_id, "pay")), headers={"x-spanscope-project": "checkout"}
        )
        assert sent.status_code == 200
        listed = collector.client.get("/api/v1/traces", headers={"x-spanscope-project": "checkout"}).json()["traces"]
        assert [trace["trace_id"] for trace in listed] == [trace_id]
        assert collector.client.get("/api/v1/traces").json()["traces"] == [], "not in the server's own project"
