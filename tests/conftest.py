"""Shared fixtures: a fresh, migrated store on SQLite and on PostgreSQL for every test that asks.

PostgreSQL is required, never skipped: if 127.0.0.1:5432 cannot be reached the tests using it error.
Each PostgreSQL store is its own schema (search_path), so tests and parallel runs never collide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import db, schema

BACKENDS = ["sqlite", "postgresql"]
SOAK_SECONDS = float(os.environ.get("COCKPIT_SOAK_SECONDS", "600"))  # issue #9: at least ten minutes
_SOAK = pytest.StashKey[tuple[subprocess.Popen, Path]]()
PG_URL = os.environ.get("COCKPIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_store() -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = db.engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    url = f"{PG_URL}?options=-csearch_path%3D{name}"
    try:
        schema.upgrade(url)
        yield url
    finally:
        db.engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))


def _store(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'cockpit.db'}"
        schema.upgrade(url)
        yield url
        db.engine(url).dispose()
    else:
        yield from _pg_store()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty store on each backend."""
    yield from _store(request.param, tmp_path)


@pytest.fixture(scope="session", params=BACKENDS)
def tiny_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hand-checkable tiny county (tests/fixtures/tiny.py), built once per backend: read it, never write."""
    from tests.fixtures import tiny

    for url in _store(request.param, tmp_path_factory.mktemp("tiny")):
        tiny.build(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> Iterator[str]:
    """A migrated, empty SQLite store (for tests whose subject is not the backend)."""
    url = f"sqlite:///{tmp_path / 'cockpit.db'}"
    schema.upgrade(url)
    yield url
    db.engine(url).dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated, empty PostgreSQL store."""
    yield from _pg_store()


@pytest.hookimpl(trylast=True)  # after -m/-k deselection: start the soak only if a soak test remains
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the wall-screen soak (tests/browser/soak.py) beside the suite; its tests go last to read it.

    The soak mostly waits on a browser, so the suite's ten minutes of wall clock cover it instead of
    adding to it.
    """
    soak = [item for item in items if item.get_closest_marker("soak")]
    if not soak:
        return
    items[:] = [item for item in items if item not in soak] + soak
    out = Path(tempfile.mkdtemp(prefix="cockpit-soak-")) / "report.json"
    cmd = [sys.executable, "-m", "tests.browser.soak", "--seconds", str(SOAK_SECONDS), "--out", str(out)]
    log = out.with_suffix(".log").open("w")
    config.stash[_SOAK] = (subprocess.Popen(cmd, cwd=db.ROOT, stdout=log, stderr=subprocess.STDOUT), out)


@pytest.fixture(scope="session")
def soak_report(pytestconfig: pytest.Config) -> dict:
    """The soak's report, once it has finished (it started at collection)."""
    proc, out = pytestconfig.stash[_SOAK]
    proc.wait(timeout=SOAK_SECONDS + 600)
    if not out.exists():
        pytest.fail(f"the soak wrote no report:\n{out.with_suffix('.log').read_text()}")
    return json.loads(out.read_text(encoding="utf-8"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SOAK in config.stash:
        config.stash[_SOAK][0].kill()  # an interrupted run leaves no wall behind
