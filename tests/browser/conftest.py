"""A real ``streamlit run app.py`` and Debian's Chromium, the way Streamlit's own e2e suite does it.

Each test module gets its own server on a free port (module scope), started with the file watcher
off against a prepared SQLite store; start-up waits on /_stcore/health and fails with the server's
log, and a test that fails with a server running attaches the tail of its log to the report
(pytest_runtest_makereport below). Chromium is the system one (CHROMIUM_PATH or ``chromium`` on
PATH), never a downloaded build.

Every wait is a multiple of one base timeout, ``TIMEOUT_MS`` (20 s), scaled by the environment
variable ``COCKPIT_TEST_WAIT_SCALE`` (default 1.0; e.g. 2 on a slow or busy machine). Tests wait on a
state (an element count, a URL, the app's ``data-test-script-state``), never for a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect, sync_playwright

from lib.store import bootstrap, db
from tests.conftest import WAIT_SCALE, make_store, wait_until

TIMEOUT_MS = round(20_000 * WAIT_SCALE)  # the one base timeout of every browser wait
# Screenshots the browser tests take, kept for review after a run (CI can archive the folder).
SCREENS = Path(os.environ.get("COCKPIT_ARTEFACTS", db.ROOT / "test-artefacts")) / "screens"
LOG_TAIL_LINES = 200
expect.set_options(timeout=TIMEOUT_MS)  # also the default of every expect() given no timeout


_CHARTS = "[data-testid='stVegaLiteChart'], [data-testid='stDeckGlJsonChart'], [data-testid='stArrowVegaLiteChart']"


def charts_drawn_js(*, some: bool) -> str:
    """A ``wait_for_function`` body: every chart (Vega-Lite, deck.gl) on the page has drawn its canvas or
    svg, so the layout is final; ``some``: and there is at least one."""
    need = "charts.length > 0 && " if some else ""
    return (f"() => {{ const charts = [...document.querySelectorAll(\"{_CHARTS}\")]; "
            f"return {need}charts.every(c => c.querySelector('canvas, svg') !== null); }}")


def wait_ms(factor: float = 1.0) -> int:
    """``factor`` base timeouts, in milliseconds (Playwright's unit): for ``timeout=`` of a slow state."""
    return round(TIMEOUT_MS * factor)


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

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            return f"(no log: {e})"
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(origin: str) -> bool:
    try:
        with urllib.request.urlopen(f"{origin}/_stcore/health", timeout=wait_ms(0.05) / 1000) as resp:  # one poll
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated SQLite store holding the reference registry, one per test module."""
    with make_store("sqlite", tmp_path_factory.mktemp("store"), fill=bootstrap.load_reference) as url:
        yield url


@contextlib.contextmanager
def serve(store_url: str, log_dir: Path, *options: str, env: dict[str, str] | None = None,
          port: int | None = None) -> Iterator[AppServer]:
    """Run ``streamlit run app.py [options]`` on a free port until the block ends (``env``: more of the
    server's environment, e.g. a benchmark's COCKPIT_QUERY_LOG; ``port``: one chosen beforehand, from
    :func:`free_port`, when the options must name it, e.g. an identity provider's redirect URI).

    Fails with the server's log if it won't start. A failed test that uses the server (directly or
    through a fixture holding it) gets the log's tail in its report: pytest_runtest_makereport below.
    """
    port = port or free_port()
    log = log_dir / f"streamlit-{port}.log"
    env = {**os.environ, **(env or {}), "COCKPIT_DB_URL": store_url}
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
        "--server.fileWatcherType=none", "--browser.gatherUsageStats=false", *options,
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=db.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = AppServer("127.0.0.1", port, log, proc.pid)
    try:
        wait_until(lambda: proc.poll() is not None or _healthy(server.origin), wait_ms(1.5) / 1000)
        if proc.poll() is not None or not _healthy(server.origin):
            pytest.fail(f"streamlit did not start (exit {proc.poll()}):\n{log.read_text()}")
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=wait_ms(0.5) / 1000)
        except subprocess.TimeoutExpired:
            proc.kill()


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
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (``new_page(width=1920, height=1080)``), with scaled
    default timeouts for actions and navigation; every context is closed at the end."""
    contexts: list[BrowserContext] = []

    def _new(width: int = 1600, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(wait_ms(1.5))  # Playwright's own default is 30 s
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def wait_for_app_run(page: Page) -> None:
    """Wait as Streamlit's e2e suite does: connected, script not running, no skeleton left."""
    expect(page.locator("[data-testid='stAppViewContainer']")).to_be_attached()
    expect(
        page.locator(
            "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
        )
    ).to_be_attached()
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)  # lazy chunks (deck.gl, Vega)


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


# Console lines that are not the app's: Streamlit's frontend probes "<page path>/_stcore/health" and
# ".../host-config" on a deep link before the root (404s, by design), and Chromium's software GL
# reports its own stalls.
_NOT_OURS = (re.compile(r"/_stcore/(health|host-config)$"),)
_DRIVER_NOISE = "GL Driver Message"


@pytest.fixture
def console_problems(page: Page) -> list[str]:
    """Every warning, error and uncaught exception the page's console shows, minus what is not the app's."""
    seen: list[str] = []

    def record(message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.type in ("warning", "error") and _DRIVER_NOISE not in message.text and \
                not any(p.search(where) for p in _NOT_OURS):
            seen.append(f"{message.type}: {message.text} ({where}) on {page.url}")

    page.on("console", record)
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


@pytest.fixture
def open_app(page: Page, app_server: AppServer) -> Callable[[str], Page]:
    """Open ``path`` (e.g. "/map?lang=en") on the module's server and wait for the run to finish."""

    def _open(path: str) -> Page:
        page.goto(app_server.origin + path)
        wait_for_app_run(page)
        return page

    return _open


def _servers(value: object) -> list[AppServer]:
    """The app servers a fixture value holds: itself, or inside a tuple or list (e.g. (server, proxy))."""
    if isinstance(value, AppServer):
        return [value]
    if isinstance(value, tuple | list):
        return [server for v in value for server in _servers(v)]
    return []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test (or setup) that used an app server shows the tail of the server's log.

    The servers live in module-scoped fixtures, so a log printed at their teardown would land far from
    the failure, or nowhere: the log goes into the failing report's sections instead.
    """
    report = yield
    if not report.failed or report.when == "teardown":
        return report
    seen: set[int] = set()
    for value in getattr(item, "funcargs", {}).values():
        for server in _servers(value):
            if server.pid not in seen:
                seen.add(server.pid)
                report.sections.append(
                    (f"streamlit log {server.origin} (last {LOG_TAIL_LINES} lines of {server.log})", server.log_tail())
                )
    return report
