"""Event files (lib.ingest.events) and the drop folder (lib.ingest.watch) on the tiny county: events land with
their rollups, a re-sent event changes nothing, a changed one updates its rollup, a malformed file is
refused whole with the store unchanged, and the drop folder never takes a half-written file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib.ingest import __main__ as cli
from lib.ingest import events
from lib.ingest.problems import Refused
from lib.store import db
from tests.lib.conftest import everything


def visit(source_id: str, **changes: object) -> dict:
    """A visit at the county hospital H by a resident of V1, as the hospital's system exports it."""
    return {"event": "visit", "source_system": "HIS-H", "source_id": source_id, "facility_code": "H",
            "home_facility_code": "V1", "ts": "2026-10-20T09:30:00+08:00", "kind": "outpatient", "is_tcm": False,
            "is_insured_resident": True, "cost": 120.0, "fund_paid": 60.0, "age_band": "45-64", **changes}


def _jsonl(*records: dict) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


def _october(ingest_store: str, metric: str = "visits") -> float:
    with db.engine(ingest_store).connect() as conn:
        return conn.execute(sa.text("SELECT coalesce(sum(value), 0) FROM rollup_monthly WHERE metric = :k "
                                    "AND month = :m"), {"k": metric, "m": dt.date(2026, 10, 1)}).scalar_one()


def _load(ingest_store: str, path: Path, *extra: str) -> int:
    return cli.main(["events", str(path), "--db", ingest_store, "--county", "000001", "--by", "his", *extra])


def test_events_land_with_their_rollups_and_a_resent_file_changes_nothing(ingest_store: str, tmp_path: Path) -> None:
    before = _october(ingest_store)
    path = tmp_path / "his-20261021.jsonl"
    path.write_bytes(_jsonl(visit("1"), visit("2", ts="2026-10-31T16:30:00Z"), visit("3", kind="emergency")))
    assert _load(ingest_store, path) == 0
    assert _october(ingest_store) == before + 2  # 16:30 UTC on 31 October is 00:30 on 1 November in the county ...
    with db.engine(ingest_store).connect() as conn:
        when = conn.execute(sa.text("SELECT ts FROM visit WHERE source_id = '2'")).scalar_one()
    assert str(when).startswith("2026-11-01 00:30")  # ... and is kept as the county's wall clock
    once = everything(ingest_store)
    assert _load(ingest_store, path) == 0
    assert everything(ingest_store) == once
    path.write_bytes(_jsonl(visit("1", cost=150.0), visit("2", ts="2026-10-31T16:30:00Z")))
    assert _load(ingest_store, path) == 0
    with db.engine(ingest_store).connect() as conn:
        audit = conn.execute(sa.text("SELECT kind, inserted, updated, unchanged FROM ingest_audit ORDER BY id")).all()
        cost = conn.execute(sa.text("SELECT cost FROM visit WHERE source_id = '1'")).scalar_one()
    assert [tuple(a) for a in audit] == [("events", 3, 0, 0), ("events", 0, 1, 1)]
    assert float(cost) == 150


def test_csv_events_and_standard_input(ingest_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _october(ingest_store, "ref_sent")
    path = tmp_path / "referrals.csv"
    path.write_text("event,source_system,source_id,from_facility_code,to_facility_code,destination_code,direction,"
                    "disease_group,sent_at\n"
                    "referral,HIS-T1,r1,T1,H,,up,stroke,2026-10-12 08:00:00\n"
                    "referral,HIS-T1,r2,T1,,D1,out,cancer,2026-10-13 08:00:00\n", encoding="gbk")
    assert _load(ingest_store, path) == 0
    assert _october(ingest_store, "ref_sent") == before + 2

    class Stdin:
        buffer = __import__("io").BytesIO(_jsonl(visit("s1")))

    monkeypatch.setattr("sys.stdin", Stdin)
    visits = _october(ingest_store)
    assert cli.main(["events", "-", "--db", ingest_store, "--county", "000001"]) == 0
    assert _october(ingest_store) == visits + 1


BAD_EVENTS = [
    ("a name smuggled in", [visit("b1", patient_name="张三")], "unknown_field"),
    ("a required field missing", [{k: v for k, v in visit("b2").items() if k != "ts"}], "missing_field"),
    ("an unknown unit", [visit("b3", facility_code="T9")], "unknown_code"),
    ("a time that is not one", [visit("b4", ts="20日上午")], "bad_format"),
    ("a kind of visit not known", [visit("b5", kind="telephone")], "not_allowed"),
    ("an unknown event kind", [{**visit("b6"), "event": "surgery"}], "unknown_kind"),
    ("an out-of-county referral without a destination",
     [{"event": "referral", "source_system": "HIS-T1", "source_id": "b7", "from_facility_code": "T1",
       "direction": "out", "disease_group": "x", "sent_at": "2026-10-12T08:00:00"}], "missing_field"),
    ("the same event twice", [visit("b8"), visit("b8")], "duplicate_event"),
    ("a cost in words", [visit("b9", cost="一百")], "wrong_type"),
]


@pytest.mark.parametrize(("case", "records", "reason"), BAD_EVENTS, ids=[c[0] for c in BAD_EVENTS])
def test_a_malformed_event_file_is_refused_whole(ingest_shared_store: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 case: str, records: list[dict], reason: str) -> None:
    before = everything(ingest_shared_store)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(_jsonl(visit("good-1"), *records))  # one good event in front: it must not land either
    assert _load(ingest_shared_store, path) == 1, case
    assert f"ingest.problem.{reason}" not in capsys.readouterr().err  # a sentence, not a key
    with db.engine(ingest_shared_store).connect() as conn, pytest.raises(Refused) as refused:
        events.check(conn, "bad.jsonl", events.parse("bad.jsonl", path.read_bytes()))
    assert {p.reason for p in refused.value.problems} == {reason}
    assert everything(ingest_shared_store) == before


def test_not_json_is_refused(ingest_shared_store: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_bytes(_jsonl(visit("n1")) + b"\n{not json\n")
    before = everything(ingest_shared_store)
    assert _load(ingest_shared_store, path) == 1
    assert everything(ingest_shared_store) == before


def test_the_schemas_in_data_are_the_models_schemas() -> None:
    for kind in events.MODELS:
        written = json.loads((events.SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))
        assert written == events.schema(kind), f"run python -m lib.ingest schemas ({kind})"


def test_the_drop_folder_takes_finished_files_only(ingest_store: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "满意度-2026-09.csv").write_bytes("单位编码,患者满意度\nT1,81\n".encode("gbk"))
    (drop / "typo-2026-09.csv").write_bytes("单位编码,患者满意度\nT1,八十\n".encode())
    (drop / "his.jsonl").write_bytes(_jsonl(visit("w1")))
    (drop / "still-copying.jsonl.part").write_bytes(b'{"event": "vis')
    assert cli.main(["watch", str(drop), "--once", "--settle", "0.2", "--db", ingest_store, "--county", "000001"]) == 0
    assert sorted(p.name for p in (drop / "done").iterdir()) == [
        "his.jsonl", "his.jsonl.report.txt", "满意度-2026-09.csv", "满意度-2026-09.csv.report.txt"]
    assert sorted(p.name for p in (drop / "rejected").iterdir()) == ["typo-2026-09.csv", "typo-2026-09.csv.report.txt"]
    assert "不是数字" in (drop / "rejected" / "typo-2026-09.csv.report.txt").read_text(encoding="utf-8")
    assert (drop / "still-copying.jsonl.part").exists()
