"""Month partitions of the event tables (lib.store.partition): same rows, ids and figures after, new events in
their month's partition, idempotent, all or nothing, and a clear refusal on SQLite."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import i18n
from lib.events import rollup, write
from lib.ingest import __main__ as ingest
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import db, partition
from lib.store.models import DailyRollup, Facility, MonthlyRollup, Visit
from tests.conftest import make_store
from tests.fixtures import tiny

CODES = ["in_county_admission_share", "cost_per_visit", "tcm_visit_share", "htn_managed_rate", "fund_execution"]
PERIODS = [Period("month", dt.date(2026, 10, 1)), Period("ytd", dt.date(2026, 10, 1))]
SCOPES = [Scope(), Scope("area", ("pastoral",))]


@pytest.fixture
def tiny_pg() -> Iterator[str]:
    """A tiny store of this test's own (it is partitioned and written to)."""
    with make_store("postgresql", fill=tiny.build) as url:
        yield url


def figures(url: str) -> list[tuple[object, ...]]:
    """A few indicators as the pages show them: value, numerator, denominator and status."""
    with db.engine(url).connect() as conn:
        engine = Engine(conn, today=tiny.TODAY)
        return [(v.code, p.kind, v.scope, v.value, v.numerator, v.denominator, v.status)
                for p in PERIODS for v in engine.compute(CODES, SCOPES, p)]


def contents(url: str, *tables: type) -> list[list[tuple]]:
    with db.engine(url).connect() as conn:
        return [sorted(tuple(r) for r in conn.execute(sa.select(t))) for t in tables]


def where(url: str, visit_id: int) -> str:
    with db.engine(url).connect() as conn:
        return conn.execute(sa.select(sa.text("tableoid::regclass::text")).select_from(Visit)
                            .where(Visit.id == visit_id)).scalar_one()


def test_partitioned_keeps_rows_ids_and_figures(tiny_pg: str) -> None:
    before = figures(tiny_pg)
    assert all(f[3] is not None for f in before)
    visits, rollups = contents(tiny_pg, Visit), contents(tiny_pg, DailyRollup, MonthlyRollup)

    started = time.perf_counter()
    assert partition.main(["apply", "--db", tiny_pg, "--lang", "en"]) == 0
    print(f"partition apply on the tiny store: {time.perf_counter() - started:.2f} s")  # README's figure

    with db.engine(tiny_pg).begin() as conn:
        assert all(partition.is_partitioned(conn, t) for t in partition.PARTITIONED)
        names = set(conn.execute(sa.text("SELECT inhrelid::regclass::text FROM pg_inherits "
                                         "WHERE inhparent = to_regclass('visit')")).scalars())
        indexes = set(conn.execute(sa.text(  # this store's schema: other tests' schemas come and go meanwhile
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'visit'")).scalars())
        rollup.rebuild(conn)  # the rollups again, out of the partitioned events
    assert {"visit_default", "visit_p2026_09", "visit_p2026_10"} <= names
    assert {d.split(" ON ")[0].split()[-1] for d in indexes} >= {"pk_visit", "ix_visit_ts", "uq_visit_source"}
    assert any("(source_system, source_id, ts)" in d for d in indexes)  # unique only with the partition key
    assert contents(tiny_pg, Visit) == visits  # every row, with its id
    assert contents(tiny_pg, DailyRollup, MonthlyRollup) == rollups
    assert figures(tiny_pg) == before


def test_new_events_land_in_their_month_and_ensure_moves_the_default(tiny_pg: str) -> None:
    assert partition.main(["apply", "--db", tiny_pg]) == 0
    with db.engine(tiny_pg).begin() as conn:
        unit = conn.execute(sa.select(Facility.id).where(Facility.code == "T1")).scalar_one()
        row = {"facility_id": unit, "kind": "outpatient", "is_tcm": False, "is_insured_resident": True,
               "cost": 30, "fund_paid": 10}
        [october, later] = write.record(conn, Visit, [{**row, "ts": dt.datetime(2026, 10, 20, 9)},
                                                      {**row, "ts": dt.datetime(2031, 3, 2, 9)}])
    assert later > october  # ids still come from the table's sequence
    assert where(tiny_pg, october) == "visit_p2026_10"
    assert where(tiny_pg, later) == "visit_default"  # beyond the months made ahead

    with db.engine(tiny_pg).begin() as conn:
        done = partition.ensure(conn, dt.date(2031, 2, 14), months_ahead=1)
    assert "visit_p2031_03" in done.created
    assert "follow_up_p2031_02" in done.created
    assert where(tiny_pg, later) == "visit_p2031_03"

    with db.engine(tiny_pg).begin() as conn:  # idempotent: a second run changes nothing
        assert partition.apply(conn, dt.date(2031, 2, 14), months_ahead=1) == partition.Done([], [])


def test_all_or_nothing(tiny_pg: str) -> None:
    """A table that another refers to stops the run before anything is left half-converted."""
    with db.engine(tiny_pg).begin() as conn:
        conn.execute(sa.text("CREATE TABLE contract_note (contract_id INTEGER REFERENCES fd_contract (id))"))
    assert partition.main(["apply", "--db", tiny_pg, "--lang", "en"]) == 1
    with db.engine(tiny_pg).connect() as conn:
        assert not any(partition.is_partitioned(conn, t) for t in partition.PARTITIONED)


def test_sqlite_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    assert partition.main(["apply", "--db", f"sqlite:///{missing}", "--lang", "en"]) == 1
    assert not missing.exists()  # no store file left behind by the refusal
    with make_store("sqlite", tmp_path) as url:
        assert partition.main(["ensure", "--db", url]) == 1
        with db.engine(url).begin() as conn, pytest.raises(partition.PartitionError):
            partition.apply(conn, tiny.TODAY)
    err = capsys.readouterr().err
    assert i18n.t("partition.sqlite", "en") in err
    assert i18n.t("partition.sqlite", "zh") in err


def test_an_event_file_on_partitioned_tables(tiny_pg: str, tmp_path: Path) -> None:
    """lib.ingest's upsert by source key still holds: a re-sent event changes nothing, a changed time moves
    the row to its new month's partition, keeping its id."""
    assert partition.main(["apply", "--db", tiny_pg]) == 0
    sent = {"event": "visit", "source_system": "HIS-H", "source_id": "1", "facility_code": "H",
            "ts": "2026-10-20T09:30", "kind": "outpatient", "is_tcm": False, "is_insured_resident": True,
            "cost": 120.0, "fund_paid": 60.0}
    path = tmp_path / "his.jsonl"

    def load(**changes: object) -> int:
        path.write_text(json.dumps({**sent, **changes}))
        assert ingest.main(["events", str(path), "--db", tiny_pg, "--by", "his"]) == 0
        with db.engine(tiny_pg).connect() as conn:
            return conn.execute(sa.select(Visit.id).where(Visit.__table__.c.source_id == "1")).scalar_one()

    first = load()
    assert load() == first
    assert where(tiny_pg, first) == "visit_p2026_10"
    assert load(ts="2026-11-02T08:00") == first
    assert where(tiny_pg, first) == "visit_p2026_11"
    with db.engine(tiny_pg).connect() as conn:
        audit = conn.execute(sa.text("SELECT inserted, updated FROM ingest_audit ORDER BY id")).all()
    assert [tuple(a) for a in audit] == [(1, 0), (0, 1)]
