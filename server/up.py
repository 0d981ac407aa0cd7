"""``spanscope up``: the collector and the UI together, as two child processes.

Both are started, watched and stopped as one: Ctrl-C or SIGTERM stops both cleanly (the
collector folds and checkpoints DuckDB on its way out), and if either exits on its own the
other is stopped too. With ``--demo`` the demo application's traces are sent once the
collector is up, unless its database already holds them. With ``--auth`` the collector
requires API keys, and the UI (and the demo) get a local admin key made for this run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import orjson
import urllib3

UI_APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"
STOP_GRACE_S = 15.0
_http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=1.0, read=10.0))


@dataclass(frozen=True)
class UpOptions:
    database_url: str
    host: str
    port: int
    ui_port: int
    demo: bool
    auth: bool = False
    project: str = "default"  # the server's own project: the local admin key's


UI_KEY_NAME = "spanscope up (UI)"


def local_admin_key(database_url: str, project: str) -> str:
    """A new admin key for the UI of this run; the previous runs' are revoked. Made before the
    collector starts, as DuckDB lets one process at a time open the file."""
    from server.storage import migrate, open_store

    migrate.upgrade(database_url)
    store = open_store(database_url)
    try:
        store.access.ensure_project(project)
        for row in store.access.list_keys(project):
            if row["name"] == UI_KEY_NAME and row["revoked_at"] is None:
                store.access.revoke_key(row["id"])
        return store.access.create_key(project, "admin", UI_KEY_NAME)[0]
    finally:
        store.close()


class StartupError(Exception):
    """A child process did not come up; the message says which and why."""


def _spanscope() -> list[str]:
    script = Path(sys.executable).parent / "spanscope"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from server.cli import main; main()"]


def _ui_command(options: UpOptions) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(UI_APP),
        "--server.address", options.host,
        "--server.port", str(options.ui_port),
        "--server.headless", "true",
        # No reloading on file changes, and no usage statistics sent anywhere.
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--logger.level", "warning",
        "--theme.base", "light",
    ]  # fmt: skip


def _ok(url: str) -> bool:
    try:
        return _http.request("GET", url).status == 200
    except urllib3.exceptions.HTTPError:
        return False


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if process.poll() is not None:
            raise StartupError(f"the {what} exited with status {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise StartupError(f"the {what} did not answer within {timeout_s:.0f} s")
        time.sleep(0.2)


def demo_loaded(api_url: str, key: str | None = None) -> bool:
    headers = {"authorization": f"Bearer {key}"} if key else None
    response = _http.request("GET", f"{api_url}/api/v1/traces", fields={"tag": "demo", "limit": "1"}, headers=headers)
    return response.status == 200 and bool(orjson.loads(response.data)["traces"])


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(options: UpOptions, say: Callable[[str], None]) -> int:
    """Start both, load the demo if asked, and wait; returns the exit status for the CLI."""
    api_url = f"http://{options.host}:{options.port}"
    ui_url = f"http://{options.host}:{options.ui_port}"
    stopping: list[int] = []

    def on_signal(number: int, _frame: FrameType | None) -> None:
        stopping.append(number)

    key = local_admin_key(options.database_url, options.project) if options.auth else None
    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)}
    collector_command = [*_spanscope(), "server", "--db", options.database_url, "--host", options.host]
    collector_command += ["--auth"] if options.auth else []
    collector = subprocess.Popen([*collector_command, "--port", str(options.port)])
    processes = [collector]
    try:
        _wait_until(lambda: _ok(f"{api_url}/health") or bool(stopping), collector, "collector", 120)
        environment = {**os.environ, "SPANSCOPE_API_URL": api_url} | ({"SPANSCOPE_API_KEY": key} if key else {})
        ui = subprocess.Popen(_ui_command(options), env=environment, stdout=subprocess.DEVNULL)
        processes.append(ui)
        if options.demo and not stopping:
            if demo_loaded(api_url, key):
                say("The demo's traces are already in this database; not sending them again.")
            else:
                say("Loading the demo…")
                demo = subprocess.Popen([*_spanscope(), "demo", "--endpoint", api_url], env=environment)
                processes.append(demo)  # stopped with the others if we are
                while demo.poll() is None and not stopping:
                    time.sleep(0.2)
                # Ctrl-C reaches the demo too (one process group): its status then says nothing.
                if not stopping:
                    processes.remove(demo)
                    if demo.returncode != 0:
                        raise StartupError(f"the demo failed with status {demo.returncode}")
        _wait_until(lambda: _ok(f"{ui_url}/_stcore/health") or bool(stopping), ui, "UI", 120)
        if not stopping:
            if key:
                say("Auth is on: applications need an API key (spanscope keys create, or the UI's Project page).")
            say(f"Spanscope is up.\n  UI:   {ui_url}\n  OTLP: {api_url}/v1/traces\nPress Ctrl-C to stop.")
        while not stopping and all(process.poll() is None for process in processes):
            time.sleep(0.2)
    except StartupError as error:
        say(f"error: {error}")
        return 1
    finally:
        _stop(processes)
        for number, handler in previous.items():
            signal.signal(number, handler)
    if stopping:
        say("Stopped.")
        return 0
    ended = next(process for process in processes if process.poll() is not None)
    say(f"error: the {'collector' if ended is collector else 'UI'} exited with status {ended.returncode}")
    return 1
