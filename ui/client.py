"""The UI's one way to the data: the collector's HTTP API (DuckDB is owned by the collector).

Every page calls these functions; each returns the API's JSON or raises ``ApiError`` with a
message fit to show. The base URL comes from ``SPANSCOPE_API_URL`` (``spanscope up`` sets it),
and the API key, when the collector wants one, from what the browser session typed, else
``SPANSCOPE_API_KEY``.
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import quote

import orjson
import urllib3

DEFAULT_API_URL = "http://127.0.0.1:4318"
_TIMEOUT = urllib3.Timeout(connect=2.0, read=30.0)
# One pool for the process: Streamlit reruns page scripts on every click, and a fresh
# connection per call would add a TCP handshake to each.
_pool = urllib3.PoolManager(num_pools=4, maxsize=8, retries=False, timeout=_TIMEOUT)


class ApiError(Exception):
    """The API answered with an error, or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def api_url() -> str:
    return os.environ.get("SPANSCOPE_API_URL", DEFAULT_API_URL).rstrip("/")


def get(path: str, params: dict[str, Any] | None = None) -> Any:
    """GET ``path`` (with query ``params``; None values are left out) and decode its JSON."""
    fields = {key: str(value) for key, value in (params or {}).items() if value is not None and value != ""}
    return _request("GET", path, fields=fields)


def send(method: str, path: str, body: Any = None) -> Any:
    """POST, PUT or DELETE ``path`` with a JSON ``body``; the decoded answer (None when empty)."""
    return _request(method, path, body=None if body is None else orjson.dumps(body), headers=_JSON)


_JSON = {"content-type": "application/json"}


# The project this session acts on, when a server admin chose one (ui/views/project.py).
# Streamlit runs each session's script in its own thread; app.py sets it at every run.
_session = threading.local()


def use_project(project: str | None) -> None:
    _session.project = project


def use_key(key: str | None) -> None:
    """The API key this browser session typed (app.py); SPANSCOPE_API_KEY when it typed none."""
    _session.key = key


def key_refused() -> ApiError | None:
    """The 401 the collector answers without a (valid) key, or None when the key is good."""
    try:
        get("/api/v1/project")
    except ApiError as error:
        if error.status == 401:
            return error
    return None


def current_project() -> str | None:
    """The project chosen for this session (None: the key's own); cached results must carry it
    in their key, or one project's trace could be served to a session showing another."""
    project: str | None = getattr(_session, "project", None)
    return project


def _request(method: str, path: str, *, raw: bool = False, **arguments: Any) -> Any:
    """The decoded JSON answer (None when empty), or its bytes when ``raw``."""
    headers = dict(arguments.get("headers") or {})
    key = getattr(_session, "key", None) or os.environ.get("SPANSCOPE_API_KEY")
    if key:  # the collector takes the project (and what the UI may do) from the key
        headers["authorization"] = f"Bearer {key}"
    project = getattr(_session, "project", None)
    if project:
        headers["x-spanscope-project"] = project
    if headers:
        arguments["headers"] = headers
    try:
        response = _pool.request(method, api_url() + path, **arguments)
    except urllib3.exceptions.HTTPError as error:
        raise ApiError(f"the collector at {api_url()} cannot be reached ({type(error).__name__})") from None
    if response.status >= 400:
        raise ApiError(_error_message(response.data, response.status), response.status)
    if raw:
        return response.data
    return orjson.loads(response.data) if response.data else None


def _error_message(body: bytes, status: int) -> str:
    try:
        detail = orjson.loads(body).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        detail = None
    if isinstance(detail, list):  # FastAPI validation errors: say which parameter is wrong
        detail = "; ".join(f"{'.'.join(map(str, item.get('loc', [])[1:]))}: {item.get('msg')}" for item in detail)
    return f"{status}: {detail or body[:200].decode(errors='replace')}"


def list_traces(filters: dict[str, Any], cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/traces", {**filters, "cursor": cursor, "limit": limit})
    return result


def get_trace(trace_id: str) -> dict[str, Any]:
    result: dict[str, Any] = get(f"/api/v1/traces/{quote(trace_id, safe='')}")
    return result


def get_span(trace_id: str, span_id: str) -> dict[str, Any]:
    result: dict[str, Any] = get(f"/api/v1/spans/{quote(trace_id, safe='')}/{quote(span_id, safe='')}")
    return result


def list_sessions(filters: dict[str, Any], cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/sessions", {**filters, "cursor": cursor, "limit": limit})
    return result


def get_session(session_id: str) -> dict[str, Any]:
    result: dict[str, Any] = get(f"/api/v1/sessions/{quote(session_id, safe='')}")
    return result


def metrics(params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/metrics", params)
    return result


def run_sql(query: str, limit: int) -> dict[str, Any]:
    # A query may run to the collector's time limit (10 s by default, configurable): wait longer.
    result: dict[str, Any] = _request(
        "POST", "/api/v1/sql", body=orjson.dumps({"query": query, "limit": limit}), headers=_JSON, timeout=_SQL_TIMEOUT
    )
    return result


_SQL_TIMEOUT = urllib3.Timeout(connect=2.0, read=120.0)


def sql_reference() -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/sql/reference")
    return result


def saved_queries() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get("/api/v1/saved-queries")["saved_queries"]
    return result


def saved_query(query_id: str) -> dict[str, Any]:
    result: dict[str, Any] = get(f"/api/v1/saved-queries/{quote(query_id, safe='')}")
    return result


def save_query(body: dict[str, Any], query_id: str | None = None) -> dict[str, Any]:
    """Save a new query, or replace the one saved as ``query_id``."""
    if query_id is None:
        result: dict[str, Any] = send("POST", "/api/v1/saved-queries", body)
    else:
        result = send("PUT", f"/api/v1/saved-queries/{quote(query_id, safe='')}", body)
    return result


def delete_saved_query(query_id: str) -> None:
    send("DELETE", f"/api/v1/saved-queries/{quote(query_id, safe='')}")


def scores(trace_id: str) -> list[dict[str, Any]]:
    """Every score on the trace and its spans, newest first."""
    result: list[dict[str, Any]] = get("/api/v1/scores", {"trace_id": trace_id, "limit": 1000})["scores"]
    return result


def score_configs() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get("/api/v1/score-configs")["score_configs"]
    return result


def add_score(body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = send("POST", "/api/v1/scores", body)
    return result


def delete_score(score_id: str) -> None:
    send("DELETE", f"/api/v1/scores/{quote(score_id, safe='')}")


def datasets() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get("/api/v1/datasets")["datasets"]
    return result


def create_dataset(body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = send("POST", "/api/v1/datasets", body)
    return result


def dataset_examples(dataset_id: str, version: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = get(f"/api/v1/datasets/{quote(dataset_id, safe='')}/examples", {"version": version})
    return result


def add_examples(dataset_id: str, examples: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = send(
        "POST", f"/api/v1/datasets/{quote(dataset_id, safe='')}/examples", {"examples": examples}
    )
    return result


def import_examples(dataset_id: str, data: bytes, content_type: str) -> dict[str, Any]:
    """Upload a JSONL or CSV file of examples (all or nothing)."""
    path = f"/api/v1/datasets/{quote(dataset_id, safe='')}/import"
    result: dict[str, Any] = _request("POST", path, body=data, headers={"content-type": content_type})
    return result


def export_examples(dataset_id: str, format: str, version: int | None = None) -> bytes:
    """The examples as a JSONL or CSV file."""
    fields = {"format": format} | ({"version": str(version)} if version is not None else {})
    data: bytes = _request("GET", f"/api/v1/datasets/{quote(dataset_id, safe='')}/export", raw=True, fields=fields)
    return data


def runs(dataset_id: str | None = None) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get("/api/v1/runs", {"dataset_id": dataset_id})["runs"]
    return result


def run(run_id: str) -> dict[str, Any]:
    result: dict[str, Any] = get(f"/api/v1/runs/{quote(run_id, safe='')}")
    return result


def run_results(run_id: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get(f"/api/v1/runs/{quote(run_id, safe='')}/results")["results"]
    return result


def diff_traces(trace_a: str, trace_b: str) -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/diff/traces", {"a": trace_a, "b": trace_b})
    return result


def diff_runs(run_a: str, run_b: str) -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/diff/runs", {"a": run_a, "b": run_b})
    return result


def compare_cohorts(filters_a: dict[str, Any], filters_b: dict[str, Any]) -> dict[str, Any]:
    """Two cohorts of traces, each given by trace list filters (``a.tag=…&b.tag=…``)."""
    params = {f"a.{key}": value for key, value in filters_a.items()} | {f"b.{k}": v for k, v in filters_b.items()}
    result: dict[str, Any] = get("/api/v1/diff/cohorts", params)
    return result


def own_project() -> dict[str, Any]:
    result: dict[str, Any] = get("/api/v1/project")
    return result


def projects() -> list[dict[str, Any]]:
    """Every project; raises ApiError 403 unless the UI's key is a server admin's."""
    result: list[dict[str, Any]] = get("/api/v1/projects")["projects"]
    return result


def set_retention(days: int | None) -> dict[str, Any]:
    result: dict[str, Any] = send("PATCH", "/api/v1/project", {"retention_days": days})
    return result


def keys() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = get("/api/v1/keys")["keys"]
    return result


def create_key(role: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = send("POST", "/api/v1/keys", {"role": role, "name": name})
    return result


def revoke_key(key_id: str) -> None:
    send("DELETE", f"/api/v1/keys/{quote(key_id, safe='')}")
