"""Monthly member-unit scores (五大体系, seed 000 §二(三)): points per indicator, dimension scores, total, rank.

How a score is made (the rules the issue left to us, all stated here and in the rankings page):
- Each indicator earns ``share × weight`` points (lib.scoring.weights: linear to target, or bands);
  a peer group's weights sum to 100.
- Not scored, weight spread over the unit's scored indicators in proportion to their weights
  ("effective weight" = weight × 100 ÷ scored weight): a rate over fewer than 30 people or events
  (KpiValue.small_denominator, lib.kpi.SMALL_DENOMINATOR) — flagged, never silently swinging a rank;
  no value (nothing to measure); no target. Exception: a rule with ``missing = "zero"`` (the survey
  scores of the monthly report) earns 0 once the report deadline has passed (seed 003 §四(二)).
- A unit is ranked when indicators carrying at least ``min_coverage`` of its weight were scored and
  they cover at least ``min_dimensions`` of the five systems (methods.md §2: no league place on one
  kind of evidence); an unranked unit keeps its total and says why (``unranked``).
- Village clinics' small monthly flow rates are scored over three months (lib.scoring.pooling).
- Each ranked unit carries the 95% interval of its rank and whether its move since last month is
  significant (lib.scoring.uncertainty, methods.md §2b); both are computed from the month's items, for
  the draft and for a published snapshot alike (``derive``), so they need no stored column.
- Rank within the peer group by the total as shown (two decimals), highest first; equal totals share
  a rank and the next rank is skipped ("1224", competition ranking); within a tie, and among
  unranked units, rows are ordered by facility code, so the order never changes between refreshes.
- Rank change compares with last month scored by the same weights on today's data, so the change is
  exactly the sum of the indicators' point changes (the waterfall).

One Engine.compute call over all unit scopes per month (compare=False); the trend's months are
prefetched together.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from lib import clock
from lib.access.viewer import Viewer
from lib.kpi import catalogue, measures
from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.period import Period, add_months
from lib.registry import settings as county_settings
from lib.scoring import completeness, pooling, uncertainty
from lib.scoring.weights import (
    DIMENSIONS,
    FULL_MARKS,
    PEER_GROUPS,
    TIE_DIGITS,
    Rule,
    Weights,
    WeightsError,
    current,
)

TREND_MONTHS = 12

NOT_SCORED = ("small", "missing", "no_target")
ITEM_COLUMNS = ("facility_code", "indicator_code", "dimension", "unit", "value", "numerator", "denominator",
                "target", "status", "state", "weight", "effective_weight", "share", "points", "previous_value",
                "previous_points")
UNIT_COLUMNS = ("facility_code", "name_zh", "name_en", "peer_group", "area", "community", "total", "rank",
                "previous_total", "previous_rank", *DIMENSIONS, "coverage", "small_count", "missing_count",
                "report_status", "report_received_at", "trend")
# Computed from the stored columns and items whenever scores are read (``derive``), never stored.
DERIVED_COLUMNS = ("dimensions", "unranked", "rank_low", "rank_high", "change_significant")


@dataclass(frozen=True)
class Published:
    """Where a snapshot came from: version n of its month, who published it, when, and the data's date."""

    version: int
    published_at: dt.datetime
    published_by: str
    data_as_of: dt.datetime | None
    note: str = ""


@dataclass(frozen=True)
class Scores:
    """A month's scores: ``units`` (one row per unit, display order) and ``items`` (unit × indicator).

    ``published`` is None for the live draft.
    """

    month: dt.date
    weights: Weights
    units: pd.DataFrame
    items: pd.DataFrame
    indicators: pd.DataFrame  # code → name_zh, name_en, unit, direction (the catalogue's)
    county_zh: str
    county_en: str
    computed_at: dt.datetime
    data_as_of: dt.datetime | None
    published: Published | None = None

    @property
    def groups(self) -> list[str]:
        present = set(self.units["peer_group"])
        return [g for g in PEER_GROUPS if g in present]

    @property
    def has_data(self) -> bool:
        """Something was reported or recorded for the month. Without (every value missing, or a zero count
        of nothing, as in a month before the first event) there is nothing to assess or rank."""
        return self.data_as_of is not None or bool(self.items["value"].fillna(0).ne(0).any())

    def group(self, peer_group: str) -> pd.DataFrame:
        return self.units[self.units["peer_group"] == peer_group]

    def unit_items(self, facility_code: str) -> pd.DataFrame:
        return self.items[self.items["facility_code"] == facility_code]

    def county(self, lang: str) -> str:
        return self.county_en if lang == "en" else self.county_zh

    def seen_by(self, viewer: Viewer) -> Scores:
        """The month as ``viewer`` may see it: its own units' rows and items only (their ranks stay the
        county's), so leagues, explanations and exports built from it never name another unit."""
        if viewer.sees_all:
            return self
        return replace(self, units=viewer.keep(self.units, "facility_code"),
                       items=viewer.keep(self.items, "facility_code"))


@dataclass(frozen=True)
class MonthScores:
    """A month's assessment as the rankings and meeting pages show it: the live draft, the published
    versions, the latest one and the one before it (what the latest changed)."""

    month: dt.date
    draft: Scores | None  # None: the month cannot be scored, ``problem`` says why
    problem: str | None
    versions: list[Published]
    published: Scores | None
    previous: Scores | None


def indicators(conn: Connection, codes: Iterable[str]) -> pd.DataFrame:
    """Names, unit and direction of the scored indicators, indexed by code."""
    return catalogue.read(conn, list(codes))[["name_zh", "name_en", "unit", "direction"]]


def _item(code: str, rule: Rule, v: KpiValue | None, overdue: bool) -> dict:
    value = None if v is None else v.value
    share: float | None = None
    if value is None:
        state = "zero" if rule.missing == "zero" and overdue else "missing"
        share = 0.0 if state == "zero" else None
    elif v.target is None or v.target == 0:
        state = "no_target"
    elif v.small_denominator:
        state = "small"
    else:
        state, share = "scored", rule.share(value, v.target, v.direction)
    return {"facility_code": code, "indicator_code": rule.indicator, "dimension": rule.dimension,
            "unit": None if v is None else v.unit, "value": value,
            "numerator": None if v is None else v.numerator, "denominator": None if v is None else v.denominator,
            "target": None if v is None else v.target, "status": None if v is None else v.status,
            "state": state, "weight": rule.weight, "share": share}


def _points(items: pd.DataFrame) -> pd.DataFrame:
    """Effective weights and points: the scored weight of each unit scaled back up to 100."""
    counted = ~items["state"].isin(NOT_SCORED)
    scored_weight = items["weight"].where(counted, 0.0).groupby(items["facility_code"]).transform("sum")
    factor = (FULL_MARKS / scored_weight).where(scored_weight > 0, 0.0)
    items = items.assign(effective_weight=items["weight"].where(counted, 0.0) * factor)
    return items.assign(points=(items["share"] * items["effective_weight"]).where(counted))


def score_items(engine: Engine, weights: Weights, units: pd.DataFrame, month: dt.date,
                now: dt.datetime, due_day: int = completeness.DUE_DAY) -> pd.DataFrame:
    """Every unit × indicator of one month, with state, share and points (one Engine.compute call)."""
    scopes = [Scope("facility", (code,)) for code in units["code"]]
    values = engine.compute(weights.codes, scopes, Period("month", month), compare=False)
    by_key = {(v.scope, v.code): v for v in values}
    overdue = completeness.overdue(month, now, due_day)
    rows = [_item(u.code, rule, by_key.get((Scope("facility", (u.code,)), rule.indicator)), overdue)
            for u in units.itertuples() for rule in weights.of(u.peer_group)]
    frame = pd.DataFrame(rows, columns=[c for c in ITEM_COLUMNS if c not in
                                        ("effective_weight", "points", "previous_value", "previous_points")])
    return _points(frame.astype({"share": float, "weight": float}))


def covered(items: pd.DataFrame) -> pd.Series:
    """How many of the five systems each unit's counted indicators cover, by facility code."""
    counted = items[~items["state"].isin(NOT_SCORED)]
    return counted.groupby("facility_code")["dimension"].nunique().reindex(items["facility_code"].unique(),
                                                                           fill_value=0)


def rank(totals: pd.Series, groups: pd.Series) -> pd.Series:
    """Competition ranking ("1224") of the totals as shown, highest first, within each peer group."""
    shown = totals.astype(float).round(TIE_DIGITS)
    return shown.groupby(groups).rank(method="min", ascending=False).astype("Int64")


def unit_totals(items: pd.DataFrame, units: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Per unit: total, dimension scores, coverage, dimensions covered, flags and rank (NA when not ranked)."""
    state = items["state"]
    parts = pd.DataFrame({"facility_code": items["facility_code"], "points": items["points"],
                          "scored_weight": items["weight"].where(~state.isin(NOT_SCORED), 0.0),
                          "small_count": (state == "small").astype(int),
                          "missing_count": state.isin(("missing", "zero")).astype(int)})
    by = parts.groupby("facility_code", sort=False)
    out = pd.DataFrame({"total": by["points"].sum(min_count=1), "coverage": by["scored_weight"].sum() / FULL_MARKS,
                        "small_count": by["small_count"].sum(), "missing_count": by["missing_count"].sum()})
    dims = items.groupby(["facility_code", "dimension"])["points"].sum(min_count=1).unstack()
    out = out.join(dims.reindex(columns=list(DIMENSIONS))).reindex(units["code"])
    out["dimensions"] = covered(items).reindex(out.index).fillna(0).astype(int)
    ranked = out["total"].notna() & (out["coverage"] + 1e-9 >= weights.min_coverage) & \
        (out["dimensions"] >= weights.min_dimensions)
    groups = units.set_index("code")["peer_group"].reindex(out.index)
    out["rank"] = rank(out["total"].where(ranked), groups).where(ranked)
    return out


def draft(conn: Connection, month: dt.date, *, county: str | None = None, weights: Weights | None = None,
          now: dt.datetime | None = None, trend_months: int = TREND_MONTHS) -> Scores:
    """The live scores of ``month`` of county ``county`` (None: the store's first) from the store as it is now
    (the unpublished draft)."""
    now = now or clock.now()
    weights = weights or current(conn)
    engine = Engine(conn, county=county, today=now.date())
    unknown = [c for c in weights.codes if c not in engine.catalogue.index]
    if unknown:  # a store loaded before these indicators existed
        raise WeightsError("indicator catalogue", [f"{c}: not in the store's catalogue; run python -m lib.catalogue "
                                                   "sync --targets FILE --county CODE" for c in unknown])
    # The member units are assessed, auxiliary hospitals with them; a partner is no member (issue #15).
    units = measures.active(engine.units, month)
    units = units[units["peer_group"].isin(weights.groups) & (units["role"] != "partner")]
    read = [add_months(month, -i) for i in reversed(range(max(trend_months, 2) + pooling.WINDOW - 1))]
    months = read[pooling.WINDOW - 1:]  # the months shown; the ones before only feed the pooled rates
    engine.prefetch([q for m in read
                     for q in engine.related_periods(Period("month", m), weights.codes, compare=False)])
    county = engine.county
    due_day = county_settings.read(conn, county.code).reporting_day
    raw = {m: score_items(engine, weights, units, m, now, due_day) for m in read}
    groups = units.set_index("code")["peer_group"]
    rules = {(r.peer_group, r.indicator): r for r in weights.rules}
    directions = engine.catalogue["direction"].to_dict()
    items = {m: _points(pooling.pool(raw, m, groups, rules, directions)) for m in months}
    totals = {m: unit_totals(items[m], units, weights) for m in months}
    previous = add_months(month, -1)
    reports = completeness.reports(conn, month, units.index, now, due_day).set_axis(units["code"])
    this = order_items(_with_previous(items[month], items[previous]))
    names = indicators(conn, weights.codes)
    table = _units_frame(units, totals[month], totals[previous], reports, [_ranked_total(totals[m]) for m in months])
    return Scores(month=month, weights=weights, units=derive(table, this, weights, names),
                  items=this, indicators=names, county_zh=county.name_zh,
                  county_en=county.name_en, computed_at=now, data_as_of=completeness.data_as_of(conn, month))


def _ranked_total(totals: pd.DataFrame) -> pd.Series:
    """A month's totals for the trend: only where the unit was ranked (a month with too little data is a gap)."""
    return totals["total"].where(totals["rank"].notna())


def _with_previous(items: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    key = ["facility_code", "indicator_code"]
    prev = before.set_index(key)[["value", "points"]].rename(columns=lambda c: f"previous_{c}")
    return items.join(prev, on=key)[list(ITEM_COLUMNS)]


def _units_frame(units: pd.DataFrame, now: pd.DataFrame, before: pd.DataFrame, reports: pd.DataFrame,
                 trend: list[pd.Series]) -> pd.DataFrame:
    frame = units.set_index("code")[["name_zh", "name_en", "peer_group", "area", "community"]].join(now)
    frame["previous_total"] = before["total"]
    frame["previous_rank"] = before["rank"]
    frame = frame.join(reports)
    series = pd.concat(trend, axis=1)
    frame["trend"] = [json.dumps([None if pd.isna(x) else round(float(x), 4) for x in row])
                      for row in series.reindex(frame.index).itertuples(index=False)]
    frame = frame.rename_axis("facility_code").reset_index()
    return order(frame[list(UNIT_COLUMNS)])


def derive(units: pd.DataFrame, items: pd.DataFrame, weights: Weights, names: pd.DataFrame) -> pd.DataFrame:
    """``units`` (UNIT_COLUMNS) with DERIVED_COLUMNS: dimensions covered, why a unit is unranked
    ("coverage", "dimensions", "no_score", comma-separated; "" when ranked), the 95% rank interval and
    whether the move since last month is significant (lib.scoring.uncertainty)."""
    out = units.copy()
    out["dimensions"] = out["facility_code"].map(covered(items)).fillna(0).astype(int)
    reasons = pd.DataFrame({"no_score": out["total"].isna(),
                            "coverage": out["coverage"].astype(float) + 1e-9 < weights.min_coverage,
                            "dimensions": out["dimensions"] < weights.min_dimensions})
    out["unranked"] = [",".join(c for c in reasons.columns if row[c]) if pd.isna(r) else ""
                       for r, (_, row) in zip(out["rank"], reasons.iterrows(), strict=True)]
    rules = {(r.peer_group, r.indicator): r for r in weights.rules}
    intervals = uncertainty.rank_intervals(out, items, rules, names["direction"].to_dict())
    out["rank_low"] = intervals["rank_low"].to_numpy()
    out["rank_high"] = intervals["rank_high"].to_numpy()
    out["change_significant"] = uncertainty.significant(out["rank"], out["previous_rank"], out["rank_low"],
                                                        out["rank_high"])
    return out


def order(units: pd.DataFrame) -> pd.DataFrame:
    """Display order: peer group, rank (unranked last), facility code — stable across refreshes."""
    group = units["peer_group"].map({g: i for i, g in enumerate(PEER_GROUPS)})
    keys = pd.DataFrame({"g": group, "r": units["rank"].astype("Float64").fillna(np.inf), "c": units["facility_code"]})
    return units.loc[keys.sort_values(["g", "r", "c"]).index].reset_index(drop=True)


def order_items(items: pd.DataFrame) -> pd.DataFrame:
    """Indicators of each unit by dimension (四方满意 … 运行效率), then weight, heaviest first, then code."""
    keys = pd.DataFrame({"u": items["facility_code"], "d": items["dimension"].map(DIMENSIONS.index),
                         "w": -items["weight"].astype(float), "c": items["indicator_code"]})
    return items.loc[keys.sort_values(["u", "d", "w", "c"]).index].reset_index(drop=True)


def rank_change(units: pd.DataFrame) -> pd.Series:
    """Places moved since last month: positive = up; NA when either month is unranked."""
    return (units["previous_rank"].astype("Int64") - units["rank"].astype("Int64")).astype("Int64")
