"""Shared fixtures: a fresh, migrated store on SQLite and on PostgreSQL for every test that asks.

PostgreSQL is required, never skipped: if 127.0.0.1:5432 cannot be reached the tests using it error.
Each PostgreSQL store is its own schema (search_path), so tests and parallel runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import db, schema

BACKENDS = ["sqlite", "postgresql"]
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
