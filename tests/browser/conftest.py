"""A real ``streamlit run app.py`` and Debian's Chromium, the way Streamlit's own e2e suite does it.

Each test module gets its own server on a free port (module scope), started with the file watcher
off against a prepared SQLite store; start-up waits on /_stcore/health and fails with the server's
log. Chromium is the system one (CHROMIUM_PATH or ``chromium`` on PATH), never a downloaded build.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from lib import bootstrap, db

STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class AppServer:
    """A running app: where it listens and where its log goes."""

    host: str
    port: int
    log: Path
    pid: int

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(origin: str) -> bool:
    try:
        with urllib.request.urlopen(f"{origin}/_stcore/health", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite store holding the reference registry, one per test module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'cockpit.db'}"
    bootstrap.load_reference(url)
    db.engine(url).dispose()
    return url


@contextlib.contextmanager
def serve(store_url: str, log_dir: Path, *options: str) -> Iterator[AppServer]:
    """Run ``streamlit run app.py [options]`` on a free port until the block ends.

    Fails with the server's log if it won't start; prints the log at the end, which pytest shows for
    a failed test only.
    """
    port = _free_port()
    log = log_dir / f"streamlit-{port}.log"
    env = {**os.environ, "COCKPIT_DB_URL": store_url}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
        "--server.fileWatcherType=none", "--browser.gatherUsageStats=false", *options,
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=db.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = AppServer("127.0.0.1", port, log, proc.pid)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(server.origin):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start (exit {proc.poll()}):\n{log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print(log.read_text())


@pytest.fixture(scope="module")
def app_server(reference_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One server for the whole test module."""
    with serve(reference_store, tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (no ``playwright install``)."""
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    yield context.new_page()
    context.close()


def wait_for_app_run(page: Page) -> None:
    """Wait as Streamlit's e2e suite does: connected, script not running, no skeleton left."""
    expect(page.locator("[data-testid='stAppViewContainer']")).to_be_attached(timeout=20_000)
    expect(
        page.locator(
            "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
        )
    ).to_be_attached(timeout=20_000)
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=20_000)  # lazy chunks (deck.gl, Vega)


@pytest.fixture
def outside_requests(page: Page, app_server: AppServer) -> list[str]:
    """Every network request (HTTP or WebSocket) the page makes to a host other than the app's own."""
    seen: list[str] = []

    def record(url: str) -> None:
        parsed = urlsplit(url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != f"{app_server.host}:{app_server.port}":
            seen.append(url)

    page.on("request", lambda request: record(request.url))
    page.on("websocket", lambda ws: record(ws.url))
    return seen


@pytest.fixture
def open_app(page: Page, app_server: AppServer) -> Callable[[str], Page]:
    """Open ``path`` (e.g. "/map?lang=en") on the module's server and wait for the run to finish."""

    def _open(path: str) -> Page:
        page.goto(app_server.origin + path)
        wait_for_app_run(page)
        return page

    return _open
