"""The one door to the cockpit's relational store.

Every engine is opened here, so SQLite gets WAL and a busy timeout (the live feed writes while pages
read) and PostgreSQL always goes through psycopg 3. ruff's banned-api rule keeps other modules from
calling ``create_engine`` or ``pandas.read_sql`` directly.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE = ROOT / "data" / "cockpit.db"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
CONNECT_TIMEOUT = 5  # seconds, PostgreSQL
SQLITE_BUSY_MS = 30_000  # how long a SQLite connection waits for another's write to end
# What a store that cannot be reached raises (connection refused, dropped, timed out, file locked):
# the pages show a banner and retry. Other database errors are bugs and keep their tracebacks.
UNREACHABLE: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)


def resolve_url(url: str | None = None) -> str:
    """The store's URL: argument, then COCKPIT_DB_URL, then [connections.cockpit] in secrets, then data/."""
    url = url or os.environ.get("COCKPIT_DB_URL") or _secrets_url() or f"sqlite:///{DEFAULT_SQLITE}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def resolve_write_url(url: str | None = None) -> str:
    """The URL for what the app writes (uploads, publishing, alert responses, sign-in counters, admin changes):
    argument, then COCKPIT_DB_WRITE_URL, then the store's URL. In production the reading URL uses a database
    role that can only read, this one a role that may also write (README, "Running it for real")."""
    return resolve_url(url or os.environ.get("COCKPIT_DB_WRITE_URL"))


def _secrets_url(name: str = "cockpit") -> str | None:
    if not SECRETS.exists():
        return None
    with SECRETS.open("rb") as fh:
        return tomllib.load(fh).get("connections", {}).get(name, {}).get("url")


# --- the viewing side's store (region scale: README "Deployment at region scale") -----------------


def read_url() -> str:
    """Where the pages read: COCKPIT_DB_READ_URL, then [connections.cockpit_read] in secrets, else the store's
    URL. At region scale a streaming replica; writes (ingest, publishing, the engine's kept months) always
    go to :func:`resolve_url`, and a replica refusing the engine's snapshot write is logged, not raised."""
    return resolve_url(os.environ.get("COCKPIT_DB_READ_URL") or _secrets_url("cockpit_read"))


@functools.cache
def engine(url: str | None = None) -> Engine:
    """A process-wide engine per URL (Streamlit reruns and the CLIs share it)."""
    resolved = resolve_url(url)
    if resolved.startswith("sqlite"):
        eng = sa.create_engine(resolved, connect_args={"timeout": 30})
        sa.event.listen(eng, "connect", _sqlite_pragmas)
    else:
        # A store that does not answer must fail fast, so pages can say so instead of hanging.
        eng = sa.create_engine(resolved, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    if os.environ.get("COCKPIT_QUERY_LOG"):  # benchmarks count the statements a server sends
        sa.event.listen(eng, "before_cursor_execute", _log_query)
    return eng


def scratch_engine(path: Path) -> Engine:
    """An engine for a SQLite file that nobody reads until it is complete (the first start's side file):
    no journal and no syncing to disk, which a bulk load of hundreds of megabytes would otherwise pay for
    twice (WAL, then the checkpoint into the file). A crash leaves a side file the next build deletes.

    Not cached like :func:`engine`: its caller disposes of it before the file is renamed into place.
    """
    eng = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    sa.event.listen(eng, "connect", _scratch_pragmas)
    return eng


def reachable(url: str | None = None) -> bool:
    """Whether the store answers a trivial query now."""
    try:
        with engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except UNREACHABLE:
        return False
    return True


def _log_query(*_args: Any) -> None:
    with Path(os.environ["COCKPIT_QUERY_LOG"]).open("a") as fh:
        fh.write("q\n")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets one writer (feed, ingest) run beside many readers (pages); foreign keys are off by
    # default in SQLite and must be asked for on every connection.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cur.close()


def _scratch_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=OFF")
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute("PRAGMA temp_store=MEMORY")  # the rollups' GROUP BY sorts, ~100 MB for a few seconds
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def is_sqlite(conn: Connection | Engine) -> bool:
    return conn.dialect.name == "sqlite"


def read_frame(conn: Connection, stmt: sa.Executable | str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run an aggregate query and return its (small) result as a DataFrame."""
    if isinstance(stmt, str):
        stmt = sa.text(stmt)
    result = conn.execute(stmt, params or {})
    columns = list(result.keys())
    # Plain tuples: pandas probes every Row object for array-like attributes otherwise (slow).
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


def bulk_insert(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert many tuples fast inside the caller's transaction: COPY on PostgreSQL, executemany on SQLite."""
    rows = list(rows)
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        cols = ", ".join(columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        raw = conn.connection.driver_connection
        raw.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)  # type: ignore[union-attr]
    return len(rows)
