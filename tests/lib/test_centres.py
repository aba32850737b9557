"""The information centres page (lib.ops.centres) on the tiny county, every figure worked by hand from
tests/fixtures/tiny.py, and the centres' build plans (lib.ops.centre_plans)."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import centre_plans, centres
from lib.ops.centre_plans import CENTRES, Build
from lib.problems import InputError
from lib.store import db
from tests.conftest import make_store
from tests.fixtures import tiny

OCT = Period("month", tiny.OCT)
PASTORAL = Scope("area", ("pastoral",))


def _shown(figures: tuple[centres.Figure, ...]) -> dict[str, float | None]:
    return {f.key: f.value for f in figures}


@pytest.fixture(scope="module")
def october(engine) -> centres.Now:
    return centres.now(engine, Scope(), OCT)


# Each centre's October figures for the county, by hand. Reads: V1 2 ECGs (30, 50 min), T2 2 images (one
# 120 min, one not reported): 4 in 31 days. Follow-ups due: V1 on time, T2 late, V2 not done. Reviews: 6,
# 5 passed, an hour each. Referrals: 5 sent, 4 accepted 2 hours later, 3 closed. QC: H 92, T2 80.
# Deliveries: T1 3 (one 90 min late, out of stock), V2 1 on time. Ambulances: T1 12 min, T2 70 and 50.
# TCM: T1 5 + T2 3 reported. Lab: T1 2 tests (60, 90 min); H 40 sterilisation batches. Stints started in
# October: d2's tour (not rostered) and d2's posting at T2 (rostered); 17 days served at the hosts.
COUNTY_OCTOBER = {
    "imaging_ecg": {"reads": 4, "reads_per_day": 4 / 31, "read_minutes": 200 / 3},
    "follow_up": {"fu_due": 3, "fu_ontime": 1, "fu_completion": 1 / 3},
    "rx_review": {"rx_reviewed": 6, "rx_pass": 5 / 6, "rx_minutes": 60},
    "referral": {"referrals": 5, "accept_minutes": 120, "closure": 3 / 5},
    "qc": {"qc_score": 86, "qc_reports": 2},
    "drug_delivery": {"deliveries": 4, "delivery_ontime": 3 / 4, "stockouts": 1},
    "emergency": {"ems_calls": 3, "ems_minutes": 44},
    "tcm": {"tcm_consults": 8},
    "lab": {"labs": 2, "lab_minutes": 75, "sterilisation": 40},
    "staff_dispatch": {"stints": 2, "stints_planned": 1, "stints_planned_share": 1 / 2, "sink_days": 17},
}


@pytest.mark.parametrize("code", CENTRES)
def test_the_months_figures_match_the_hand_computation(october, code):
    assert _shown(october.period[code]) == pytest.approx(COUNTY_OCTOBER[code])


def test_indicator_figures_are_the_engines_values(engine, october):
    shown = [f for code in CENTRES for f in october.period[code] if f.indicator]
    assert {f.indicator for f in shown} == set(centres.INDICATORS)
    values = {v.code: v for v in engine.compute(centres.INDICATORS, [Scope()], OCT, compare=False)}
    for f in shown:
        v = values[f.indicator]
        assert (f.value, f.numerator, f.denominator) == (v.value, v.numerator, v.denominator), f.key


def test_a_scope_keeps_only_its_units_and_nothing_reported_is_no_value(engine):
    """The pastoral area (T2, V2): T2's two images, ambulances at 70 and 50 min, T2's posting; no lab test and
    no sterilisation batch was reported there, which reads as no value, never 0."""
    got = centres.now(engine, PASTORAL, OCT).period
    assert _shown(got["imaging_ecg"]) == pytest.approx({"reads": 2, "reads_per_day": 2 / 31, "read_minutes": 120})
    assert _shown(got["emergency"]) == pytest.approx({"ems_calls": 2, "ems_minutes": 60})
    assert _shown(got["lab"]) == {"labs": None, "lab_minutes": None, "sterilisation": None}
    assert _shown(got["staff_dispatch"]) == pytest.approx(
        {"stints": 1, "stints_planned": 1, "stints_planned_share": 1, "sink_days": 7})


def test_ambulance_minutes_by_area_of_the_dispatching_station(october):
    areas = october.by_area.set_index("area")
    assert areas.loc["urban", ["calls", "minutes"]].tolist() == pytest.approx([1, 12])
    assert areas.loc["pastoral", ["calls", "minutes"]].tolist() == pytest.approx([2, 60])


def test_todays_figures_count_the_countys_day(tiny_url):
    """On 10 October: V1's two ECG reads, T1's two lab tests, its ambulance call and three deliveries, V1's
    follow-up due and done; no prescription was reviewed that day (no value). The monthly centres have none."""
    with db.engine(tiny_url).connect() as conn:
        today = centres.now(Engine(conn, today=dt.date(2026, 10, 10)), Scope(), OCT).today
    assert _shown(today["imaging_ecg"]) == pytest.approx({"reads": 2, "read_minutes": 40})
    assert _shown(today["lab"]) == pytest.approx({"labs": 2, "lab_minutes": 75})
    assert _shown(today["emergency"]) == pytest.approx({"ems_calls": 1, "ems_minutes": 12})
    assert _shown(today["drug_delivery"]) == pytest.approx({"deliveries": 3, "delivery_ontime": 2 / 3, "stockouts": 1})
    assert _shown(today["follow_up"]) == pytest.approx({"fu_due": 1, "fu_ontime": 1, "fu_completion": 1})
    assert _shown(today["rx_review"]) == {"rx_reviewed": None, "rx_pass": None, "rx_minutes": None}
    assert today["qc"] == today["tcm"] == ()


def test_a_day_with_nothing_reported_shows_no_zero(october):
    """5 November, the fixture's today: no event at all, so no figure of today is 0."""
    assert all(f.value is None for code in CENTRES for f in october.today[code])


def test_trends_follow_each_centre_for_twelve_months(engine):
    """Nov 2025 … Oct 2026; months before the fixture's September have nothing reported: gaps, not zeros."""
    series = centres.trends(engine, Scope(), tiny.OCT)
    assert set(series) == set(CENTRES)
    reads = series["imaging_ecg"]
    assert list(reads["month"]) == [dt.date(2025, 11, 1), dt.date(2025, 12, 1),
                                    *(dt.date(2026, m, 1) for m in range(1, 11))]
    assert reads["value"].iloc[:10].isna().all()
    assert reads["value"].iloc[10:].tolist() == pytest.approx([1 / 30, 4 / 31])  # H's September read
    assert series["qc"]["value"].iloc[10:].tolist() == pytest.approx([76, 86])
    assert series["drug_delivery"]["value"].iloc[10:].tolist() == pytest.approx([1 / 2, 3 / 4])
    assert series["emergency"]["value"].iloc[10:].isna().tolist() == [True, False]


def test_the_page_puts_each_centre_with_its_build_status(engine, october):
    plan = centre_plans.read(centre_plans.PLAN_DIR / "wulatezhongqi.toml")
    view = centres.page(OCT, tiny.TODAY, october, centres.trends(engine, Scope(), tiny.OCT), plan)
    assert [p.code for p in view.panels] == list(CENTRES)
    assert [p.build.due for p in view.panels] == [2025] * 5 + [2026] * 5
    emergency = view.panels[CENTRES.index("emergency")]
    assert emergency.by_area is not None
    assert emergency.trend_key == "ems_minutes"
    assert emergency.trend_unit == "minutes"
    assert all(p.by_area is None for p in view.panels if p.code != "emergency")


# --- build plans --------------------------------------------------------------------------------------


def test_every_shipped_county_has_a_plan_of_ten_centres_in_two_stages():
    """000 主要目标: five by the end of 2025, five by the end of 2026."""
    registries = sorted((db.ROOT / "data" / "registries").glob("*.toml"))
    for path in registries:
        county = tomllib.loads(path.read_text("utf-8"))["county"]["code"]
        plan = centre_plans.for_county(county)
        assert plan is not None, path.name
        assert plan.source == path.name  # one plan per registry, under its name
        assert [b.code for b in plan.centres] == list(CENTRES)
        assert [b.due for b in plan.centres] == [2025] * 5 + [2026] * 5


def test_days_left_count_to_the_end_of_the_due_year_on_the_countys_day():
    building, live = Build("lab", 2026, None), Build("emergency", 2026, dt.date(2026, 6, 18))
    assert building.days_left(dt.date(2026, 11, 30)) == 31
    assert building.days_left(dt.date(2026, 12, 31)) == 0
    assert building.days_left(dt.date(2027, 1, 1)) is None
    assert building.overdue(dt.date(2027, 1, 1))
    assert live.days_left(dt.date(2026, 11, 30)) is None
    assert live.live(dt.date(2026, 11, 30))
    assert not live.live(dt.date(2026, 6, 17))  # not live before its day: counted down until then
    assert live.days_left(dt.date(2026, 6, 17)) == 197


def test_a_broken_plan_names_every_problem(tmp_path: Path):
    rows = "\n".join(f'[[centre]]\ncode = "{c}"\ndue = 2025\n' for c in CENTRES[:8])
    (tmp_path / "bad.toml").write_text(
        'county = "150824"\n' + rows + '[[centre]]\ncode = "qc"\ndue = 25\nlive_since = "soon"\nowner = "x"\n',
        encoding="utf-8")
    with pytest.raises(InputError) as caught:
        centre_plans.for_county("150824", tmp_path)
    assert caught.value.problems == [
        "[[centre]] #9 ('qc'): due must be a year between 2020 and 2035",
        "[[centre]] #9 ('qc'): live_since must be a date (YYYY-MM-DD) or left out",
        "[[centre]] #9 ('qc'): unknown field(s) owner",
        "[[centre]]: missing lab, staff_dispatch (all ten are planned, 000 主要目标)",
        "[[centre]]: given twice: qc",
    ]


def test_a_county_without_a_plan_file_has_none_and_two_plans_are_an_error(tmp_path: Path):
    assert centre_plans.for_county("999999") is None
    source = (centre_plans.PLAN_DIR / "wulatezhongqi.toml").read_text("utf-8")
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text(source, encoding="utf-8")
    with pytest.raises(InputError, match=r"plans in a.toml, b.toml"):
        centre_plans.for_county("150824", tmp_path)


def test_per_day_divides_by_the_days_elapsed():
    assert centres.days_elapsed(OCT, dt.date(2026, 10, 10)) == 10  # a running month: its days so far
    assert centres.days_elapsed(OCT, tiny.TODAY) == 31
    assert math.isclose(centres.days_elapsed(Period("ytd", tiny.OCT), tiny.TODAY), 304)


# --- the demo feeds every panel, for both shipped counties -------------------------------------------

DEMO_TODAY = dt.date(2026, 3, 18)


@pytest.fixture(scope="module", params=["wulatezhongqi", "zhalaiteqi"])
def demo_county(request, tmp_path_factory) -> Iterator[str]:
    """A small SQLite demo (scale 0.02) of each shipped county: its registry, then lib.demo."""
    from lib import registry
    from lib.demo import generate

    with make_store("sqlite", tmp_path_factory.mktemp(f"demo-{request.param}")) as url:
        with db.engine(url).begin() as conn:
            registry.load(conn, db.ROOT / "data" / "registries" / f"{request.param}.toml")
        generate(db.engine(url), scale=0.02, today=DEMO_TODAY)
        yield url


def test_the_demo_gives_every_centre_a_history(demo_county):
    """Each centre's trend has figures for most of the last 12 months (the running month's monthly reports
    are not due yet), and the county's plan is found by its code."""
    with db.engine(demo_county).connect() as conn:
        engine = Engine(conn, today=DEMO_TODAY)
        series = centres.trends(engine, Scope(), DEMO_TODAY)
        figures = centres.now(engine, Scope(), Period("month", dt.date(2026, 2, 1)))
        plan = centre_plans.for_store(conn)
    assert plan is not None
    months = {code: int(s["value"].notna().sum()) for code, s in series.items()}
    assert months == {code: months[code] for code in CENTRES}
    assert min(months.values()) >= 10, months
    february = {f.key: f.value for code in CENTRES for f in figures.period[code]}
    assert all(v is not None for v in february.values()), february
    areas = figures.by_area.set_index("area")["minutes"]
    assert areas.notna().sum() >= 2


def test_every_centre_and_figure_has_its_name_in_both_languages(october):
    from lib import i18n

    keys = {f"centres.name.{c}" for c in CENTRES} | {f"centres.fig.{f.key}" for c in CENTRES
                                                     for f in october.period[c] + october.today[c]}
    assert {k for k in keys if set(i18n.CATALOGUE.get(k, {})) != set(i18n.LANGS)} == set()
