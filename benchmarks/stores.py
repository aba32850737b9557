"""Throw-away stores for benchmarks: a fresh SQLite file under results/, or a fresh PostgreSQL schema."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lib.store import db, schema

RESULTS = Path(__file__).resolve().parent / "results"
PG = os.environ.get("COCKPIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@contextlib.contextmanager
def fresh(backend: str, name: str) -> Iterator[str]:
    """A migrated, empty store, removed afterwards."""
    if backend == "sqlite":
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{name}.db"
        files = [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))]
        for f in files:
            f.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        schema.upgrade(url)
        try:
            yield url
        finally:
            db.engine(url).dispose()
            for f in files:
                f.unlink(missing_ok=True)
        return
    schema_name = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    with db.engine(PG).begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema_name}"))
    url = f"{PG}?options=-csearch_path%3D{schema_name}"
    try:
        schema.upgrade(url)
        yield url
    finally:
        db.engine(url).dispose()
        with db.engine(PG).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema_name} CASCADE"))


def save(name: str, payload: Any) -> Path:
    """Write the figures to results/<name>-<timestamp>.json."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    return out
