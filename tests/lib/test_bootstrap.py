"""First start builds the default store once, completely or not at all, and never touches other stores;
a later start brings an existing store current, rebuilding its rollups only when their declarations changed.

The demo generator is replaced by a stub that records its calls: what is under test here is the
order of steps, the rename into place and the lock, not the demo data (lib.demo has its own tests).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from lib import i18n
from lib.events import rollup
from lib.store import bootstrap, db, schema
from lib.store.models import County, DailyRollup, Facility, MonthlyRollup, StoreMeta
from tests import demo_stub
from tests.fixtures import tiny
from tests.rollup_snapshot import rebuilt, snapshot


@pytest.fixture
def default_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point lib.store.db's default SQLite file into a temporary data/ folder."""
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
    seen: list[tuple[float, str, dict[str, object]]] = []
    bootstrap.build_demo_store(url, lambda f, key, **fields: seen.append((f, key, fields)))
    assert not bootstrap.needs_demo(url)
    assert _counties(url) == 1
    assert demo_calls == [_url(default_db.with_name("cockpit.db.partial"))]  # built beside, not in place
    assert not default_db.with_name("cockpit.db.partial").exists()
    fractions = [f for f, _, _ in seen]
    assert fractions == sorted(fractions)
    assert (fractions[0], fractions[-1]) == (0.0, 1.0)
    keys = [key for _, key, _ in seen]
    indexes = bootstrap.deferred_indexes()
    assert keys == ["bootstrap.registry", demo_stub.HALF_WAY, *["bootstrap.indexes"] * len(indexes),
                    "bootstrap.finishing", "bootstrap.done"]
    assert [fields["step"] for _, key, fields in seen if key == "bootstrap.indexes"] == list(range(1, len(indexes) + 1))
    for _, key, fields in seen:  # the build's own steps, in both languages (the stub's is not a key)
        if key != demo_stub.HALF_WAY:
            assert all(key in i18n.CATALOGUE and "{" not in i18n.t(key, lang, **fields) for lang in i18n.LANGS), key


def test_the_built_store_has_every_index_and_nothing_beside_it(default_db: Path, demo_calls: list[str]) -> None:
    """Indexes are made after the bulk load, so the finished store must hold every one the models declare."""
    url = _url(default_db)
    bootstrap.build_demo_store(url, lambda f, key, **fields: None)
    assert sorted(p.name for p in default_db.parent.iterdir()) == ["cockpit.db", "cockpit.db.lock"]
    with db.engine(url).connect() as conn:
        inspector = sa.inspect(conn)
        present = {ix["name"] for table in inspector.get_table_names() for ix in inspector.get_indexes(table)}
    assert {str(ix.name) for ix in bootstrap.deferred_indexes()} <= present


def test_the_server_start_begins_the_build_and_sessions_watch_that_one(
        default_db: Path, demo_calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCKPIT_DB_URL", raising=False)
    build = bootstrap.at_server_start()  # no session anywhere
    assert build is not None
    assert bootstrap.build_for(_url(default_db)) is build  # a session arriving now attaches to it
    assert build.done.wait(timeout=30)
    assert build.error is None
    assert build.fraction == 1.0
    assert len(demo_calls) == 1
    assert bootstrap.at_server_start() is None  # the next start finds the store built
    assert bootstrap.build_for(_url(default_db)) is build  # finished and still there: not built again
    default_db.unlink()  # the store removed behind the server's back: the next session builds anew
    again = bootstrap.build_for(_url(default_db))
    assert again is not build
    assert again.done.wait(timeout=30)
    assert len(demo_calls) == 2


def test_the_server_start_leaves_other_stores_alone(default_db: Path, demo_calls: list[str],
                                                    sqlite_url: str) -> None:
    assert bootstrap.at_server_start(sqlite_url) is None
    assert demo_calls == []


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
    second_is_waiting, first_holds_lock = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_progress(f: float, msg: str, **_: object) -> None:
        if msg == demo_stub.HALF_WAY:  # hold the lock until the second session queues behind it
            first_holds_lock.set()
            assert second_is_waiting.wait(timeout=10)

    def second_progress(f: float, msg: str, **_: object) -> None:
        if msg == "bootstrap.waiting":
            second_is_waiting.set()

    def run(progress: bootstrap.Progress) -> None:
        try:
            bootstrap.build_demo_store(url, progress)
        except BaseException as exc:  # surfaced below; a thread would swallow it
            errors.append(exc)

    first = threading.Thread(target=run, args=(first_progress,))
    first.start()
    assert first_holds_lock.wait(timeout=30)  # half way through its demo step, under the lock
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


# --- bringing an existing store current: rollups rebuilt when their declarations changed ----------------


def _stored(url: str) -> str | None:
    with db.engine(url).connect() as conn:
        return rollup.stored_fingerprint(conn)


def _bring_current(url: str) -> list[tuple[float, str]]:
    """Run bring_current and return what it reported (fraction, and the key with its step for the rollups)."""
    seen: list[tuple[float, str]] = []
    bootstrap.bring_current(url, lambda f, key, **fields: seen.append((f, i18n.t(key, "en", **fields))))
    return seen


def _reported_a_rebuild(seen: list[tuple[float, str]]) -> bool:
    """A rebuild told step by step: a new fraction and step at each metric family, up to 1.0."""
    fractions = [f for f, _ in seen]
    steps = len(rollup.families()) + 1
    told = [i18n.t("bootstrap.rollups", "en", step=i, steps=steps) for i in range(1, steps + 1)]
    return (fractions == sorted(fractions) and len(set(fractions)) == steps + 1 and fractions[-1] == 1.0
            and list(dict.fromkeys(text for _, text in seen)) == told)


def _forget(conn: sa.Connection) -> None:
    conn.execute(sa.delete(StoreMeta))


def _make_stale(conn: sa.Connection) -> None:
    conn.execute(sa.update(StoreMeta).values(value="built by an older app"))


@pytest.mark.parametrize("damage", [_forget, _make_stale])
def test_rollups_with_a_missing_or_stale_fingerprint_are_rebuilt(
        store_url: str, damage: Callable[[sa.Connection], None]) -> None:
    tiny.build(store_url)  # written through lib.events: the incremental path records no fingerprint
    assert _stored(store_url) is None
    with db.engine(store_url).connect() as conn:
        expected = rebuilt(conn)
    assert _reported_a_rebuild(_bring_current(store_url))
    assert _stored(store_url) == rollup.fingerprint()
    with db.engine(store_url).begin() as conn:
        conn.execute(sa.delete(DailyRollup))
        conn.execute(sa.delete(MonthlyRollup))
        damage(conn)
    assert _reported_a_rebuild(_bring_current(store_url))
    assert _stored(store_url) == rollup.fingerprint()
    with db.engine(store_url).connect() as conn:
        assert snapshot(conn) == expected


def test_a_current_store_is_not_rebuilt_until_the_declarations_change(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny.build(store_url)
    _bring_current(store_url)
    with db.engine(store_url).begin() as conn:
        expected = snapshot(conn)
        facility = conn.execute(sa.select(Facility.id).limit(1)).scalar_one()
        conn.execute(sa.insert(DailyRollup).values(day=dt.date(2000, 1, 1), facility_id=facility, metric="sentinel",
                                                   dim="", value=1))

    def sentinel() -> int:
        with db.engine(store_url).connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(DailyRollup)
                                .where(DailyRollup.metric == "sentinel")).scalar_one()

    assert _bring_current(store_url) == []  # nothing to report: nothing rebuilt
    assert sentinel() == 1
    # A new app version declares its metrics differently (here: one dropped), so its start rebuilds.
    monkeypatch.setattr(rollup, "METRICS", tuple(m for m in rollup.METRICS if m.code != "visits_tcm"))
    assert _reported_a_rebuild(_bring_current(store_url))
    assert sentinel() == 0
    assert _stored(store_url) == rollup.fingerprint()
    with db.engine(store_url).connect() as conn:
        metrics = {m for _, _, m, _ in snapshot(conn)["rollup_daily"]}
    assert metrics == {m for _, _, m, _ in expected["rollup_daily"]} - {"visits_tcm"}
    monkeypatch.undo()  # and back: the rollups are those of the declarations in force again
    assert _reported_a_rebuild(_bring_current(store_url))
    with db.engine(store_url).connect() as conn:
        assert snapshot(conn) == expected
    assert _bring_current(store_url) == []


def test_a_store_without_events_is_left_alone(store_url: str) -> None:
    bootstrap.load_reference(store_url)
    assert _bring_current(store_url) == []
    assert _stored(store_url) is None  # nothing was built, so nothing is claimed


def test_a_store_from_before_the_fingerprint_is_migrated_then_rebuilt(store_url: str) -> None:
    tiny.build(store_url)  # with today's models, then taken back to the schema of before the fingerprint
    command.downgrade(schema._config(store_url), "0003")
    assert not schema.is_current(store_url)
    seen = _bring_current(store_url)
    assert seen[0] == (0.0, i18n.t("bootstrap.schema", "en"))
    assert _reported_a_rebuild(seen[1:])
    assert schema.is_current(store_url)
    assert _stored(store_url) == rollup.fingerprint()
    with db.engine(store_url).connect() as conn:
        assert snapshot(conn) == rebuilt(conn)
