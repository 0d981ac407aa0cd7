"""The Project page in AppTest against a real collector without auth (so the UI is a server
admin): its retention, its API keys (a new one shown once), and switching every page to
another project."""

from __future__ import annotations

from test_evaluation_pages import click, no_errors
from ui_world import UiWorld


def test_keys_are_created_shown_once_and_revoked(world: UiWorld) -> None:
    app = world.page("project")
    no_errors(app)
    assert app.subheader[0].value == "default"
    [role] = [box for box in app.selectbox if box.label == "Role"]
    role.set_value("ingest")
    [name] = [box for box in app.text_input if box.label == "What it is for"]
    name.set_value("checkout service")
    app = click(app, "Create a key")
    no_errors(app)
    [shown] = [block.value for block in app.code]
    assert shown.startswith("ssk_") and "never shown again" in app.warning[0].value
    listed = world.collector.client.get("/api/v1/keys").json()["keys"]
    created = next(row for row in listed if row["name"] == "checkout service")
    assert shown.startswith(f"ssk_{created['id']}_") and created["role"] == "ingest"
    assert world.collector.client.get("/api/v1/traces", headers={"authorization": f"Bearer {shown}"}).status_code == 403

    again = world.page("project")
    assert not again.code, "the key is shown once"
    [revoke] = [box for box in again.selectbox if box.label == "Revoke a key"]
    again = click(revoke.set_value(created["id"]).run(), "Revoke")
    no_errors(again)
    rows = world.collector.client.get("/api/v1/keys").json()["keys"]
    assert next(row for row in rows if row["id"] == created["id"])["revoked_at"] is not None


def test_retention_is_saved(world: UiWorld) -> None:
    app = world.page("project")
    app.toggle[0].set_value(False)
    [days] = [box for box in app.number_input if box.label == "Days to keep traces"]
    days.set_value(45)
    app = click(app, "Save the retention")
    no_errors(app)
    assert world.collector.client.get("/api/v1/project").json()["retention_days"] == 45
    app = world.page("project")
    assert app.caption[1].value == "Traces older than 45 days are deleted."
    world.collector.client.patch("/api/v1/project", json={"retention_days": None}).raise_for_status()


def test_a_server_admin_switches_every_page_to_another_project(world: UiWorld) -> None:
    api = world.collector.client
    created = api.post("/api/v1/projects", json={"name": "checkout"})
    assert created.status_code in (201, 409), created.text
    app = world.page("project")
    [switch] = [box for box in app.selectbox if box.label == "Show the project"]
    checkout = next(row["id"] for row in api.get("/api/v1/projects").json()["projects"] if row["name"] == "checkout")
    app = switch.set_value(checkout).run()
    no_errors(app)
    assert app.session_state["project"] == checkout
    assert app.subheader[0].value == "checkout"
    traces = app.switch_page("views/traces.py").run()
    no_errors(traces)
    assert [item.value for item in traces.info] == ["No traces yet: send some to the collector's /v1/traces."]
