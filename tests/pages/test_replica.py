"""A streaming read replica serves the pages (issue #15 item 7): two PostgreSQL clusters of the test's own,
the primary written to (migrations, the tiny county), the replica following it by streaming replication
and named by COCKPIT_DB_READ_URL. Same figures from both; the pages read the replica (held back, it shows
the figure before a write); the engine's snapshot write refused by the replica is logged, never raised."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.events import write
from lib.kpi.engine import Engine, Scope
from lib.kpi.headline import HEADLINE
from lib.kpi.period import Period
from lib.store import db, schema
from lib.store.models import Facility, Visit
from tests.conftest import WAIT_SCALE, wait_until
from tests.fixtures import tiny

pytestmark = pytest.mark.slow

BIN = Path("/usr/lib/postgresql/15/bin")
OCTOBER = Period("month", dt.date(2026, 10, 1))
SHARE = "kpi.short.primary_visit_share"


@dataclass(frozen=True)
class Pair:
    primary: str
    replica: str
    lag: float  # seconds from the fill's commit until the replica had replayed it


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg(*args: str | Path) -> None:
    """A PostgreSQL program as the postgres OS user (they refuse to run as root)."""
    subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True, capture_output=True, timeout=120)


def _start(data: Path, port: int) -> None:
    _pg(BIN / "pg_ctl", "-D", data, "-l", data.parent / f"{data.name}.log", "-w", "-t", "60", "start",
        "-o", f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1")


def _replayed(primary: str, replica: str) -> Callable[[], bool]:
    """Whether the replica has replayed everything the primary had written when this was made."""
    with db.engine(primary).connect() as conn:
        target = conn.execute(sa.text("SELECT pg_current_wal_lsn()")).scalar_one()

    def done() -> bool:
        with db.engine(replica).connect() as conn:
            return conn.execute(sa.text("SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"),
                                {"t": target}).scalar_one()
    return done


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """A primary and its streaming replica on free local ports, in a folder of their own; both stopped, always."""
    folder = Path(tempfile.mkdtemp(prefix="cockpit-replica-"))
    shutil.chown(folder, "postgres", "postgres")
    primary, replica = folder / "primary", folder / "replica"
    ports = _free_port(), _free_port()
    urls = [f"postgresql+psycopg://postgres@127.0.0.1:{p}/postgres" for p in ports]
    started: list[Path] = []
    try:
        _pg(BIN / "initdb", "-D", primary, "-A", "trust", "-U", "postgres", "--no-sync")
        with (primary / "pg_hba.conf").open("a") as fh:
            fh.write("host replication all 127.0.0.1/32 trust\n")
        _start(primary, ports[0])
        started.append(primary)
        # The replica is cloned from the empty primary: everything below reaches it by streaming.
        _pg(BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", ports[0], "-U", "postgres", "-D", replica, "-R",
            "-X", "stream")
        _start(replica, ports[1])
        started.append(replica)
        schema.upgrade(urls[0])
        tiny.build(urls[0])
        caught_up = _replayed(*urls)
        since = time.perf_counter()
        assert wait_until(caught_up, 60 * WAIT_SCALE, every=0.01), "the replica did not replay the fill"
        yield Pair(urls[0], urls[1], time.perf_counter() - since)
    finally:
        for url in urls:
            db.engine(url).dispose()
        for data in reversed(started):
            with contextlib.suppress(subprocess.SubprocessError):
                _pg(BIN / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def figures(url: str) -> list[tuple[object, ...]]:
    with db.engine(url).connect() as conn:
        values = Engine(conn, today=tiny.TODAY).compute(HEADLINE, [Scope(), Scope("area", ("pastoral",))], OCTOBER)
    return [(v.code, v.scope, v.value, v.numerator, v.denominator, v.status) for v in values]


def test_the_replica_gives_the_primarys_figures(pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    print(f"replica caught up with the tiny county's fill {pair.lag * 1000:.0f} ms after its commit")  # README
    with db.engine(pair.replica).connect() as conn:
        assert conn.execute(sa.text("SELECT pg_is_in_recovery()")).scalar_one()
    caplog.set_level(logging.INFO, logger="lib.kpi.months")
    on_replica = figures(pair.replica)  # first: nothing kept yet, so the engine tries to keep its months
    assert "not kept" in caplog.text
    assert "read-only transaction" in caplog.text  # the replica refused the write; nothing raised
    assert on_replica == figures(pair.primary)
    assert any(f[2] is not None for f in on_replica)


def test_the_pages_read_the_replica(pair: Pair, monkeypatch: pytest.MonkeyPatch,
                                    new_app: Callable[..., AppTest]) -> None:
    """Held back, the replica still shows October's share before one more visit written on the primary;
    once it has replayed the write, the page shows the new figure."""
    monkeypatch.setenv("COCKPIT_DB_READ_URL", pair.replica)

    def shown() -> str:
        st.cache_data.clear()
        at = new_app(pair.primary, period="2026-10", lang="en")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return {m.label: m.value for m in at.metric}[i18n.t(SHARE, "en")]

    assert shown() == "63.6%"  # 7 of 11 resident visits (tests/lib/test_kpi.py)
    with db.engine(pair.replica).connect() as conn:
        conn.execute(sa.text("SELECT pg_wal_replay_pause()"))
    try:
        with db.engine(pair.primary).begin() as conn:
            ids = dict(conn.execute(sa.select(Facility.code, Facility.id)).all())
            write.record(conn, Visit, [{"facility_id": ids["H"], "home_facility_id": ids["V1"],
                                        "ts": dt.datetime(2026, 10, 20, 9), "kind": "outpatient", "is_tcm": False,
                                        "is_insured_resident": True, "cost": 100, "fund_paid": 50}])
        caught_up = _replayed(pair.primary, pair.replica)
        assert shown() == "63.6%"  # the replica, held back, has not seen the visit
    finally:
        with db.engine(pair.replica).connect() as conn:
            conn.execute(sa.text("SELECT pg_wal_replay_resume()"))
    assert wait_until(caught_up, 30 * WAIT_SCALE, every=0.01)
    assert shown() == "58.3%"  # 7 of 12
