"""Plan milestones: the file's checks, the status rule, and figures on the tiny county (both stores)."""

import datetime as dt
import textwrap

import pytest

from lib.kpi.period import Period
from lib.ops import plan
from lib.problems import InputError
from tests.fixtures import tiny

HEAD = 'county = "000001"\ntitle_zh = "规划"\ntitle_en = "Plan"\nstart = 2026-01-01\n'
ROW = 'name_zh = "任务"\nname_en = "Task"\nclause = "000 §x"\nowner_zh = "中心"\nowner_en = "Centre"\n'


def _milestone(code: str, **fields: object) -> str:
    extra = "".join(f"{k} = {v}\n" for k, v in fields.items())
    return f'\n[[milestone]]\ncode = "{code}"\n{ROW}{extra}'


TINY_PLAN = HEAD + "".join([
    _milestone("stated_done", due="2026-12-31", status='"done"', done_on="2026-09-15"),
    _milestone("stated_done_later", due="2027-06-30", status='"done"', done_on="2026-11-20"),
    _milestone("past_due", due="2026-06-30", status='"on_course"'),
    _milestone("stated_risk", due="2027-12-31", status='"at_risk"'),
    _milestone("soon", due="2026-12-15", status='"on_course"'),
    _milestone("gps", due="2027-12-31", indicator='"gp_per_10k"', span='"month"', target=30),
    _milestone("gps_high", due="2027-12-31", indicator='"gp_per_10k"', span='"month"', target=50),
    _milestone("outreach_ahead", due="2027-06-30", report='"tcm_outreach_5jin"', since="2026-09-01", target=10),
    _milestone("outreach_behind", due="2027-06-30", report='"tcm_outreach_5jin"', since="2026-09-01", target=40),
    _milestone("emr", due="2027-12-31", indicator='"emr_level"', owner_unit='"H"', span='"month"', target=6),
])


@pytest.fixture
def plans(tmp_path):
    (tmp_path / "tiny.toml").write_text(TINY_PLAN, encoding="utf-8")
    return tmp_path


def test_statuses_on_the_last_day_of_october(engine, plans):
    view = plan.build(engine, Period("month", dt.date(2026, 10, 1)), directory=plans)
    assert view.day == dt.date(2026, 10, 31)
    got = {p.milestone.code: (p.status, p.value) for p in view.items}
    assert got == {
        "stated_done": ("done", None),
        "stated_done_later": ("on_course", None),  # done only from 20 November
        "past_due": ("late", None),
        "stated_risk": ("at_risk", None),
        "soon": ("at_risk", None),  # due in 45 days
        "gps": ("done", 40),  # 4 GPs per 1,000 residents ≥ 30
        "gps_high": ("on_course", 40),
        # 2 + 3 outreach events in September and October; 60 of 302 days elapsed: pace 5 / (10 × 60/302) ≈ 2.5
        "outreach_ahead": ("on_course", 5),
        "outreach_behind": ("at_risk", 5),  # 5 / (40 × 60/302) ≈ 0.63
        "emr": ("on_course", 5),  # H's own EMR level, 5 of 6
    }
    assert [p.milestone.due for p in view.items] == sorted(p.milestone.due for p in view.items)


def test_a_later_month_reads_the_plan_on_its_day(engine, plans):
    view = plan.build(engine, Period("month", dt.date(2026, 11, 1)), directory=plans)
    assert view.day == tiny.TODAY  # a running month: today
    got = {p.milestone.code: p.status for p in view.items}
    assert got["stated_done_later"] == "on_course"  # 20 November is after today (5 November)


def test_filters_keep_unit_owned_milestones_with_their_unit(engine, plans):
    view = plan.build(engine, Period("month", dt.date(2026, 10, 1)), units=("T1", "T2"), directory=plans)
    assert "emr" not in {p.milestone.code for p in view.items}
    assert len(view.items) == 9


def test_no_plan_file_is_said_not_invented(engine, tmp_path):
    view = plan.build(engine, Period("month", dt.date(2026, 10, 1)), directory=tmp_path)
    assert view.plan is None
    assert view.items == []
    assert not view.problem


def test_a_bad_file_names_every_problem(tmp_path):
    bad = HEAD + textwrap.dedent("""
        [[milestone]]
        code = "a"
        name_zh = "任务"
        due = "soon"
        status = "late"
        colour = "red"

        [[milestone]]
        code = "a"
        name_zh = "x"
        name_en = "x"
        clause = "c"
        owner_zh = "o"
        owner_en = "o"
        due = 2027-01-01
        indicator = "nope"
        report = "training_sent"
        """)
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        plan.load(path, indicators=["gp_per_10k"])
    text = str(caught.value)
    for problem in ("'name_en' is missing", "'due' must be a date", "late is computed", "unknown field 'colour'",
                    "code used twice", "unknown indicator 'nope'", "not both", "needs 'target' and 'since'"):
        assert problem in text


@pytest.mark.parametrize("name", ["wulatezhongqi", "zhalaiteqi"])
def test_shipped_plans_load(name):
    loaded = plan.load(plan.PLANS_DIR / f"{name}.toml")
    assert loaded.milestones
    assert all(m.clause and m.owner_zh and m.owner_en for m in loaded.milestones)


def test_the_rule_in_order():
    m = plan.Milestone("x", "x", "x", "c", "o", "o", due=dt.date(2027, 6, 30))
    assert plan.decide(m, dt.date(2027, 7, 1)) == "late"
    assert plan.decide(m, dt.date(2027, 7, 1), met=True) == "done"
    assert plan.decide(m, dt.date(2027, 4, 1)) == "at_risk"  # 90 days before
    assert plan.decide(m, dt.date(2027, 3, 31)) == "on_course"
    assert plan.decide(m, dt.date(2027, 3, 31), pace=0.99) == "at_risk"
