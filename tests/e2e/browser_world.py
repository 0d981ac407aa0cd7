"""The browser tests' world: ``spanscope up --demo`` on a temporary database, driven by Playwright in
Debian's headless Chromium (never a browser Playwright downloads). Screenshots go to
``test-artifacts/``. Without Chromium the tests skip, or fail under SPANSCOPE_REQUIRE_BROWSER=1.

Every page load is watched: a request to any host but the local one is aborted and
recorded, a dialog (``alert``) is recorded, and both fail the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import missing_dependency
from tests.interop.interop_helpers import free_port

CHROMIUM = Path(os.environ.get("SPANSCOPE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Without the background-networking flags Chromium keeps calling Google's hosts, which this
# closed network refuses (and which would count as remote requests).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
STARTUP_TIMEOUT_S = 180


@dataclass
class Platform:
    api_url: str
    ui_url: str
    log: Path
    startup_s: float


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """``spanscope up --demo``, as a user runs it, until the tests end (then SIGTERM)."""
    folder = tmp_path_factory.mktemp("up")
    api_port, ui_port = free_port(), free_port()
    log = folder / "up.log"
    command = [
        str(Path(sys.executable).with_name("spanscope")),
        "up",
        "--demo",
        "--db",
        f"duckdb:///{folder / 'spanscope.duckdb'}",
        "--port",
        str(api_port),
        "--ui-port",
        str(ui_port),
    ]
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=folder)
    try:
        while b"Spanscope is up." not in log.read_bytes():
            assert process.poll() is None, f"spanscope up exited: {log.read_text()}"
            assert time.monotonic() - started < STARTUP_TIMEOUT_S, f"not up in time: {log.read_text()}"
            time.sleep(0.2)
        yield Platform(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}", log, time.monotonic() - started)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert status == 0, f"spanscope up did not stop cleanly ({status}): {log.read_text()}"


@dataclass
class Watch:
    """What a page did that it must not: remote requests, dialogs, page errors."""

    remote_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


# Module scope, not session: Playwright's sync API keeps an event loop running while it is
# open, and the asyncio tests that run after this folder could not start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing_dependency("browser", f"{CHROMIUM} not found (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        missing_dependency("browser", f"playwright is not installed: {error}")
        raise
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, Watch]]:
    """A fresh page that aborts and records any request leaving this machine; a screenshot
    of where it ended is saved as ``test-artifacts/<test name>.png``."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    watch = Watch()

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            watch.remote_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    opened = context.new_page()
    opened.on("dialog", lambda dialog: (watch.dialogs.append(dialog.message), dialog.dismiss()))
    yield opened, watch
    ARTIFACTS.mkdir(exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def api(platform: Platform, path: str, **params: Any) -> Any:
    response = httpx.get(platform.api_url + path, params=params, timeout=30)
    response.raise_for_status()
    return response.json()
