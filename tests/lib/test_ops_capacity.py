"""The capacity page's figures on the tiny county, worked by hand (tests/fixtures/tiny.py), both stores."""

import datetime as dt

import pytest

from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import capacity
from lib.store import db
from tests.fixtures import tiny

OCTOBER = Period("month", dt.date(2026, 10, 1))


def test_headline_is_the_engines(engine):
    page = capacity.build(engine, Scope(), OCTOBER, None)
    assert set(page.headline) == set(capacity.HEADLINE)
    # 4 licensed GPs (g1–g4) over 1,000 residents; 1 of 2 THCs staffed; 2 of 3 village doctors licensed.
    assert page.headline["gp_per_10k"].value == 40
    assert page.headline["thc_staffing_compliance"].value == 0.5
    assert page.headline["village_doctor_licensed_share"].value == pytest.approx(2 / 3)
    assert [m for m, _ in page.gp_series][-1] == dt.date(2026, 10, 1)
    assert len(page.gp_series) == 12


def test_emr_per_hospital_against_its_tier_target(engine):
    page = capacity.build(engine, Scope(), OCTOBER, None)
    [h] = page.emr.to_dict("records")  # EMR levels are the hospitals' (catalogue tiers)
    assert (h["code"], h["level"], h["target"], h["status"], h["as_of"], h["missing"]) == ("H", 5, 6, "missed",
                                                                                          None, False)


def test_thc_staffing_and_ambulances(engine):
    thcs = capacity.build(engine, Scope(), OCTOBER, None).thcs.set_index("code")
    # T1: 4 technicians of 5 staff (< 90%); T2: 4 of 4, 2 GPs, 1 of 4 physicians Mongolian, 1 public health.
    assert thcs["staffed"].to_dict() == {"T1": False, "T2": True}
    assert thcs["ambulances"].to_dict() == {"T1": 1, "T2": 2}
    assert thcs["as_of"].isna().all()  # this month's reports


def test_a_report_carried_forward_says_its_month(engine):
    """In November (running, today 5 November) the ambulances stand on October's reports, labelled."""
    page = capacity.build(engine, Scope(), Period("month", dt.date(2026, 11, 1)), None)
    assert page.thcs["as_of"].tolist() == [dt.date(2026, 10, 1)] * 2
    assert page.emr.loc[0, "as_of"] == dt.date(2026, 10, 1)


def test_a_report_older_than_the_carry_window_is_not_reported(engine):
    """Next February, October's reports are too old: no value, never 0, and the hospital is named."""
    february = Engine(engine.conn, today=dt.date(2027, 2, 10))
    page = capacity.build(february, Scope(), Period("month", dt.date(2027, 2, 1)), None)
    assert page.thcs["ambulances"].isna().all()
    [h] = page.emr.to_dict("records")
    assert h["level"] is None
    assert h["missing"]


def test_no_plan_file_no_training(engine):
    assert capacity.build(engine, Scope(), OCTOBER, None).training == []  # the tiny county has no plan


def test_a_county_without_a_roster_has_no_data_not_zero(store_url):
    """The registry loaded, no roster yet: GPs, staffing and village doctors are no value, never 0."""
    from lib import registry

    with db.engine(store_url).begin() as conn:
        registry.load(conn, tiny.HERE / "tiny_registry.toml")
    with db.engine(store_url).connect() as conn:
        page = capacity.build(Engine(conn, today=tiny.TODAY), Scope(), OCTOBER, None)
    for code in ("gp_per_10k", "thc_staffing_compliance", "village_doctor_density", "village_doctor_licensed_share"):
        assert page.headline[code].value is None, code
    assert page.thcs["staffed"].isna().all()
