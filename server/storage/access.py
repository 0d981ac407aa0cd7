"""Projects and their API keys (docs/security.md), the same on both backends.

    >>> project = store.access.create_project("support-bot")  # doctest: +SKIP
    >>> key, row = store.access.create_key(project["id"], "ingest", "ci")  # doctest: +SKIP
    >>> store.access.authenticate(key).project_id == project["id"]  # doctest: +SKIP
    True

A key reads ``ssk_<id>_<secret>``: the id finds its row, the secret (256 random bits) proves
it. Only the SHA-256 of the whole key is stored: a key is random, not a password a person
chose, so a slow hash would add nothing but latency to every request. Deleting a project
deletes every row of every table that has a ``project_id``, its keys included.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal, get_args

import sqlalchemy as sa

from .base import Row
from .errors import NotFoundError, RefusedError
from .names import NameTakenError, name_taken
from .tables import api_keys, metadata, project_retention, projects

Role = Literal["ingest", "read", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
KEY_PREFIX = "ssk_"
_KEY = re.compile(r"^ssk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# last_used_at is written at most this often per key: a write per request would cost more
# than the request, and "used in the last minute" is what a person reading it needs.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Caller:
    """Who a valid key speaks for."""

    project_id: str
    role: Role
    key_id: str | None  # None: no key, the server's own project when auth is off


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _project_tables() -> list[sa.Table]:
    """Every table holding a project's rows, children first: a new table is covered by itself."""
    return [table for table in reversed(metadata.sorted_tables) if "project_id" in table.c]


class Access:
    def __init__(
        self,
        engine: sa.Engine,
        translate_errors: Callable[[], AbstractContextManager[None]],
        refresh_summaries: Callable[[], None],
    ) -> None:
        self._engine = engine
        self._translate_errors = translate_errors
        # DuckDB queues trace summaries (trace_deltas) and folds them later: a project's are
        # folded before its traces are deleted, or a later fold would bring them back.
        self._refresh_summaries = refresh_summaries

    # -- projects ---------------------------------------------------------------------------------

    def projects(self) -> list[Row]:
        """Every project, by name, with its ``retention_days`` (None: kept for ever)."""
        with self._translate_errors(), self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(_with_retention().order_by(projects.c.name))]

    def project(self, name_or_id: str) -> Row:
        """The project with this name, else with this id. Raises ``NotFoundError``."""
        query = _with_retention().where(sa.or_(projects.c.name == name_or_id, projects.c.id == name_or_id))
        with self._translate_errors(), self._engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(query)]
        if not found:
            raise NotFoundError("project", name_or_id)
        return next((row for row in found if row["name"] == name_or_id), found[0])

    def project_id(self, name_or_id: str) -> str | None:
        """The id of the project with this name (else this id); None when there is none."""
        try:
            return str(self.project(name_or_id)["id"])
        except NotFoundError:
            return None

    def create_project(self, name: str) -> Row:
        """A new project; raises ``RefusedError`` for a bad name, ``NameTakenError``."""
        _check_name(name)
        return self._insert_project(name, uuid.uuid4().hex)

    def _insert_project(self, name: str, project_id: str) -> Row:
        row = {"id": project_id, "name": name, "created_at": datetime.now(timezone.utc)}
        with name_taken(name, "project"), self._translate_errors(), self._engine.begin() as connection:
            taken = sa.select(projects.c.id).where(sa.or_(projects.c.name == name, projects.c.id == row["id"]))
            if connection.execute(taken).first() is not None:
                raise NameTakenError(name, "project")
            connection.execute(sa.insert(projects).values(row))
        return {**row, "retention_days": None}

    def ensure_project(self, project_id: str) -> None:
        """The project ``project_id`` exists: the server's own, for use without keys. Created
        here named as its id, whatever it is (it comes from the server's configuration)."""
        query = sa.select(projects.c.id).where(projects.c.id == project_id)
        with self._translate_errors(), self._engine.connect() as connection:
            if connection.execute(query).first() is not None:
                return
        # NameTakenError: created meanwhile, by another collector on the same database.
        with contextlib.suppress(NameTakenError):
            self._insert_project(project_id, project_id)

    def rename_project(self, name_or_id: str, new_name: str) -> Row:
        _check_name(new_name)
        project = self.project(name_or_id)
        with name_taken(new_name, "project"), self._translate_errors(), self._engine.begin() as connection:
            taken = sa.select(projects.c.id).where(projects.c.name == new_name, projects.c.id != project["id"])
            if connection.execute(taken).first() is not None:
                raise NameTakenError(new_name, "project")
            connection.execute(sa.update(projects).where(projects.c.id == project["id"]).values(name=new_name))
        return {**project, "name": new_name}

    def set_retention(self, name_or_id: str, days: int | None) -> Row:
        """Keep the project's traces ``days`` days (by start time), or for ever with None."""
        if days is not None and not 1 <= days <= 36_500:
            raise RefusedError(f"retention is 1 to 36,500 days, or none; not {days}")
        project = self.project(name_or_id)
        table = project_retention
        with self._translate_errors(), self._engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.project_id == project["id"]))
            if days is not None:
                connection.execute(sa.insert(table).values(project_id=project["id"], days=days))
        return {**project, "retention_days": days}

    def delete_project(self, name_or_id: str) -> dict[str, int]:
        """The project and all of its data, in one transaction; how many rows went, per table."""
        project = self.project(name_or_id)
        self._refresh_summaries()
        deleted: dict[str, int] = {}
        with self._translate_errors(), self._engine.begin() as connection:
            for table in _project_tables():
                result = connection.execute(sa.delete(table).where(table.c.project_id == project["id"]))
                deleted[table.name] = result.rowcount
            connection.execute(sa.delete(projects).where(projects.c.id == project["id"]))
        return deleted

    # -- keys -------------------------------------------------------------------------------------

    def create_key(self, project_id: str, role: str, name: str = "") -> tuple[str, Row]:
        """A new key for the project (by id): the key itself, shown once, and its row."""
        if role not in ROLES:
            raise RefusedError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        key_id = secrets.token_hex(8)
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        row = {
            "id": key_id,
            "project_id": project_id,
            "role": role,
            "name": name,
            "secret_hash": key_hash(key),
            "created_at": datetime.now(timezone.utc),
            "last_used_at": None,
            "revoked_at": None,
        }
        with self._translate_errors(), self._engine.begin() as connection:
            if connection.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
                raise NotFoundError("project", project_id)
            connection.execute(sa.insert(api_keys).values(row))
        return key, _public(row)

    def list_keys(self, project_id: str | None = None) -> list[Row]:
        """Keys (never their hashes), newest first; all projects' when ``project_id`` is None."""
        query = sa.select(api_keys).order_by(api_keys.c.created_at.desc(), api_keys.c.id)
        if project_id is not None:
            query = query.where(api_keys.c.project_id == project_id)
        with self._translate_errors(), self._engine.connect() as connection:
            return [_public(dict(row._mapping)) for row in connection.execute(query)]

    def revoke_key(self, key_id: str) -> Row:
        """Revoke a key (by id); revoking it again changes nothing. Raises ``NotFoundError``."""
        now = datetime.now(timezone.utc)
        with self._translate_errors(), self._engine.begin() as connection:
            found = connection.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
            if found is None:
                raise NotFoundError("API key", key_id)
            row = dict(found._mapping)
            if row["revoked_at"] is None:
                connection.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=now))
                row["revoked_at"] = now
        return _public(row)

    def authenticate(self, key: str) -> Caller | None:
        """Who ``key`` speaks for; None for a malformed, unknown or revoked key."""
        match = _KEY.match(key)
        if match is None:
            return None
        with self._translate_errors(), self._engine.connect() as connection:
            found = connection.execute(sa.select(api_keys).where(api_keys.c.id == match[1])).first()
        if found is None or found.revoked_at is not None or not hmac.compare_digest(found.secret_hash, key_hash(key)):
            return None
        now = datetime.now(timezone.utc)
        if found.last_used_at is None or now - found.last_used_at > TOUCH_EVERY:
            with self._translate_errors(), self._engine.begin() as connection:
                connection.execute(sa.update(api_keys).where(api_keys.c.id == found.id).values(last_used_at=now))
        return Caller(found.project_id, found.role, found.id)


def _with_retention() -> sa.Select[tuple[str, str, datetime, int | None]]:
    retention = project_retention.c
    joined = projects.outerjoin(project_retention, retention.project_id == projects.c.id)
    return sa.select(*projects.c, retention.days.label("retention_days")).select_from(joined)


def _public(row: Row) -> Row:
    return {name: value for name, value in row.items() if name != "secret_hash"}


def _check_name(name: str) -> None:
    if not PROJECT_NAME.match(name):
        raise RefusedError(
            f"a project name is 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit: {name!r}"
        )
