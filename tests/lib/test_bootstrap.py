"""First start builds the default store once, completely or not at all, and never touches other stores.

The demo generator is replaced by a stub that records its calls: what is under test here is the
order of steps, the rename into place and the lock, not the demo data (lib.demo has its own tests).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import bootstrap, db, schema
from lib.models import County
from tests import demo_stub


@pytest.fixture
def default_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point lib.db's default SQLite file into a temporary data/ folder."""
    path = tmp_path / "data" / "cockpit.db"
    path.parent.mkdir()
    monkeypatch.setattr(db, "DEFAULT_SQLITE", path)
    return path


@pytest.fixture
def demo_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs of the stores the (stub) demo generator was run on."""
    return demo_stub.recording(monkeypatch)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _counties(url: str) -> int:
    with db.engine(url).connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(County)).scalar_one()


def test_only_the_default_file_ever_needs_demo_data(default_db: Path, sqlite_url: str) -> None:
    assert not bootstrap.needs_demo(sqlite_url)  # an empty store named by COCKPIT_DB_URL is left alone
    assert not bootstrap.needs_demo("postgresql+psycopg://cockpit@db/cockpit")
    url = _url(default_db)
    assert bootstrap.needs_demo(url)  # missing
    schema.upgrade(url)
    assert bootstrap.needs_demo(url)  # tables but no county
    bootstrap.load_reference(url)
    assert not bootstrap.needs_demo(url)


def test_build_fills_the_store_then_moves_it_into_place(default_db: Path, demo_calls: list[str]) -> None:
    url = _url(default_db)
    seen: list[tuple[float, str]] = []
    bootstrap.build_demo_store(url, lambda f, msg: seen.append((f, msg)))
    assert not bootstrap.needs_demo(url)
    assert _counties(url) == 1
    assert demo_calls == [_url(default_db.with_name("cockpit.db.partial"))]  # built beside, not in place
    assert not default_db.with_name("cockpit.db.partial").exists()
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert (fractions[0], fractions[-1]) == (0.0, 1.0)
    steps = ["bootstrap.registry", demo_stub.HALF_WAY, "bootstrap.finishing", "bootstrap.done"]
    assert [msg for _, msg in seen] == steps


def test_a_failed_build_leaves_no_store(default_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(engine: sa.Engine, **_: object) -> dict[str, int]:
        raise RuntimeError("disk full")

    demo_stub.install(monkeypatch, broken)
    with pytest.raises(RuntimeError, match="disk full"):
        bootstrap.build_demo_store(_url(default_db), lambda f, msg: None)
    assert not default_db.exists()
    assert bootstrap.needs_demo(_url(default_db))


def test_concurrent_first_sessions_build_once(default_db: Path, demo_calls: list[str]) -> None:
    url = _url(default_db)
    second_is_waiting = threading.Event()
    errors: list[BaseException] = []

    def first_progress(f: float, msg: str) -> None:
        if msg == demo_stub.HALF_WAY:  # hold the lock until the second session queues behind it
            assert second_is_waiting.wait(timeout=10)

    def second_progress(f: float, msg: str) -> None:
        if msg == "bootstrap.waiting":
            second_is_waiting.set()

    def run(progress: bootstrap.Progress) -> None:
        try:
            bootstrap.build_demo_store(url, progress)
        except BaseException as exc:  # surfaced below; a thread would swallow it
            errors.append(exc)

    first = threading.Thread(target=run, args=(first_progress,))
    first.start()
    while not demo_calls and first.is_alive():  # the first session holds the lock once its demo step began
        time.sleep(0.01)
    second = threading.Thread(target=run, args=(second_progress,))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    assert errors == []
    assert second_is_waiting.is_set()
    assert len(demo_calls) == 1
    assert _counties(url) == 1


def test_a_background_build_reports_progress_and_errors(default_db: Path, demo_calls: list[str]) -> None:
    build = bootstrap.start_build(_url(default_db))
    assert build.done.wait(timeout=30)
    assert (build.error, build.fraction, build.message) == (None, 1.0, "bootstrap.done")
    failed = bootstrap.start_build("postgresql+psycopg://cockpit@db/cockpit")
    assert failed.done.wait(timeout=30)
    assert isinstance(failed.error, ValueError)
