"""Monthly report files (lib.ingest): a corpus of malformed files, each refused for its own reason with the
store unchanged, and good files (xlsx, GBK and UTF-8 CSV) accepted, idempotent, correctable, audited.

The tiny county (tests/fixtures/tiny.py) reports for October 2026; these files report September, which
holds one value (T2's patient satisfaction, 60) to correct.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from lib.ingest import __main__ as cli
from lib.ingest import kinds, monthly, table, templates
from lib.ingest.problems import CAP, Refused
from lib.scoring import snapshot
from lib.store import db
from tests.fixtures import tiny
from tests.lib.conftest import everything

SEPT = "2026-09"
SURVEY_HEADER = ["单位编码", "单位名称", "月份", "患者满意度", "职工满意度"]
REGISTER_HEADER = ["单位编码", "月份", "高血压登记人数", "高血压规范管理人数"]


def _csv(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows: list[list[object]], edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None] = lambda s: None,
          ) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    edit(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _survey(*rows: list[object]) -> list[list[object]]:
    return [SURVEY_HEADER, *rows]


def _merge(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet.merge_cells("D2:E2")


def _formula(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
    sheet["D2"] = "=80+5"  # openpyxl saves no cached value, as a generator that never opened Excel


# (case, file name, content, reason): each refused for its reason, nothing else wrong in the file.
CORPUS = [
    ("empty", "empty.csv", b"", "empty_file"),
    ("blank lines", "blank.csv", b"\r\n\r\n ,,\r\n", "no_rows"),
    ("header only", "header.csv", _csv([SURVEY_HEADER]), "header_only"),
    ("binary", "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    ("old excel", "report.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old_excel"),
    ("zip not a workbook", "report.xlsx", b"PK\x03\x04" + bytes(100), "not_workbook"),
    ("encoding", "latin.csv", "单位编码,月份\n".encode() + b"\x80\x80\xff\n", "encoding"),
    ("merged cells", "merged.xlsx", _xlsx(_survey(["T1", "THC one", SEPT, 80, 81]), _merge), "merged"),
    ("formula without value", "formula.xlsx", _xlsx(_survey(["T1", "THC one", SEPT, None, 81]), _formula),
     "formula_no_value"),
    ("unknown column", "extra.csv", _csv([[*SURVEY_HEADER, "床位数"], ["T1", "THC one", SEPT, 80, 81, 30]]),
     "unknown_column"),
    ("repeated column", "twice.csv", _csv([[*SURVEY_HEADER, "Patient satisfaction"],
                                            ["T1", "THC one", SEPT, 80, 81, 80]]), "repeated_column"),
    ("no unit code column", "nocode.csv", _csv([["单位名称", "患者满意度"], ["THC one", 80]]), "missing_column"),
    ("no figure columns", "names.csv", _csv([["单位编码", "单位名称"], ["T1", "THC one"]]), "no_value_columns"),
    ("value under no header", "stray.csv", _csv([[*SURVEY_HEADER, ""], ["T1", "THC one", SEPT, 80, 81, 99]]),
     "no_header"),
    ("unknown unit", "unknown.csv", _csv(_survey(["T9", "", SEPT, 80, 81])), "unknown_unit"),
    ("empty unit code", "nounit.csv", _csv(_survey(["", "THC one", SEPT, 80, 81])), "missing_unit"),
    ("another county's unit", "other.csv", _csv(_survey(["X1", "外旗卫生院", SEPT, 80, 81])), "other_county"),
    ("name of another unit", "swap.csv", _csv(_survey(["T1", "THC two", SEPT, 80, 81])), "name_mismatch"),
    ("wrong month", "august.csv", _csv(_survey(["T1", "THC one", "2026-08", 80, 81])), "wrong_month"),
    ("empty month", "nomonth.csv", _csv(_survey(["T1", "THC one", "", 80, 81])), "missing_month"),
    ("not a month", "word.csv", _csv(_survey(["T1", "THC one", "九月", 80, 81])), "not_month"),
    ("not a number", "words.csv", _csv(_survey(["T1", "THC one", SEPT, "八十", 81])), "not_number"),
    ("negative", "minus.csv", _csv(_survey(["T1", "THC one", SEPT, -5, 81])), "negative"),
    ("score above 100", "high.csv", _csv(_survey(["T1", "THC one", SEPT, 120, 81])), "out_of_range"),
    ("fractional level", "emr.csv", _csv([["单位编码", "电子病历应用水平分级"], ["H", 4.5]]), "not_integer"),
    ("not yes or no", "hall.csv", _csv([["单位编码", "中医馆（蒙医馆）"], ["T1", "maybe"]]), "not_flag"),
    ("not reported at this level", "village.csv", _csv([["单位编码", "电子病历应用水平分级"], ["V1", 3]]),
     "not_for_level"),
    ("managed above registered", "managed.csv", _csv([REGISTER_HEADER, ["V1", SEPT, 40, 41]]),
     "above_denominator"),
    ("register count alone", "alone.csv", _csv([REGISTER_HEADER[:3], ["V1", SEPT, 40]]), "register_pair"),
    ("duplicate unit", "dup.csv", _csv(_survey(["T1", "THC one", SEPT, 80, 81], ["T1", "THC one", SEPT, 82, 81])),
     "duplicate_unit"),
]


def _reasons(refused: Refused) -> set[str]:
    return {p.reason for p in refused.problems}


@pytest.mark.parametrize(("case", "name", "content", "reason"), CORPUS, ids=[c[0] for c in CORPUS])
def test_a_malformed_file_is_refused_for_its_reason_and_changes_nothing(
        ingest_shared_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        case: str, name: str, content: bytes, reason: str) -> None:
    before = everything(ingest_shared_store)
    path = tmp_path / name
    path.write_bytes(content)
    assert cli.main(["monthly", str(path), "--month", SEPT, "--db", ingest_shared_store, "--county", "000001"]) == 1
    said = capsys.readouterr().err
    assert name in said
    assert "Traceback" not in said
    with pytest.raises(Refused) as refused:
        _check(ingest_shared_store, name, content)
    assert _reasons(refused.value) == {reason}, case
    assert everything(ingest_shared_store) == before


def _check(ingest_store: str, name: str, content: bytes, month: str = SEPT) -> monthly.Plan:
    with db.engine(ingest_store).connect() as conn:
        _, county, units = monthly.county_units(conn, "000001")
    day = dt.date.fromisoformat(month + "-01")
    return monthly.check(table.read(name, content), content, day, units, county, tiny.TODAY)


def test_the_corpus_holds_at_least_25_distinct_reasons() -> None:
    assert len({c[3] for c in CORPUS}) >= 25


def test_a_file_above_the_limit_is_refused_before_it_is_read(ingest_shared_store: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # sparse: 45 MB on the books, nothing to read
        fh.truncate(45 * 1024 * 1024)
    before = everything(ingest_shared_store)
    assert cli.main(["monthly", str(big), "--month", SEPT, "--db", ingest_shared_store, "--county", "000001",
                     "--lang", "en"]) == 1
    said = capsys.readouterr().err
    assert "45.0 MB" in said
    assert "20 MB" in said
    assert everything(ingest_shared_store) == before


def test_every_problem_is_listed_at_once_with_where_and_why_in_both_languages(ingest_shared_store: str) -> None:
    content = _csv(_survey(["T1", "THC one", SEPT, "八十", 81], ["T9", "", SEPT, 80, 81],
                           ["T2", "THC two", "2026-08", 80, 120]))
    with pytest.raises(Refused) as refused:
        _check(ingest_shared_store, "many.csv", content)
    assert _reasons(refused.value) == {"not_number", "unknown_unit", "wrong_month", "out_of_range"}
    zh, en = refused.value.lines("zh"), refused.value.lines("en")
    assert "many.csv，第 2 行，列“患者满意度”：值“八十”不是数字" in zh
    assert 'many.csv, row 4, column "职工满意度": value "120" is outside the valid range 0–100' in en


def test_problems_beyond_the_cap_are_counted(ingest_shared_store: str) -> None:
    content = _csv(_survey(*[[f"Z{i}", "", SEPT, 80, 81] for i in range(CAP + 30)]))
    with pytest.raises(Refused) as refused:
        _check(ingest_shared_store, "typos.csv", content)
    assert len(refused.value.problems) == CAP
    assert refused.value.more == 30
    assert refused.value.lines("en")[-1] == "… and 30 more problems not listed"


def test_a_title_above_the_header_is_left_alone(ingest_shared_store: str) -> None:
    def titled(sheet: openpyxl.worksheet.worksheet.Worksheet) -> None:
        sheet.insert_rows(1, 2)
        sheet["A1"] = "小旗2026年9月满意度月报"
        sheet.merge_cells("A1:E1")
        sheet["A2"] = "填报单位：卫生健康委"

    content = _xlsx(_survey(["T1", "THC one", SEPT, 80, 81]), titled)
    plan = _check(ingest_shared_store, "titled.xlsx", content)
    assert [(v.column.metric, v.value) for v in plan.values] == [("satisfaction_patient", 80),
                                                                ("satisfaction_staff", 81)]


def test_the_running_month_cannot_be_reported(ingest_shared_store: str) -> None:
    content = _csv(_survey(["T1", "THC one", "2026-11", 80, 81]))
    with pytest.raises(Refused) as refused:
        _check(ingest_shared_store, "early.csv", content, month="2026-11")
    assert _reasons(refused.value) == {"month_not_over"}


def _september(ingest_store: str) -> dict[tuple[str, str], float]:
    with db.engine(ingest_store).connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT f.code, r.metric, r.value FROM monthly_report r JOIN facility f ON f.id = r.facility_id "
            "WHERE r.month = :m"), {"m": dt.date(2026, 9, 1)}).all()
    return {(code, metric): value for code, metric, value in rows}


def _upload(ingest_store: str, path: Path, *extra: str) -> int:
    return cli.main(["monthly", str(path), "--month", SEPT, "--db", ingest_store, "--county", "000001", "--by", "clerk",
                     *extra])


def test_a_filled_template_is_accepted_and_the_same_file_twice_changes_nothing(ingest_store: str,
                                                                                tmp_path: Path) -> None:
    path = tmp_path / "surveys.xlsx"
    assert cli.main(["template", "surveys", "--out", str(path), "--month", SEPT, "--db", ingest_store,
                     "--county", "000001"]) == 0
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:4] == ["单位编码", "单位名称", "月份", "患者满意度"]
    assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == ["H", "T1", "T2", "V1", "V2"]
    for r in range(2, sheet.max_row + 1):  # a clerk fills patient and staff satisfaction, leaves the rest
        sheet.cell(r, 4).value, sheet.cell(r, 5).value = 70 + r, 75
    book.save(path)
    assert _upload(ingest_store, path) == 0
    values = _september(ingest_store)
    assert values[("T1", "satisfaction_patient")] == 73
    assert values[("V2", "satisfaction_staff")] == 75
    assert ("T1", "satisfaction_government") not in values  # left blank: not reported, not 0
    once = everything(ingest_store)
    assert _upload(ingest_store, path) == 0
    assert everything(ingest_store) == once
    with db.engine(ingest_store).connect() as conn:
        audit = conn.execute(sa.text("SELECT by, channel, kind, file_name, rows, inserted, updated FROM ingest_audit"))
        assert audit.all() == [("clerk", "cli", "surveys", "surveys.xlsx", 5, 9, 1)]


_T2_SEPTEMBER = ("SELECT received_at FROM monthly_report WHERE month = :m AND metric = 'satisfaction_patient' "
                 "AND facility_id = (SELECT id FROM facility WHERE code = 'T2')")


def test_a_correction_replaces_the_value_and_keeps_the_old_one(ingest_store: str, tmp_path: Path) -> None:
    with db.engine(ingest_store).connect() as conn:
        received = conn.execute(sa.text(_T2_SEPTEMBER), {"m": dt.date(2026, 9, 1)}).scalar_one()
    path = tmp_path / "fix.csv"
    path.write_bytes(_csv(_survey(["T2", "THC two", SEPT, 66, None])))
    assert _upload(ingest_store, path) == 0
    assert _september(ingest_store)[("T2", "satisfaction_patient")] == 66
    with db.engine(ingest_store).connect() as conn:
        history = conn.execute(sa.text("SELECT f.code, h.item, h.value, h.received_at FROM report_history h "
                                       "JOIN facility f ON f.id = h.facility_id")).all()
        kept = conn.execute(sa.text(_T2_SEPTEMBER), {"m": dt.date(2026, 9, 1)}).scalar_one()
    assert [(c, i, v) for c, i, v, _ in history] == [("T2", "satisfaction_patient", 60)]
    assert str(kept) == str(received) == str(history[0][3])  # a correction is not a late report


def test_gbk_and_english_csv_are_accepted_with_registers(ingest_store: str, tmp_path: Path) -> None:
    gbk = tmp_path / "registers-gbk.csv"
    gbk.write_bytes(_csv([REGISTER_HEADER, ["V1", "2026年9月", 41, 30]], encoding="gbk"))
    assert _upload(ingest_store, gbk) == 0
    english = tmp_path / "registers-en.csv"
    english.write_bytes(_csv([["Unit code", "Diabetes registered", "Diabetes under standard management"],
                              ["T1", 12, 9]], encoding="utf-8"))
    assert _upload(ingest_store, english) == 0
    with db.engine(ingest_store).connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT f.code, r.register, r.registered, r.managed FROM register_count r "
            "JOIN facility f ON f.id = r.facility_id WHERE r.month = :m ORDER BY f.code, r.register"),
            {"m": dt.date(2026, 9, 1)}).all()
        history = conn.execute(sa.text("SELECT item, field, value FROM report_history ORDER BY field")).all()
    assert [tuple(r) for r in rows] == [("T1", "dm", 12, 9), ("V1", "htn", 41, 30)]
    assert [tuple(h) for h in history] == [("htn", "managed", 25), ("htn", "registered", 38)]


@pytest.mark.parametrize(("fmt", "encoding"), [("xlsx", "utf-8"), ("csv", "utf-8"), ("csv", "gbk")])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_template_reads_back_as_headers_only_rows(ingest_shared_store: str, fmt: str, encoding: str,
                                                        lang: str) -> None:
    """A template as downloaded is a valid file with nothing reported yet: every kind, both languages."""
    with db.engine(ingest_shared_store).connect() as conn:
        _, county, units = monthly.county_units(conn, "000001")
    ours = units[units["county"] == county]
    for kind in kinds.kinds():
        content = templates.build(kind, ours, dt.date(2026, 9, 1), lang, fmt, encoding)
        plan = monthly.check(table.read(f"t.{fmt}", content), content, dt.date(2026, 9, 1), units, county,
                             tiny.TODAY)
        assert plan.values == ()
        assert plan.rows == sum(units["level"].isin(kind.levels) & (units["county"] == county))


def test_ingest_while_pages_read_is_all_or_nothing(ingest_store: str) -> None:
    """A reader polling September's reports sees the file's values all at once or not at all."""
    rows = [["H", "", SEPT, 90, 91], ["T1", "", SEPT, 80, 81], ["V1", "", SEPT, 70, 71], ["V2", "", SEPT, 60, 61]]
    content = _csv(_survey(*rows))
    plan = _check(ingest_store, "all.csv", content)
    seen: set[int] = set()
    done = threading.Event()

    def read() -> None:
        with db.engine(ingest_store).connect() as conn:
            while not done.is_set():
                seen.add(conn.execute(sa.text("SELECT count(*) FROM monthly_report WHERE month = :m"),
                                      {"m": dt.date(2026, 9, 1)}).scalar_one())
                conn.rollback()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with db.engine(ingest_store).begin() as conn:
            monthly.apply(conn, plan, by="clerk", channel="cli", now=dt.datetime(2026, 10, 10, 9))
    finally:
        done.set()
        reader.join()
    # September held six reports (T2 survey, QC, TCM, screening, 名医工作室; H outreach); the file adds eight.
    assert seen <= {6, 14}
    assert _september(ingest_store)[("V2", "satisfaction_staff")] == 61


def test_a_published_month_keeps_its_snapshot(ingest_store: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with db.engine(ingest_store).begin() as conn:
        snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=dt.datetime(2026, 11, 20, 9))
    published = {k: v for k, v in everything(ingest_store).items() if k.startswith("score_snapshot")}
    path = tmp_path / "late.csv"
    path.write_bytes(_csv(_survey(["T1", "THC one", "2026-10", 95, 90])))
    assert cli.main(["monthly", str(path), "--month", "2026-10", "--db", ingest_store, "--county", "000001"]) == 0
    assert "2026-10 的考核已发布：已发布版本保持不变" in capsys.readouterr().out
    assert {k: v for k, v in everything(ingest_store).items() if k.startswith("score_snapshot")} == published
