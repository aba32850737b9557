"""The insurance page's content (lib.ops.insurance) on the tiny county, worked by hand (tests/fixtures/tiny.py).

October 2026, "today" 5 November. The envelope: 100,000 − 5% − 5,000 = 90,000, all to H. Claims Jan–Oct
(the engine's FUND_ALL): September 1,360 (visits H 100 + T2 60; admissions V2 out 1,000 + T1 200),
October 2,750 (visits 350; admissions 600 + 1,500 + 300), 4,110 in all. Paid: the 7,500 prepayment and
September's 1,000 settlement; October's 2,000 is paid on 15 November, after today.
"""

import datetime as dt

import pandas as pd
import pytest

from lib.kpi.engine import Scope
from lib.kpi.period import Period
from lib.ops import insurance

OCTOBER = Period("month", dt.date(2026, 10, 1))
ELAPSED = 304 / 365  # 31 October is day 304 of 2026


@pytest.fixture(scope="module")
def view(engine):
    return insurance.page(engine, Scope(), OCTOBER)


def test_the_envelope_is_the_budget_less_the_reserve_and_premiums_split_by_lead(view):
    env = view.envelope
    assert (env.revenue_budget, env.reserve, env.commercial_premium, env.amount) == pytest.approx(
        (100_000, 5_000, 5_000, 90_000))
    assert env.leads[["code", "share", "amount"]].to_dict("records") == [{"code": "H", "share": 1.0, "amount": 90_000}]


def test_the_ledger_lists_what_was_paid_by_today_for_the_months_to_the_periods(view):
    book = view.ledger
    assert book[["kind", "month", "H", "total", "cumulative"]].to_dict("records") == [
        {"kind": "prepayment", "month": 1, "H": 7_500, "total": 7_500, "cumulative": 7_500},
        {"kind": "settlement", "month": 9, "H": 1_000, "total": 1_000, "cumulative": 8_500},
    ]


def test_execution_reads_claims_settled_and_prepaid_against_the_elapsed_year(engine, view):
    ex = view.execution
    [claims] = engine.compute(["fund_execution"], [Scope()], OCTOBER, compare=False)
    assert ex.claims == claims  # the engine's value, the overview's headline
    assert (ex.claims.numerator, ex.claims.denominator) == pytest.approx((4_110, 90_000))
    assert (ex.settled, ex.prepaid) == (1_000, 7_500)
    assert (ex.settled_rate, ex.paid_rate, ex.elapsed) == pytest.approx((1_000 / 90_000, 8_500 / 90_000, ELAPSED))


def test_the_monthly_lines_are_cumulative_shares_of_the_envelope(view):
    m = view.monthly.set_index("month")
    assert len(m) == 10  # January to October
    assert m.loc[dt.date(2026, 9, 1), "claims"] == pytest.approx(1_360)
    assert m.loc[dt.date(2026, 10, 1), ["claims_rate", "settled_rate", "paid_rate"]].tolist() == pytest.approx(
        [4_110 / 90_000, 1_000 / 90_000, 8_500 / 90_000])
    assert m.loc[dt.date(2026, 8, 1), "claims_rate"] == 0  # no claims before September
    assert pd.isna(m.loc[dt.date(2026, 8, 1), "claims"])  # none reported that month: missing, not 0
    assert m.loc[dt.date(2026, 10, 1), "elapsed"] == pytest.approx(ELAPSED)


def test_with_no_complete_past_year_the_projection_is_flat_and_says_so(view):
    p = view.projection
    assert (p.method, p.years) == ("flat", ())  # 2025 holds October only
    assert p.projected == pytest.approx(4_110 / ELAPSED)
    assert p.balance == pytest.approx(90_000 - 4_110 / ELAPSED)
    assert p.community_part == 0  # a surplus is kept, nothing shared


def test_a_seasonal_projection_divides_by_past_years_share_by_the_same_point():
    """Two past years, each spending 60% of its claims in January–June; this year 600 by end-June."""
    months = [dt.date(y, m, 1) for y in (2024, 2025) for m in range(1, 13)]
    first_half, second_half = 60 / 6, 40 / 6
    claims = pd.Series([first_half if d.month <= 6 else second_half for d in months]
                       + [100.0] * 6, index=months + [dt.date(2026, m, 1) for m in range(1, 7)])
    p = insurance.projection(claims, Period("month", dt.date(2026, 6, 1)), dt.date(2026, 11, 5), 900.0)
    assert (p.method, p.years) == ("seasonal", (2024, 2025))
    assert p.share_by_now == pytest.approx(0.6)
    assert p.projected == pytest.approx(1_000)
    assert (p.balance, p.community_part) == pytest.approx((-100, 100 * insurance.OVERSPEND_SHARE))
    # A running month counts by its days: 15 of 30 June gone, half of June's 10%.
    running = insurance.projection(claims, Period("month", dt.date(2026, 6, 1)), dt.date(2026, 6, 15), 900.0)
    assert running.share_by_now == pytest.approx(0.5 + 0.1 * 15 / 30)


def test_spending_tiles_are_the_engines_with_year_on_year_growth(engine, view):
    values = {tile.value.code: tile.value for tile in view.indicators}
    assert list(values) == list(insurance.INDICATORS)
    for v in engine.compute(insurance.INDICATORS, [Scope()], OCTOBER):
        assert values[v.code] == v
    # Cost per admission: October 1,500 / 2 = 750 against October 2025's one admission at 800.
    assert insurance.growth(values["cost_per_admission"]) == pytest.approx(750 / 800 - 1)
    assert insurance.growth(values["cost_per_visit"]) is None  # no visits in October 2025: no growth, not 0


def test_an_area_reads_its_own_spending_but_the_countys_envelope(engine):
    view = insurance.page(engine, Scope("area", ("pastoral",)), OCTOBER)
    in_county = next(t.value for t in view.indicators if t.value.code == "fund_in_county_share")
    assert (in_county.numerator, in_county.denominator) == pytest.approx((390, 1_890))
    assert view.execution.claims.numerator == pytest.approx(4_110)


def test_a_year_without_a_budget_has_no_envelope(engine):
    view = insurance.page(engine, Scope(), Period("month", dt.date(2025, 10, 1)))
    assert (view.envelope, view.execution, view.projection) == (None, None, None)
    assert view.ledger.empty
