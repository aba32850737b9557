"""The KPI engine against the tiny county, every value worked out by hand (see tests/fixtures/tiny.py).

Scopes: the county and the pastoral area (T2 + V2). Periods: October 2026 and Jan–Oct 2026 (the
fixture has events in September and October only, so "YTD" = September + October).
"""

import datetime as dt
import gc
import tomllib
import weakref

import pytest

from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import db
from tests.fixtures import tiny

MONTH = Period("month", dt.date(2026, 10, 1))
YTD = Period("ytd", dt.date(2026, 10, 1))
COUNTY = Scope()
PASTORAL = Scope("area", ("pastoral",))
NA = "not applicable"

# (indicator, county month, county YTD, pastoral month, pastoral YTD); None = no data (zero denominator).
EXPECTED = [
    # Resident-based: the scope's residents' visits (by home unit, wherever treated) made at THCs/village
    # clinics ÷ all their visits. County Oct: T1 3 + V1 2 + T2 1 + V2 1 = 7 of 11 (H's 4 are V1 2, V2 1,
    # T1 1; T2's truck driver is not a resident). Sep adds H 2 and T2 2: 9 of 15. Pastoral residents
    # (homes T2, V2) Oct: T2 1 + V2 1 at primary, 1 at H (a V2 resident) = 2 of 3; Sep adds T2 2 at T2 and
    # 2 at H (T2 residents): 4 of 7, though every unit located in the area is primary (issue #11 item 7).
    ("primary_visit_share", 7 / 11, 9 / 15, 2 / 3, 4 / 7),
    # Admissions by home unit. Oct: V1 in, V2 in, T2 out. Sep: V2 out, T1 in.
    ("in_county_admission_share", 2 / 3, 3 / 5, 1 / 2, 1 / 3),
    ("out_of_county_rate", 1 / 3, 2 / 5, 1 / 2, 2 / 3),
    # Oct up: V1→T1, T1→H, V2→T2; down: H→T1; out: T2→D1. Sep up: V2→T2, T2→H.
    ("up_referrals", 3, 5, 1, 3),
    ("down_referrals", 1, 1, 0, 0),
    ("down_up_ratio", 1 / 3, 1 / 5, 0, 0),
    # Closed (accepted + feedback): Oct V1→T1, H→T1, T2→D1; Sep both. Sent: 5 in Oct, 7 in all.
    ("referral_closure_rate", 3 / 5, 5 / 7, 1 / 2, 3 / 4),
    ("out_referrals_by_disease", 1, 2, 1, 2),
    # d1 (intermediate) has served 20 + 5 days, d2 (senior) 10 + 7 (25–31 October of a stint running
    # into November); by end-October 30 × 10/12 = 25 are needed.
    ("sinking_days_compliance", 1 / 2, 1 / 2, NA, NA),
    # Days served at a unit within the period, split by day: October T1 10 (d2's tour, 2 Oct) and T2 7
    # (d2 stationed from 25 Oct); Jan–Oct adds d1 at T2 20 (March) and at T1 5 (September).
    ("sinking_days_hosted", 17, 42, 7, 27),
    # On station on 31 October: d2 at T2 (d1's March posting ended): 1 per 1,000 residents (county) or
    # per 400 (pastoral), × 10,000.
    ("stationed_physicians_per_10k", 10, 10, 25, 25),
    ("township_attending_coverage", 1 / 2, 1 / 2, 1, 1),
    ("village_ecg_coverage", 1 / 2, 1 / 2, 0, 0),
    # Primary staff pay 54,000 over 12 people = 4,500; the lead hospital's 33,000 over 4 = 8,250.
    ("pay_ratio_primary_lead", 4500 / 8250, 4500 / 8250, NA, NA),
    # Jan–Oct fund spending: visits 510 + in-county admissions 1,100 + out-of-county 2,500 = 4,110, over
    # the envelope 100,000 × 0.95 − 5,000 = 90,000 (for the month too: execution is cumulative).
    ("fund_execution", 4110 / 90000, 4110 / 90000, NA, NA),
    # Residents' spending by home unit. Oct: visits 350 + in-county 900 of 350 + 900 + 1,500. YTD: 510 +
    # 1,100 of 4,110. Pastoral Oct: visits T2 30 + V2 10 + at H 50, T2's admission of V2's resident 300, of
    # those 390 + T2's out-of-county 1,500; YTD adds Sep visits T2 60 + at H 100, and V2's 1,000 out.
    ("fund_in_county_share", 1250 / 2750, 1610 / 4110, 390 / 1890, 550 / 3050),
    # Oct primary: visits 150 (T1 90, V1 20, T2 30, V2 10) + T2 admission 300 of 350 + 900.
    ("fund_primary_share", 450 / 1250, 710 / 1610, 1, 1),
    # In-county admissions: Oct H 1,000 + T2 500; Sep T1 400.
    ("cost_per_admission", 1500 / 2, 1900 / 3, 500, 500),
    # Outpatient cost / outpatient visits (H's emergency visit excluded).
    ("cost_per_visit", 610 / 11, 910 / 15, 120 / 3, 220 / 5),
    # All visits (the driver included): TCM Oct H 1, T1 1, T2 1, V2 1 of 12; Sep T2 2 of 4.
    ("tcm_visit_share", 4 / 12, 6 / 16, 2 / 3, 4 / 5),
    ("tcm_hall_coverage", 1 / 2, 1 / 2, 0, 0),
    ("village_tcm_service_rate", 1, 1, 1, 1),
    # 五进 3 + 身边 1 in October; 五进 2 more in September.
    ("tcm_outreach_events", 4, 6, NA, NA),
    # Registers are stocks at the period's end (October): htn V1 30/40 + V2 12/20.
    ("htn_managed_rate", 42 / 60, 42 / 60, 12 / 20, 12 / 20),
    ("dm_managed_rate", 8 / 10, 8 / 10, None, None),
    ("maternal_managed_rate", 8 / 9, 8 / 9, 5 / 5, 5 / 5),
    # Valid on 31 October: V1 3 general + 1 priority (ends that day), T2 2 priority; V2's ended 30 Sep.
    ("fd_contract_rate", 6 / 1000, 6 / 1000, 2 / 400, 2 / 400),
    ("fd_contract_priority_rate", 3 / 80, 3 / 80, 2 / 30, 2 / 30),
    # Due Oct: V1 on time, T2 late, V2 not done; Sep: V2 on time.
    ("followup_completion", 1 / 3, 2 / 4, 0, 1 / 3),
    # Chronic admissions (V1 in Oct, V2 in Sep) ÷ htn + dm registered (60 + 10; pastoral 20 + 0).
    ("chronic_admission_rate", 1 / 70, 2 / 70, 0, 1 / 20),
    ("gp_per_10k", 40, 40, 50, 50),
    # T1 has 4 technicians of 5 staff (< 90%); T2 meets all four rules.
    ("thc_staffing_compliance", 1 / 2, 1 / 2, 1, 1),
    # Village doctors outside the urban area (V2's 2; V1's is urban) per 1,000 people served there (T2 + V2
    # = 400): numerator and denominator over the same population (#11 item 5).
    ("village_doctor_density", 5.0, 5.0, 5.0, 5.0),
    ("village_doctor_licensed_share", 2 / 3, 2 / 3, 1 / 2, 1 / 2),
    ("emr_level", NA, NA, NA, NA),
    ("thc_ambulance_coverage", 1, 1, 1, 1),
    ("satisfaction_patient", 240 / 3, 300 / 4, 70, 65),
    ("satisfaction_staff", 80, 80, None, None),
    ("satisfaction_government", 95, 95, None, None),
    ("satisfaction_insurer", 85, 85, None, None),
    # Prescriptions passed ÷ reviewed: Oct T1 3 of 4, V2 2 of 2; Sep H 1 of 2.
    ("rx_pass_rate", 5 / 6, 6 / 8, 1, 1),
    # Delivered by the promised time ÷ promised: Oct T1 2 of 3 (one 90 min late), V2 1 of 1; Sep T2 1 of 2
    # (one never delivered).
    ("delivery_ontime_rate", 3 / 4, 4 / 6, 1, 2 / 3),
    # Mean of the units' monthly QC scores: Oct H 92, T2 80; Sep T2 76.
    ("qc_score", 86, (92 + 80 + 76) / 3, 80, 78),
    # Reported remote TCM consultations: Oct T1 5, T2 3; Sep T2 2.
    ("tcm_remote_consults", 8, 10, 3, 5),
    # Only H reports sterilisation batches (40 in October): none reported in the pastoral area is no value.
    ("sterilisation_batches", 40, 40, None, None),
    # Issue #13. Screenings reported: Oct T1 12 + V2 5; Sep T2 8.
    ("key_population_screenings", 17, 25, 5, 13),
    # Studios at the end of October: H 2 (October) + T2 1 (September, carried forward); T1 never reports.
    ("tcm_master_studios", 3, 3, NA, NA),
    # Residents 60+: T1 60 + V1 50 + T2 40; V2 has no report (left out, named). Pastoral: T2 40.
    ("elderly_population", 150, 150, 40, 40),
    # Visited this month ÷ registered: V1 8/8 + V2 4/5; pastoral V2 4/5 (a stock: YTD reads October).
    ("elderly_visit_rate", 12 / 13, 12 / 13, 4 / 5, 4 / 5),
    # In concentrated support ÷ destitute: T1 3/6 + T2 2/4.
    ("concentrated_support_rate", 5 / 10, 5 / 10, 2 / 4, 2 / 4),
    ("care_beds", 30, 30, 20, 20),
    ("care_bed_occupancy", 21 / 30, 21 / 30, 15 / 20, 15 / 20),
    # T1's township has a centre, T2's not; V1's village has a station, V2's not.
    ("township_elderly_centre_coverage", 1 / 2, 1 / 2, 0, 0),
    ("village_elderly_station_coverage", 1 / 2, 1 / 2, 0, 0),
]


def test_every_catalogue_indicator_has_a_formula_and_every_formula_an_entry():
    from lib.kpi import catalogue
    from lib.kpi.indicators import FORMULAS

    codes = {row["code"] for row in tomllib.loads(catalogue.CATALOGUE.read_text("utf-8"))["indicator"]}
    assert codes == set(FORMULAS)


def test_every_catalogue_indicator_says_whom_it_counts(engine):
    """Resident-based or provider-based (issue #11 item 7), in the file and in the store the engine reads."""
    from lib.kpi import catalogue

    rows = tomllib.loads(catalogue.CATALOGUE.read_text("utf-8"))["indicator"]
    assert {row["code"]: row.get("basis") in catalogue.BASES for row in rows} == {row["code"]: True for row in rows}
    assert engine.catalogue["basis"].to_dict() == {row["code"]: row["basis"] for row in rows}
    assert catalogue.check_catalogue([{**rows[0], "basis": "area"}], set()) == [
        "[[indicator]] #1 ('primary_visit_share'): basis must be one of resident, provider"]


def test_every_catalogue_indicator_has_a_hand_worked_expectation(engine):
    assert sorted(engine.catalogue.index) == sorted(code for code, *_ in EXPECTED)


@pytest.mark.parametrize(("code", "county_month", "county_ytd", "pastoral_month", "pastoral_ytd"), EXPECTED)
def test_indicator_values_match_the_hand_computation(engine, code, county_month, county_ytd, pastoral_month,
                                                     pastoral_ytd):
    for scope, period, expected in [(COUNTY, MONTH, county_month), (COUNTY, YTD, county_ytd),
                                    (PASTORAL, MONTH, pastoral_month), (PASTORAL, YTD, pastoral_ytd)]:
        got = engine.compute([code], [scope], period)
        where = f"{code} {scope.label} {period.label()}"
        if expected == NA:
            assert got == [], where
        elif expected is None:
            assert got[0].value is None, where
        else:
            assert got[0].value == pytest.approx(expected), where


def test_the_countys_residents_visits_are_the_resident_visits_made_in_it(engine):
    """Every resident of the tiny county has a home unit in it, so counting by home unit changes nothing at
    county scope: 11 resident visits in October, 7 at primary units (as before issue #11 item 7)."""
    s = engine.sums(COUNTY, MONTH)
    assert (s["visits_home"], s["visits_home_primary"]) == (s["visits_resident"], s.primary["visits_resident"]) \
        == (11, 7)


def test_numerator_denominator_previous_and_last_year_travel_with_the_value(engine):
    [v] = engine.compute(["in_county_admission_share"], [COUNTY], MONTH)
    assert (v.numerator, v.denominator) == (2, 3)
    assert v.previous == pytest.approx(1 / 2)  # September: T1 in, V2 out
    assert v.last_year == pytest.approx(1.0)  # October 2025: one admission, in county
    # Target: the 2025 full-year value (1 of 1 in county) + 5 pp (000 主要目标, baseline_delta).
    assert v.target == pytest.approx(1.05)
    assert v.status == "missed"


def test_targets_prorate_annual_counts_and_follow_the_elapsed_year(engine):
    [outreach] = engine.compute(["tcm_outreach_events"], [COUNTY], YTD)
    assert outreach.target == pytest.approx(60 * 10 / 12)  # 60 a year, 10 months elapsed
    assert outreach.status == "missed"
    [fund] = engine.compute(["fund_execution"], [COUNTY], MONTH)
    assert fund.target == pytest.approx(304 / 365)  # 31 October is day 304 of 2026
    assert fund.status == "met"


def test_status_near_and_band(engine):
    [cost] = engine.compute(["cost_per_visit"], [COUNTY], MONTH)  # 55.45 against ≤ 50: 11% over
    assert cost.status == "missed"
    [cost_pastoral] = engine.compute(["cost_per_visit"], [PASTORAL], MONTH)  # 40 ≤ 50
    assert cost_pastoral.status == "met"
    [density] = engine.compute(["village_doctor_density"], [PASTORAL], MONTH)  # 5.0 against 1.0–1.5
    assert density.status == "missed"
    near = Engine(engine.conn, today=tiny.TODAY, margin=0.15)
    assert near.compute(["cost_per_visit"], [COUNTY], MONTH)[0].status == "near"


def test_facility_scope_uses_tier_overrides_and_tier_applicability(engine):
    hospital = Scope("facility", ("H",))
    [emr] = engine.compute(["emr_level"], [hospital], MONTH)
    assert (emr.value, emr.target, emr.status) == (5, 6, "missed")
    codes = {v.code for v in engine.compute(None, [hospital], MONTH)}
    assert "htn_managed_rate" not in codes  # registers belong to THCs and village clinics
    [htn] = engine.compute(["htn_managed_rate"], [Scope("facility", ("V2",))], MONTH)
    assert htn.small_denominator  # 20 registered patients: flagged, never silently ranked
    # Sinking per hospital (the monthly score's 资源下沉): d1 on track with 25 days by October, d2 not.
    [sinking] = engine.compute(["sinking_days_compliance"], [hospital], MONTH)
    assert (sinking.numerator, sinking.denominator) == (1, 2)
    assert engine.compute(["sinking_days_compliance"], [Scope("facility", ("T1",))], MONTH) == []
    [coverage] = engine.compute(["village_ecg_coverage"], [COUNTY], MONTH)
    assert not coverage.small_denominator  # 2 clinics of 2: a count of units, not a sample


def test_today_reads_the_daily_rollup(engine):
    [visits] = engine.compute(["tcm_visit_share"], [COUNTY], Period("today", dt.date(2026, 10, 10)))
    assert (visits.numerator, visits.denominator) == (4, 12)  # the fixture's October visits are all on the 10th


def test_a_set_of_facilities_is_a_scope(engine):
    [v] = engine.compute(["tcm_visit_share"], [Scope("facilities", ("T1", "V1"))], MONTH)
    assert (v.numerator, v.denominator) == (1, 5)


def test_an_engine_is_let_go_once_its_request_is_over(tiny_url: str) -> None:
    """A wall makes an engine per refresh for days: nothing may keep the old ones (a method cache once did)."""
    with db.engine(tiny_url).connect() as conn:
        engine = Engine(conn, today=tiny.TODAY)
        engine.compute(None, [Scope(), Scope("area", ("pastoral",))], Period("ytd", dt.date(2026, 10, 1)))
        gone = weakref.ref(engine)
        del engine
    gc.collect()
    assert gone() is None
