"""The monthly score against the tiny county (tests/fixtures/tiny.py), every number worked out by hand.

The test weights below keep the arithmetic small. "Now" is 5 November 2026: October's reports are not
due yet (the 16th), September's are overdue. Targets come from tests/fixtures/tiny_targets.toml.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from lib import i18n
from lib.events import write as events
from lib.kpi.catalogue import CATALOGUE
from lib.scoring import completeness, narrative, snapshot, tables, weights
from lib.scoring import score as scoring
from lib.scoring.__main__ import main
from lib.scoring.weights import Rule
from lib.store import db
from lib.store.models import Facility, MonthlyReport, SinkingDeployment, Staff
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny

NOW = dt.datetime(2026, 11, 5, 12)
OCT, SEP = tiny.OCT, tiny.SEP
TEST_WEIGHTS = weights.parse({
    "min_coverage": 0.5,
    "min_dimensions": 1,  # the hand-worked units cover one or two systems; test_too_few_dimensions_... uses 3
    "rules": {
        "satisfaction_patient": {"dimension": "satisfaction", "rule": "linear", "zero_at": 0.5, "missing": "zero"},
        "sinking_days_compliance": {"dimension": "capacity", "rule": "linear", "zero_at": 0.0},
        "sinking_days_hosted": {"dimension": "capacity", "rule": "linear", "zero_at": 0.0},
        "dm_managed_rate": {"dimension": "health", "rule": "linear", "zero_at": 0.5},
        "htn_managed_rate": {"dimension": "health", "rule": "linear", "zero_at": 0.5},
        "cost_per_visit": {"dimension": "efficiency", "rule": "bands", "bands": [[1.0, 1.0], [1.2, 0.5]]},
    },
    "weights": {
        "county_hospital": {"satisfaction_patient": 50, "sinking_days_compliance": 50},
        "thc": {"satisfaction_patient": 40, "sinking_days_hosted": 40, "dm_managed_rate": 20},
        "village_clinic": {"htn_managed_rate": 50, "cost_per_visit": 50},
    },
})

# October, by hand. share = (value ÷ target − zero_at) ÷ (1 − zero_at), clipped to 0..1.
# H: patient satisfaction 90 of 90 → 1; sinking (1 of 2 doctors on track) is over 2 doctors, a small
#    denominator: not scored, so satisfaction alone carries the 100 points.
# T1: satisfaction 80/90 → (0.889 − 0.5)/0.5 = 7/9; 10 sinking days of 30 a month → 1/3; diabetes 8 of 10
#     registered is a small denominator: not scored, so 80 points are scored and scale to 100 (× 1.25).
# T2: satisfaction 70/90 → 5/9; 7 sinking days (25–31 October of d2's posting) of 30 → 7/30; no diabetes
#     register → no value: also × 1.25.
# V1: hypertension 30 of 40 = 75% vs 70% → full 50, scaled to 100: its cost per visit (¥20) is a mean
#     over 2 visits, a small denominator like a rate's (#11): not scored.
# V2: hypertension 12 of 20 and cost over 1 visit are both small: nothing scored, not ranked.
EXPECTED_OCT = {  # code: (total, rank, {dimension: points})
    "H": (100.0, 1, {"satisfaction": 100.0}),
    "T1": (50 * 7 / 9 + 50 / 3, 1, {"satisfaction": 50 * 7 / 9, "capacity": 50 / 3}),
    "T2": (50 * 5 / 9 + 50 * 7 / 30, 2, {"satisfaction": 50 * 5 / 9, "capacity": 50 * 7 / 30}),
    "V1": (100.0, 1, {"health": 100.0}),
    "V2": (None, None, {}),
}
# September (overdue): H and T1 sent no satisfaction score → 0 points, still counted (H: 0 of the
# 50 it scored, half its weight: still ranked); T1 5 sinking days → 1/6 × 50; T2 satisfaction
# 60/90 → 1/3 × 50. V1 hypertension 25/38 vs 70% → (0.9398 − 0.5)/0.5, cost has no visits: × 2.
# V2 has no value at all: not ranked.
EXPECTED_SEP = {"H": (0.0, 1), "T1": (50 / 6, 2), "T2": (50 / 3, 1),
                "V1": (100 * ((25 / 38) / 0.7 - 0.5) / 0.5, 1), "V2": (None, None)}


@pytest.fixture(scope="module")
def conn(tiny_url):
    """One connection per backend for the module's readers of the tiny county (read-only)."""
    with db.engine(tiny_url).connect() as c:
        yield c


@pytest.fixture(scope="module")
def october(conn) -> scoring.Scores:
    """October's draft under the test weights, computed once per backend (the tests only read it)."""
    return scoring.draft(conn, OCT, weights=TEST_WEIGHTS, now=NOW, trend_months=3)


def _unit(scores: scoring.Scores, code: str) -> pd.Series:
    return scores.units.set_index("facility_code").loc[code]


def test_hand_worked_october_scores(october):
    for code, (total, rank, dims) in EXPECTED_OCT.items():
        unit = _unit(october, code)
        assert unit["total"] == pytest.approx(total, nan_ok=True) if total is not None else pd.isna(unit["total"]), code
        assert unit["rank"] == rank if rank is not None else pd.isna(unit["rank"]), code
        for dim in weights.DIMENSIONS:
            assert (pd.isna(unit[dim]) if dim not in dims else unit[dim] == pytest.approx(dims[dim])), (code, dim)


def test_hand_worked_previous_month_and_rank_change(october):
    for code, (total, rank) in EXPECTED_SEP.items():
        unit = _unit(october, code)
        assert (pd.isna(unit["previous_total"]) if total is None else
                unit["previous_total"] == pytest.approx(total)), code
        assert (pd.isna(unit["previous_rank"]) if rank is None else unit["previous_rank"] == rank), code
    change = scoring.rank_change(october.units.set_index("facility_code"))
    assert (change["T1"], change["T2"], change["H"], change["V1"]) == (1, -1, 0, 0)
    assert pd.isna(change["V2"])  # not ranked in September


def test_small_denominator_is_flagged_and_its_weight_spread(october):
    v2 = october.unit_items("V2").set_index("indicator_code")
    assert list(v2["state"]) == ["small", "small"]  # a rate over 20 registered, a mean cost over 1 visit
    assert v2["points"].isna().all()
    unit = _unit(october, "V2")
    assert (unit["small_count"], unit["coverage"]) == (2, 0.0)
    v1 = october.unit_items("V1").set_index("indicator_code")
    assert v1.loc["cost_per_visit", "state"] == "small"  # a mean over 2 visits (#11)
    assert v1.loc["htn_managed_rate", "effective_weight"] == pytest.approx(100)
    t1 = october.unit_items("T1").set_index("indicator_code")
    assert t1.loc["dm_managed_rate", "state"] == "small"
    assert t1.loc["satisfaction_patient", "effective_weight"] == pytest.approx(50)


def test_missing_survey_scores_zero_only_after_the_deadline(conn):
    september = scoring.draft(conn, SEP, weights=TEST_WEIGHTS, now=NOW, trend_months=2)
    h = september.unit_items("H").set_index("indicator_code")
    assert (h.loc["satisfaction_patient", "state"], h.loc["satisfaction_patient", "points"]) == ("zero", 0)
    before_deadline = scoring.draft(conn, SEP, weights=TEST_WEIGHTS, now=dt.datetime(2026, 10, 10), trend_months=2)
    t1 = before_deadline.unit_items("T1").set_index("indicator_code")
    assert t1.loc["satisfaction_patient", "state"] == "missing"  # not due yet: left out, not zero
    assert _unit(before_deadline, "T1")["total"] == pytest.approx(100 / 6)  # 5 of 30 sinking days, scaled to 100
    assert pd.isna(_unit(before_deadline, "H")["rank"])  # nothing scored (sinking is a small denominator)


def test_report_completeness_by_the_16th(october, conn):
    assert set(october.units["report_status"]) == {"on_time"}  # all October reports came on 3 November
    ids = pd.Index(conn.execute(sa.select(Facility.id).order_by(Facility.id)).scalars().all())
    codes = dict(conn.execute(sa.select(Facility.id, Facility.code)).all())
    sep = completeness.reports(conn, SEP, ids, NOW).rename(index=codes)["report_status"].to_dict()
    # September's reports (H's outreach, T2's survey) also came on 3 November: after the 16 October deadline.
    assert sep == {"H": "late", "T1": "missing", "V1": "missing", "T2": "late", "V2": "missing"}
    assert completeness.deadline(SEP) == dt.datetime(2026, 10, 17)
    assert completeness.reports(conn, OCT, ids, dt.datetime(2026, 11, 1))["report_status"].tolist() == ["on_time"] * 5


def test_ranks_share_equal_totals_and_skip_the_next():
    totals = pd.Series([90.0, 80.001, 80.004, 70.0, 95.0], index=list("abcde"))
    groups = pd.Series(["x", "x", "x", "x", "y"], index=list("abcde"))
    assert scoring.rank(totals, groups).tolist() == [1, 2, 2, 4, 1]  # "1224": compared as shown (2 decimals)


def test_order_is_stable_and_ties_follow_the_code(conn, october):
    again = scoring.draft(conn, OCT, weights=TEST_WEIGHTS, now=NOW, trend_months=3)
    assert october.units["facility_code"].tolist() == again.units["facility_code"].tolist() == \
        ["H", "T1", "T2", "V1", "V2"]
    shuffled = october.units.sample(frac=1, random_state=3)
    assert scoring.order(shuffled)["facility_code"].tolist() == october.units["facility_code"].tolist()


def test_waterfall_steps_add_up_to_the_change(october):
    steps = tables.waterfall(october, "T1", "zh")
    assert (steps["label"].iloc[0], steps["label"].iloc[-1]) == ("上月总分", "本月总分")
    moves = steps.iloc[1:-1]
    assert moves["delta"].tolist() == pytest.approx([50 * 7 / 9, 50 / 3 - 50 / 6])  # satisfaction, sinking
    assert steps["end"].iloc[-2] == pytest.approx(steps["end"].iloc[-1])


def test_rules_turn_values_into_shares():
    linear_up = Rule("thc", "x", "health", 10, "linear", zero_at=0.8)
    assert [linear_up.share(v, 1.0, "up") for v in (0.7, 0.8, 0.9, 1.0, 1.2)] == pytest.approx([0, 0, 0.5, 1, 1])
    linear_down = Rule("thc", "x", "efficiency", 10, "linear", zero_at=1.5)
    assert [linear_down.share(v, 100, "down") for v in (90, 100, 125, 150, 200)] == pytest.approx([1, 1, 0.5, 0, 0])
    bands = Rule("thc", "x", "capacity", 10, "bands", bands=((1.0, 1.0), (0.8, 0.5)))
    assert [bands.share(v, 6, "up") for v in (6, 5, 4)] == [1.0, 0.5, 0.0]
    cost_bands = Rule("thc", "x", "efficiency", 10, "bands", bands=((1.0, 1.0), (1.2, 0.5)))
    assert [cost_bands.share(v, 50, "down") for v in (50, 55, 80)] == [1.0, 0.5, 0.0]


def test_a_stretch_band_pays_for_doing_better_than_the_target():
    up = weights.parse({"rules": {"x": {"dimension": "health", "rule": "linear", "zero_at": 0.8, "stretch": 1.2}},
                        "weights": {"thc": {"x": 100}}}).rules[0]
    assert up.at_target == 0.8  # the default share at target
    assert [up.share(v, 0.5, "up") for v in (0.4, 0.45, 0.5, 0.55, 0.6, 0.7)] == \
        pytest.approx([0, 0.4, 0.8, 0.9, 1, 1])  # at target 0.8; half-way to the stretch 0.9; beyond it 1
    down = Rule("thc", "x", "efficiency", 10, "linear", zero_at=1.3, stretch=0.9, at_target=0.6)
    assert [down.share(v, 100, "down") for v in (80, 90, 95, 100, 115, 130)] == \
        pytest.approx([1, 1, 0.8, 0.6, 0.3, 0])
    plain = Rule("thc", "x", "health", 10, "linear", zero_at=0.8)
    assert plain.share(1.2, 1.0, "up") == plain.share(1.0, 1.0, "up") == 1.0  # without a band: saturates
    assert weights.describe(up, "up") == "0.8→1:0.8→1.2"


@pytest.mark.parametrize(("spec", "problem"), [
    ({"min_dimensions": 0}, "min_dimensions must be a whole number from 1 to 5"),
    ({"min_dimensions": 2.5}, "min_dimensions must be a whole number from 1 to 5"),
    ({"stretch": 0.9}, "thc.x: stretch must lie beyond the target, on the other side of 1 from zero_at"),
    ({"stretch": 1.2, "at_target": 1.0}, "thc.x: at_target must lie in (0, 1)"),
    ({"at_target": 0.7}, "thc.x: at_target needs a stretch band"),
    ({"rule": "bands", "bands": [[1.0, 1.0]], "stretch": 1.2}, "thc.x: a stretch band needs a linear rule (a bands "
                                                               "rule can add a band beyond 1 instead)"),
])
def test_stretch_bands_and_dimensions_are_checked(spec, problem):
    rule = {"dimension": "health", "rule": "linear", "zero_at": 0.8}
    top = {k: v for k, v in spec.items() if k == "min_dimensions"}
    rule |= {k: v for k, v in spec.items() if k != "min_dimensions"}
    with pytest.raises(weights.WeightsError) as err:
        weights.parse({**top, "rules": {"x": rule}, "weights": {"thc": {"x": 100}}})
    assert err.value.problems == [problem]


def test_a_unit_covering_two_dimensions_is_not_ranked_and_says_why(conn, october):
    three = dataclasses.replace(TEST_WEIGHTS, min_dimensions=3)
    scores = scoring.draft(conn, OCT, weights=three, now=NOW, trend_months=2)
    t1 = _unit(scores, "T1")
    assert (t1["dimensions"], t1["unranked"]) == (2, "dimensions")  # satisfaction and capacity
    assert pd.isna(t1["rank"])
    assert t1["total"] == pytest.approx(EXPECTED_OCT["T1"][0])  # keeps its total
    flags = tables.league(scores, "thc", "zh").set_index("code").at["T1", "flags"]
    assert "未排名：计分指标仅覆盖2个维度，不足3个" in flags
    assert tables.league(scores, "thc", "en").set_index("code").at["T1", "flags"].startswith(
        "Not ranked: scored indicators cover 2 of the five dimensions, under 3")
    assert (_unit(october, "T1")["unranked"], _unit(october, "T1")["rank"]) == ("", 1)  # one is enough: ranked


def test_rank_intervals_and_moves_on_the_tiny_county(october):
    t1 = _unit(october, "T1")
    # No THC indicator of the test weights is a rate with noise (surveys, days, a small register): the
    # draws cannot move T1 from first place, so last month's second place is outside 1–1: significant.
    assert (t1["rank_low"], t1["rank_high"], t1["change_significant"]) == (1, 1, True)
    assert tables.league(october, "thc", "zh").set_index("code").at["T1", "change"] == "▲1"
    assert pd.isna(_unit(october, "V2")["change_significant"])  # not ranked in September


def test_the_opening_slide_names_significant_movers_only(october):
    assert any("一号卫生院" in line for line in narrative.opening(october, "zh"))
    quiet = dataclasses.replace(october, units=october.units.assign(change_significant=False))
    lines = narrative.opening(quiet, "zh")
    assert not any("一号卫生院" in line or "二号卫生院" in line for line in lines)
    assert i18n.t("score.nar.no_significant", "zh") in lines
    assert tables.league(quiet, "thc", "zh").set_index("code").at["T1", "change"] == "不显著（▲1）"


def test_default_weights_are_a_valid_local_setting(conn):
    default = weights.read_file()
    assert weights.check(default, weights.directions(conn)) == []
    assert {g: sum(r.weight for r in default.of(g)) for g in default.groups} == \
        {"county_hospital": 100, "thc": 100, "village_clinic": 100, "public_health": 100}
    catalogue = {r["code"]: r for r in tomllib.loads(CATALOGUE.read_text("utf-8"))["indicator"]}
    tiers = dict(conn.execute(sa.text("SELECT code, peer_group FROM tier")).all())
    for rule in default.rules:  # each indicator is computed at facility scope for that peer group's tiers
        row = catalogue[rule.indicator]
        assert "facility" in row["scopes"], rule
        assert not row.get("tiers") or {tiers[t] for t in row["tiers"]} & {rule.peer_group}, rule
    # The lean the seed asks for (000 §二(三)): sinking, stationed service, contracts, cost control.
    thc = {r.indicator: r.weight for r in default.of("thc")}
    assert thc["sinking_days_hosted"] + thc["fd_contract_rate"] + thc["fd_contract_priority_rate"] \
        + thc["cost_per_visit"] + thc["cost_per_admission"] >= 50


def test_a_weights_file_with_mistakes_is_refused():
    with pytest.raises(weights.WeightsError) as err:
        weights.parse({"rules": {"cost_per_visit": {"dimension": "money", "rule": "linear", "zero_at": 1}},
                       "weights": {"thc": {"cost_per_visit": 60}}})
    assert len(err.value.problems) == 3  # dimension, zero_at, sum
    problems = weights.check(weights.parse({"rules": {"cost_per_visit": {"dimension": "efficiency",
                                                                           "rule": "linear", "zero_at": 0.8}},
                                            "weights": {"thc": {"cost_per_visit": 100}}}), {"cost_per_visit": "down"})
    assert problems == ["thc.cost_per_visit: zero_at must be above 1 for a down indicator"]


# -- stored weights and published snapshots (writes: a fresh store per test, or one shared where it refuses them)


@pytest.fixture(params=BACKENDS)
def tiny_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The tiny county in a store of the test's own, on each backend."""
    with make_store(request.param, tmp_path, fill=tiny.build) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def published_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny county with October published under the test weights, once per backend, for the tests
    whose writes the store refuses (the snapshot tables are insert-only)."""
    with make_store(request.param, tmp_path_factory.mktemp("published"), fill=tiny.build) as url:
        with db.engine(url).begin() as conn:
            weights.store(conn, TEST_WEIGHTS, by="test")
        _publish(url, NOW)
        yield url


def _publish(url: str, now: dt.datetime, month: dt.date = OCT) -> snapshot.Outcome:
    with db.engine(url).begin() as conn:
        return snapshot.publish(conn, month, by="运营发展中心", now=now)


def _late_data(url: str) -> None:
    """A 30-day stint at T2 entered after publication, and T1's quality report arriving on 20 November."""
    with db.engine(url).begin() as conn:
        ids = dict(conn.execute(sa.select(Facility.code, Facility.id)).all())
        d2 = conn.execute(sa.select(Staff.id).where(Staff.staff_key == "d2")).scalar_one()
        events.record(conn, SinkingDeployment, [{"staff_id": d2, "host_facility_id": ids["T2"],
                                                 "start_date": dt.date(2026, 10, 20), "days": 30, "kind": "stationed"}])
        conn.execute(sa.insert(MonthlyReport).values(facility_id=ids["T1"], month=OCT, metric="qc_score", value=88,
                                                     received_at=dt.datetime(2026, 11, 20, 9)))


def test_weights_versions_record_who_and_when(tiny_store):
    with db.engine(tiny_store).begin() as conn:
        assert weights.current(conn).version is None  # the default file until someone stores a version
        first = weights.store(conn, TEST_WEIGHTS, by="张三", now=dt.datetime(2026, 11, 1, 9))
        second = weights.store(conn, weights.read_file(), by="李四", note="defaults")
        assert (first.version, second.version) == (1, 2)
        assert weights.load(conn, 1).rules == TEST_WEIGHTS.rules
        assert [(h["id"], h["created_by"]) for h in weights.history(conn)] == [(2, "李四"), (1, "张三")]
        assert weights.current(conn).version == 2


def test_publish_freezes_a_version_and_late_data_makes_the_next(tiny_store):
    with db.engine(tiny_store).begin() as conn:
        weights.store(conn, TEST_WEIGHTS, by="test")
    assert _publish(tiny_store, NOW) == snapshot.Outcome(1, created=True)
    assert _publish(tiny_store, NOW + dt.timedelta(hours=1)) == snapshot.Outcome(1, created=False)  # nothing new
    with db.engine(tiny_store).connect() as conn:
        v1 = snapshot.load(conn, OCT)
    assert (v1.published.version, v1.published.published_by, v1.weights.version) == (1, "运营发展中心", 1)
    assert v1.data_as_of == dt.datetime(2026, 11, 3, 10)
    assert _unit(v1, "T1")["total"] == pytest.approx(EXPECTED_OCT["T1"][0])

    _late_data(tiny_store)
    assert _publish(tiny_store, dt.datetime(2026, 11, 21, 9)) == snapshot.Outcome(2, created=True)
    with db.engine(tiny_store).connect() as conn:
        v1_again, v2 = snapshot.load(conn, OCT, 1), snapshot.load(conn, OCT)
        assert [v.version for v in snapshot.versions(conn, OCT)] == [1, 2]
    assert snapshot.same(v1, v1_again)  # the old version is untouched
    # T2's late 30-day stint from 20 October adds the 12 days it served in October (the rest fall in
    # November): 7 + 12 = 19 of 30 → 50 × 5/9 + 50 × 19/30 = 59.44 overtakes T1 (55.56).
    assert _unit(v2, "T2")["total"] == pytest.approx(50 * 5 / 9 + 50 * 19 / 30)
    assert (_unit(v2, "T2")["rank"], _unit(v2, "T1")["rank"]) == (1, 2)
    assert _unit(v2, "T1")["report_status"] == "late"
    assert v2.data_as_of == dt.datetime(2026, 11, 20, 9)
    changes = snapshot.diff(v1, v2).set_index("facility_code")
    assert sorted(changes.index) == ["T1", "T2"]
    assert (changes.loc["T2", "old_rank"], changes.loc["T2", "new_rank"]) == (2, 1)
    assert changes.loc["T2", "indicators"] == "sinking_days_hosted"
    assert changes.loc["T1", "indicators"] == ""  # its rank moved, its points did not


@pytest.mark.parametrize("statement", [
    "UPDATE score_snapshot_unit SET total = 99",
    "DELETE FROM score_snapshot_item",
    "UPDATE score_snapshot SET published_by = 'someone else'",
    "DELETE FROM score_rule",
])
def test_a_published_snapshot_cannot_change(published_store, statement):
    with db.engine(published_store).connect() as conn:
        before = snapshot.load(conn, OCT)
    with pytest.raises(sa.exc.DatabaseError, match="insert-only"), db.engine(published_store).begin() as conn:
        conn.execute(sa.text(statement))
    with db.engine(published_store).connect() as conn:
        assert snapshot.same(before, snapshot.load(conn, OCT))


def test_published_month_recomputes_from_raw_data_with_its_stored_weights(tiny_store):
    _publish(tiny_store, NOW)  # stores the default file as weights version 1 first
    with db.engine(tiny_store).connect() as conn:
        published = snapshot.load(conn, OCT)
        assert published.weights.version == 1
        assert published.weights.rules == weights.read_file().rules
        again = scoring.draft(conn, OCT, weights=weights.load(conn, 1), now=published.published.published_at)
    assert snapshot.same(published, again)


def test_a_running_month_cannot_be_published(tiny_store):
    with pytest.raises(snapshot.PublishError):
        _publish(tiny_store, NOW, month=dt.date(2026, 11, 1))


def test_cli_show_and_publish(tiny_store, capsys):
    assert main(["--db", tiny_store, "show", "--month", "2026-10", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["published"] is None
    assert {u["facility_code"] for u in shown["units"]} == {"H", "T1", "T2", "V1", "V2"}
    assert main(["--db", tiny_store, "show", "--month", "2026-10", "--published"]) == 1
    assert main(["--db", tiny_store, "publish", "--month", "2026-10", "--by", "cli"]) == 0
    assert "published as version 1" in capsys.readouterr().out
    assert main(["--db", tiny_store, "show", "--month", "2026-10", "--published", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["published"]["version"] == 1
    assert main(["--db", tiny_store, "show", "--month", "2026-10", "--published"]) == 0
    assert "published v1 by cli" in capsys.readouterr().out

