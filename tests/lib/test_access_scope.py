"""Scoping in lib (tiny county, both backends): a pastoral officer's scores, exports and KPI scopes hold
pastoral units only; the watermark is in every export; the CLIs run ``--as`` a user refuse what the app
refuses (exit 3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from lib.access import accounts, settings, trim, watermark
from lib.access.cli import REFUSED
from lib.kpi import catalogue
from lib.kpi.engine import Engine, Scope
from lib.kpi.headline import Tile
from lib.kpi.period import Period
from lib.scoring import exports, score, snapshot
from lib.scoring.__main__ import main as scoring_main
from lib.store import db
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny

NOW = dt.datetime(2026, 11, 20, 9)
PASSWORD = "pastures green 42"
USERS = {"pastor": ("area_staff", {"area": "pastoral"}), "t1-staff": ("unit_staff", {"unit": "T1"}),
         "ops": ("ops_centre", {}), "boss": ("leader", {})}
URBAN = ("H", "T1", "V1")
URBAN_NAMES = ("旗医院", "一号卫生院", "一号卫生室", "Hospital", "THC one", "Clinic one")


@pytest.fixture(scope="module", params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store(request.param, tmp_path_factory.mktemp("access-scope"),
                    fill=functools.partial(tiny.build_with_users, users=USERS, password=PASSWORD, now=NOW)) as store:
        yield store


def _viewer(url: str, name: str):
    with db.engine(url).connect() as conn:
        return accounts.viewer(conn, name)


@pytest.fixture(scope="module")
def october(url: str) -> score.Scores:
    with db.engine(url).connect() as conn:
        return score.draft(conn, tiny.OCT, now=NOW, trend_months=2)


def test_an_area_officers_scores_hold_its_units_with_the_countys_ranks(url, october):
    seen = october.seen_by(_viewer(url, "pastor"))
    assert set(seen.units["facility_code"]) == {"T2", "V2"} & set(october.units["facility_code"])
    assert set(seen.items["facility_code"]) <= {"T2", "V2"}
    county = october.units.set_index("facility_code")["rank"]
    assert seen.units.set_index("facility_code")["rank"].equals(county.loc[seen.units["facility_code"]])
    assert october.seen_by(_viewer(url, "boss")) is october


def test_exports_of_a_scoped_viewer_name_no_other_unit_and_carry_the_watermark(url, october):
    mark = watermark.label("pastor", dt.datetime(2026, 11, 20, 9, 30))
    seen = october.seen_by(_viewer(url, "pastor"))
    book = openpyxl.load_workbook(io.BytesIO(exports.excel(seen, "zh", mark)))
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert [n for n in URBAN_NAMES if n in cells] == []
    assert all(ws.oddHeader.right.text == mark and ws.oddFooter.left.text == mark for ws in book.worksheets)
    assert mark in cells  # on the about sheet, on screen too
    report = exports.report_html(seen, "zh", mark)
    assert [n for n in URBAN_NAMES if n in report] == []
    assert 'class="cockpit-watermark"' in report
    assert "pastor" in report


def test_a_watermark_cannot_inject_markup():
    evil = '</style><script>alert(1)</script>"'
    css = watermark.css(evil)
    assert "<" not in css
    assert '"' not in css.split('url("', 1)[1].rsplit('")', 1)[0]
    assert "&lt;script&gt;" in watermark.tile_svg(evil)


def test_without_a_mark_the_exports_are_as_before(october):
    book = openpyxl.load_workbook(io.BytesIO(exports.excel(october, "zh")))
    assert all(not ws.oddHeader.right.text for ws in book.worksheets)
    assert "cockpit-watermark" not in exports.report_html(october, "zh")


def test_missing_reports_are_named_only_to_viewers_who_see_the_unit(url):
    with db.engine(url).connect() as conn:
        engine = Engine(conn, today=tiny.TODAY)
        value = engine.compute(["primary_visit_share"], [Scope()], Period("month", tiny.OCT))[0]
        units = engine.units
    value = dataclasses.replace(value, missing_units=("H", "T2"))
    tile = Tile(value, "x", "x", [], None, missing=(("旗医院", "Hospital"), ("二号卫生院", "THC two")))
    [seen] = trim.tiles([tile], _viewer(url, "pastor"), units)
    assert seen.missing == (("二号卫生院", "THC two"),)
    assert seen.value.missing_units == ("T2",)
    assert seen.value.value == value.value  # the total itself is everyone's
    assert trim.tiles([tile], _viewer(url, "boss"), units) == [tile]


def _kpi(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lib.kpi", "show", "--period", "2026-10", "--db", url, *args],
                          capture_output=True, text=True, cwd=db.ROOT, timeout=300, check=False)


@pytest.mark.parametrize(("args", "status"), [
    (("--area", "urban", "--as", "pastor"), REFUSED),
    (("--facility", "H", "--as", "pastor"), REFUSED),
    (("--community", "c1", "--as", "pastor"), REFUSED),  # the community holds urban units too
    (("--facility", "T2", "--as", "t1-staff"), REFUSED),
    (("--as", "nobody"), REFUSED),
    (("--area", "pastoral", "--as", "pastor"), 0),
    (("--as", "pastor"), 0),  # county totals
    (("--facility", "T1", "--as=t1-staff"), 0),
    (("--area", "urban"), 0),  # without --as: the store's owner, as before
])
def test_kpi_show_as_a_user_is_refused_outside_its_scope(url, args, status):
    run = _kpi(url, *args)
    assert run.returncode == status, run.stderr
    if status == REFUSED:
        assert run.stderr.startswith("refused:")
        assert run.stdout == ""
    else:
        assert run.stdout.startswith("code ")  # the table of indicators


@pytest.mark.parametrize("who", ["pastor", "boss", "t1-staff", "nobody"])
def test_only_the_operations_centre_publishes_from_the_cli(url, who, capsys):
    assert scoring_main(["--db", url, "publish", "--month", "2026-10", "--as", who]) == REFUSED
    assert "refused" in capsys.readouterr().err
    assert scoring_main(["--db", url, "weights", "load", "--as", who]) == REFUSED


def test_the_operations_centre_publishes_under_its_own_name(url):
    assert scoring_main(["--db", url, "publish", "--month", "2026-09", "--by", "someone-else", "--as", "ops"]) == 0
    with db.engine(url).connect() as conn:
        assert snapshot.versions(conn, tiny.SEP)[-1].published_by == "ops"


def test_the_setting_file_and_the_environment_turn_sign_in_on(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(settings.ENV, raising=False)
    assert settings.load(tmp_path / "absent.toml") == settings.Settings()
    (tmp_path / "access.toml").write_text("enabled = true\nidle_minutes = 5\nmax_failures = 3\n")
    on = settings.load(tmp_path / "access.toml")
    assert (on.enabled, on.idle, on.max_failures) == (True, dt.timedelta(minutes=5), 3)
    monkeypatch.setenv(settings.ENV, "off")
    assert not settings.load(tmp_path / "access.toml").enabled
    monkeypatch.setenv(settings.ENV, "on")
    assert settings.load(tmp_path / "absent.toml").enabled
    monkeypatch.delenv(settings.ENV)
    assert not settings.load(settings.SETTINGS).enabled  # the repository's file: the demo stays open


def test_what_the_app_writes_may_go_through_a_role_of_its_own(monkeypatch):
    monkeypatch.setenv("COCKPIT_DB_URL", "postgresql://view@db/cockpit")
    monkeypatch.delenv("COCKPIT_DB_WRITE_URL", raising=False)
    assert db.resolve_write_url() == db.resolve_url()
    monkeypatch.setenv("COCKPIT_DB_WRITE_URL", "postgresql://ingest@db/cockpit")
    assert db.resolve_write_url() == "postgresql+psycopg://ingest@db/cockpit"
    assert db.resolve_url() == "postgresql+psycopg://view@db/cockpit"


@pytest.mark.parametrize(("who", "status"), [("pastor", REFUSED), ("boss", REFUSED), ("ops", 0)])
def test_only_the_operations_centre_changes_targets_from_the_cli(url, who, status):
    targets = Path(tiny.__file__).with_name("tiny_targets.toml")
    assert catalogue.main(["sync", "--targets", str(targets), "--county", "000001", "--db", url, "--as", who]) == status


def test_scores_shown_as_an_area_officer_hold_its_units_only(url, capsys):
    assert scoring_main(["--db", url, "show", "--month", "2026-10", "--json", "--as", "pastor"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {u["facility_code"] for u in shown["units"]} <= {"T2", "V2"}
    assert {i["facility_code"] for i in shown["items"]} <= {"T2", "V2"}
    assert shown["units"]
