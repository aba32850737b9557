"""Shared fixtures: a fresh, migrated store on SQLite and on PostgreSQL for every test that asks.

PostgreSQL is required, never skipped: if 127.0.0.1:5432 cannot be reached the tests using it error.
Each PostgreSQL store is its own schema (search_path), so tests and parallel runs never collide.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from lib import db, schema

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


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cockpit.db'}"
        schema.upgrade(url)
        yield url
        db.engine(url).dispose()
    else:
        yield from _pg_store()


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
