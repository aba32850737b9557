"""Shared fixtures: a fresh, migrated store on SQLite and on PostgreSQL for every test that asks.

PostgreSQL is required, never skipped: if 127.0.0.1:5432 cannot be reached the tests using it error.
Each PostgreSQL store is its own schema (search_path), so tests and parallel runs never collide.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import clock
from lib.store import db, schema

BACKENDS = ["sqlite", "postgresql"]
SOAK_SECONDS = float(os.environ.get("COCKPIT_SOAK_SECONDS", "600"))  # issue #9: at least ten minutes
_SOAK = pytest.StashKey[subprocess.Popen]()
PG_URL = os.environ.get("COCKPIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Stretches every wait of the browser and AppTest tests (tests/browser/conftest.TIMEOUT_MS, tests/pages/conftest.py)
# on a slow or busy machine; the tests wait on states, so a larger scale only costs time when something is wrong.
WAIT_SCALE = float(os.environ.get("COCKPIT_TEST_WAIT_SCALE", "1.0"))
POLL_SECONDS = 0.2  # how often a state poll looks again


def wait_until(condition: Callable[[], object], seconds: float, every: float = POLL_SECONDS) -> bool:
    """Look at a state until ``condition()`` holds or ``seconds`` (a bound, already scaled by the caller)
    have passed; returns whether it held. The one poll of the suite: tests wait on states (a row count,
    a health check, a file, a drawn canvas), never for time to pass."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


# Session fixtures holding demo stores (minutes to build): their readers share one xdist worker, so each
# store is built once per run, not once per worker.
SHARED_DEMO_FIXTURES = ("demo_stores", "full")

Fill = Callable[[str], None]
_SQLITE_TEMPLATES: dict[Fill | None, Path] = {}


def _sqlite_template(fill: Fill | None) -> Path:
    """A migrated SQLite file, filled by ``fill``, built once per process; make_store copies it."""
    if fill not in _SQLITE_TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="cockpit-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        url = f"sqlite:///{folder / 'cockpit.db'}"
        schema.upgrade(url)
        if fill is not None:
            fill(url)
        db.engine(url).dispose()
        _SQLITE_TEMPLATES[fill] = folder / "cockpit.db"
    return _SQLITE_TEMPLATES[fill]


@contextlib.contextmanager
def make_store(backend: str, folder: Path | None = None, *, fill: Fill | None = None) -> Iterator[str]:
    """The one store factory: a migrated store on ``backend``, empty or filled by ``fill(url)`` (e.g.
    ``tiny.build``); yields its URL and cleans up after.

    ``backend`` is "sqlite" (the file ``folder/cockpit.db``; ``folder`` is required) or "postgresql" (a
    schema of its own in the database at ``PG_URL``, selected by ``search_path`` in the URL, dropped
    at the end; ``folder`` is not used). Every test module that needs a store of its own builds it
    here, in a fixture of whatever scope suits it::

        with make_store("sqlite", tmp_path, fill=tiny.build) as url:
            ...

    A SQLite store is a copy (SQLite's backup API) of a template migrated, and filled, once per test
    session, which costs a fraction of running the migrations and the fill again; ``fill`` must then
    depend on nothing but the URL. A PostgreSQL store is migrated and filled each time.
    """
    if backend == "sqlite":
        if folder is None:
            raise TypeError("a SQLite store needs a folder")
        path = folder / "cockpit.db"
        with contextlib.closing(sqlite3.connect(_sqlite_template(fill))) as source, \
                contextlib.closing(sqlite3.connect(path)) as target:
            source.backup(target)
        url = f"sqlite:///{path}"
        try:
            yield url
        finally:
            db.engine(url).dispose()
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}: one of {BACKENDS}")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    url = f"{PG_URL}?options=-csearch_path%3D{name}"
    try:
        schema.upgrade(url)
        if fill is not None:
            fill(url)
        yield url
    finally:
        db.engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))


@contextlib.contextmanager
def make_demo_store(folder: Path, *, scale: float = 0.02) -> Iterator[str]:
    """A small SQLite demo store (make_store + lib.demo) whose last month is this month, so every page,
    tile and wall screen has figures today. For the browser tests and the soak; read it, never write."""
    from lib.demo import generate  # lazily: only the wall-screen tests need it

    with make_store("sqlite", folder) as url:
        generate(db.engine(url), scale=scale, today=clock.today())
        db.engine(url).dispose()  # the app server opens its own connections
        yield url


@dataclass(frozen=True)
class DemoStore:
    """A store holding one demo history, with what lib.demo.generate() returned and reported."""

    url: str
    rows: dict[str, int]
    progress: list[tuple[float, str, dict[str, object]]]  # (fraction, i18n key, its fields) as reported


@pytest.fixture(scope="session")
def demo_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., DemoStore]]:
    """``demo_stores(backend, scale=..., today=...)``: a demo store (default seed) built once per session for
    each set of arguments and shared by every module asking the same (tests/lib/test_demo.py and
    test_kpi_parity.py both read the scale-0.02 one): read it, never write."""
    from lib.demo import generate

    built: dict[tuple[str, float, dt.date], DemoStore] = {}
    with contextlib.ExitStack() as stores:

        def _get(backend: str, *, scale: float, today: dt.date) -> DemoStore:
            key = (backend, scale, today)
            if key not in built:
                url = stores.enter_context(make_store(backend, tmp_path_factory.mktemp(f"demo-{backend}")))
                steps: list[tuple[float, str, dict[str, object]]] = []
                rows = generate(db.engine(url), scale=scale, today=today,
                                progress=lambda f, key, **fields: steps.append((f, key, fields)))
                built[key] = DemoStore(url, rows, steps)
            return built[key]

        yield _get


def _store(backend: str, folder: Path) -> Iterator[str]:
    """make_store() as a generator (``for url in _store(...)``), for modules not moved to it yet."""
    with make_store(backend, folder) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty store on each backend."""
    with make_store(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def tiny_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hand-checkable tiny county (tests/fixtures/tiny.py), built once per backend: read it, never write."""
    from tests.fixtures import tiny

    with make_store(request.param, tmp_path_factory.mktemp("tiny"), fill=tiny.build) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A migrated, empty SQLite store (for tests whose subject is not the backend)."""
    with make_store("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated, empty PostgreSQL store."""
    with make_store("postgresql") as url:
        yield url


def _soak_files() -> tuple[Path, Path]:
    """Where the soak writes its report and, when it exits, its exit status: one place per test run,
    named in the environment so every xdist worker (which inherits it) reads the same soak."""
    if "COCKPIT_SOAK_DIR" not in os.environ:
        os.environ["COCKPIT_SOAK_DIR"] = tempfile.mkdtemp(prefix="cockpit-soak-")
    folder = Path(os.environ["COCKPIT_SOAK_DIR"])
    return folder / "report.json", folder / "exit-status"


def _start_soak(config: pytest.Config) -> None:
    """Start the wall-screen soak (tests/browser/soak.py) beside the suite, once per run.

    The soak mostly waits on a browser, so the suite's minutes of wall clock cover it instead of
    adding to it. It writes its exit status last, whatever happened, so its readers never wait in vain.
    """
    if _SOAK in config.stash:
        return
    out, status = _soak_files()
    soak = f"{sys.executable} -m tests.browser.soak --seconds {SOAK_SECONDS} --out {out}"
    log = out.with_suffix(".log").open("w")
    config.stash[_SOAK] = subprocess.Popen(["sh", "-c", f'{soak}; echo $? > "{status}"'], cwd=db.ROOT,
                                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the run's main process: name the soak's files for the workers
        _soak_files()


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    """The readers of the session's demo stores share one xdist worker (``--dist loadgroup``), so each store
    is built once per run; the soak's readers wait for its report, last. The groups are given before the
    other hooks run (xdist's own names each item's group in its node id); the order, and the soak's start
    (only if a soak test remains after -m/-k), after them. Without xdist, this process starts the soak."""
    for item in items:  # a demo-store reader (even one printing with Chromium) joins the worker holding them
        if set(SHARED_DEMO_FIXTURES) & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("demo-stores"))
        elif item.get_closest_marker("soak"):
            item.add_marker(pytest.mark.xdist_group("soak"))
    yield
    # Browser tests after the rest (``--no-loadscope-reorder`` keeps this order), on every worker: Chromium
    # then shares the machine with the soak and the other browser tests only. Run serially on one worker
    # they were the run's critical path (more than 10 minutes); beside the other tests on two cores their
    # page loads outran their waits.
    browser = [item for item in items if item.get_closest_marker("browser") and not item.get_closest_marker("soak")
               and not set(SHARED_DEMO_FIXTURES) & set(getattr(item, "fixturenames", ()))]
    soak = [item for item in items if item.get_closest_marker("soak")]
    items[:] = [item for item in items if item not in browser and item not in soak] + browser + soak
    if soak and not hasattr(config, "workerinput"):
        _start_soak(config)


def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """Under xdist the main process collects nothing itself: it starts the soak when a worker's
    collection (after -m/-k) holds a soak test."""
    if any("test_kiosk_soak.py" in test_id for test_id in ids):
        _start_soak(node.config)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def soak_report() -> dict:
    """The soak's report, once it has finished (it started at collection, maybe in another process)."""
    out, status = _soak_files()
    # The soak's own state: it writes its exit status when it ends.
    if not wait_until(status.exists, SOAK_SECONDS + 600, every=1):
        pytest.fail(f"the soak did not end:\n{out.with_suffix('.log').read_text()}")
    if not out.exists():
        pytest.fail(f"the soak wrote no report:\n{out.with_suffix('.log').read_text()}")
    return json.loads(out.read_text(encoding="utf-8"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SOAK in config.stash:  # an interrupted run leaves no wall behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(config.stash[_SOAK].pid, signal.SIGKILL)
