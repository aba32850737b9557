"""The live feed: writes through lib.events (rollups stay equal to a rebuild), progresses open events,
runs beside readers on both stores, and stops cleanly on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from lib import registry
from lib.demo import feed, generate
from lib.store import db
from tests.conftest import WAIT_SCALE, wait_until
from tests.rollup_snapshot import rebuilt, snapshot

TODAY = dt.date(2026, 3, 18)


def count(url: str, table: str, where: str = "") -> int:
    with db.engine(url).connect() as conn:  # a connection of its own: the reader beside the feed
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one()


def _steps(url: str, times: list[dt.datetime], n_events: int) -> dict[str, int]:
    rng = np.random.Generator(np.random.PCG64(5))
    totals: dict[str, int] = {}
    with db.engine(url).connect() as conn:
        world = feed.load_world(conn, times[0])
    for now in times:
        with db.engine(url).begin() as conn:
            for k, v in feed.step(conn, now, rng, n_events, world).items():
                totals[k] = totals.get(k, 0) + v
    return totals


def test_steps_append_and_progress_with_rollups_equal_to_a_rebuild(store_url):
    generate(db.engine(store_url), scale=0.01, today=TODAY)
    visits = count(store_url, "visit")
    start = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(9, 30))
    times = [start + dt.timedelta(minutes=m) for m in (0, 3, 15, 60, 150, 60 * 26)]
    totals = _steps(store_url, times, n_events=300)
    assert count(store_url, "visit") == visits + totals["visit"]
    for table in ("referral", "emergency_dispatch", "remote_read", "rx_review", "follow_up_done"):
        assert totals.get(table, 0) > 0, table
    for table in ("emergency_dispatch", "remote_read", "rx_review", "referral"):
        assert totals.get(f"updated:{table}", 0) > 0, table
    assert count(store_url, "visit", f"WHERE ts > '{times[-1]:%Y-%m-%d %H:%M:%S}.000001'") == 0
    # the feed's events came the way another system's do (lib.ingest.events), each with its source id
    assert count(store_url, "visit", f"WHERE source_system = '{feed.FEED_SYSTEM}'") == totals["visit"]
    with db.engine(store_url).connect() as conn:
        assert rebuilt(conn) == snapshot(conn)


def test_progress_fills_outcomes_in_order_and_never_in_the_future(sqlite_url):
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, registry.DEFAULT_REGISTRY)
    start = dt.datetime(2026, 3, 19, 10, 0)
    _steps(sqlite_url, [start, start + dt.timedelta(hours=4)], n_events=800)
    assert count(sqlite_url, "emergency_dispatch", "WHERE arrived_at < dispatched_at OR dispatched_at < call_at "
                                                   "OR completed_at < arrived_at") == 0
    assert count(sqlite_url, "emergency_dispatch", "WHERE completed_at IS NOT NULL") > 0
    assert count(sqlite_url, "referral", "WHERE accepted_at < sent_at") == 0
    assert count(sqlite_url, "remote_read", "WHERE reported_at > '2026-03-19 14:00:00.000001'") == 0
    assert count(sqlite_url, "rx_review", "WHERE reviewed_at IS NOT NULL AND passed IS NULL") == 0


@pytest.mark.slow
def test_feed_runs_beside_a_reader(store_url):
    with db.engine(store_url).begin() as conn:
        registry.load(conn, registry.DEFAULT_REGISTRY)
    stop = threading.Event()
    errors: list[BaseException] = []

    def feed_loop() -> None:
        try:
            feed.run(store_url, rate=60_000, seconds=30, stop=stop)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=feed_loop)
    thread.start()
    seen = []
    try:
        def four_counts_seen() -> bool:  # the reader keeps reading while the feed commits
            seen.append(count(store_url, "visit"))
            return len(set(seen)) >= 4

        wait_until(four_counts_seen, 20 * WAIT_SCALE)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert not errors, errors
    assert seen == sorted(seen)
    assert len(set(seen)) >= 4  # the reader saw the feed's commits as they happened


@pytest.mark.slow
def test_sigterm_finishes_the_step_and_exits_cleanly(tmp_path, sqlite_url):
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, registry.DEFAULT_REGISTRY)
    env = {**os.environ, "PYTHONPATH": str(registry.DATA.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "lib.demo.feed", "--db", sqlite_url, "--rate", "60000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        wait_until(lambda: count(sqlite_url, "visit") > 0, 30 * WAIT_SCALE)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped:" in out
    assert count(sqlite_url, "visit") > 0


def test_an_empty_store_is_refused(sqlite_url, capsys):
    assert feed.main(["--db", sqlite_url, "--seconds", "1"]) == 2
    assert "no county" in capsys.readouterr().err


def test_quiet_at_night_busy_in_the_morning():
    assert feed._shape(dt.datetime(2026, 3, 19, 3)) < 0.5 < 1.5 < feed._shape(dt.datetime(2026, 3, 19, 10))
