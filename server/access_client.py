"""``spanscope projects`` and ``spanscope keys`` through a running collector's admin API
(``--endpoint``), with ``SPANSCOPE_API_KEY``: the same calls as ``store.access``, so the
commands read alike whichever way they go. Managing other projects needs a server admin's
key (docs/security.md); the project a call is about goes in ``X-Spanscope-Project``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from server.sql_output import RequestFailed, call
from server.storage.errors import NotFoundError

Row = dict[str, Any]


class ApiAccess:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def _json(self, method: str, path: str, body: Any = None, project: str | None = None) -> Any:
        headers = {"content-type": "application/json"} | ({"x-spanscope-project": project} if project else {})
        encoded = None if body is None else orjson.dumps(body)
        response = call(method, self.endpoint, path, body=encoded, headers=headers)
        return orjson.loads(response.data) if response.data else None

    def projects(self) -> list[Row]:
        found: list[Row] = self._json("GET", "/api/v1/projects")["projects"]
        return found

    def project(self, name_or_id: str) -> Row:
        every = self.projects()
        found = next((row for row in every if row["name"] == name_or_id), None)
        found = found or next((row for row in every if row["id"] == name_or_id), None)
        if found is None:
            raise NotFoundError("project", name_or_id)
        return found

    def create_project(self, name: str) -> Row:
        created: Row = self._json("POST", "/api/v1/projects", {"name": name})
        return created

    def rename_project(self, name_or_id: str, new_name: str) -> Row:
        project_id = quote(self.project(name_or_id)["id"], safe="")
        renamed: Row = self._json("PATCH", f"/api/v1/projects/{project_id}", {"name": new_name})
        return renamed

    def set_retention(self, name_or_id: str, days: int | None) -> Row:
        project = self.project(name_or_id)
        changed: Row = self._json("PATCH", "/api/v1/project", {"retention_days": days}, project["id"])
        return changed

    def delete_project(self, name_or_id: str) -> dict[str, int]:
        project = self.project(name_or_id)
        path = f"/api/v1/projects/{quote(project['id'], safe='')}?confirm={quote(project['name'], safe='')}"
        self._json("DELETE", path)
        return {}  # the API does not count what went

    def create_key(self, project_id: str, role: str, name: str = "") -> tuple[str, Row]:
        created: Row = self._json("POST", "/api/v1/keys", {"role": role, "name": name}, project_id)
        return created.pop("key"), created

    def list_keys(self, project_id: str | None = None) -> list[Row]:
        ids = [project_id] if project_id is not None else [row["id"] for row in self.projects()]
        return [row for one in ids for row in self._json("GET", "/api/v1/keys", project=one)["keys"]]

    def revoke_key(self, key_id: str) -> Row:
        owner = next((row["project_id"] for row in self.list_keys() if row["id"] == key_id), None)
        if owner is None:
            raise NotFoundError("API key", key_id)
        revoked: Row = self._json("DELETE", f"/api/v1/keys/{quote(key_id, safe='')}", project=owner)
        return revoked


__all__ = ["ApiAccess", "RequestFailed"]
