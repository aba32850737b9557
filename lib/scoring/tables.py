"""What the rankings page, the meeting slides and the exports show, built once from a month's Scores.

The page draws these frames and the Excel export writes the same frames, so "the export matches the
screen" holds by construction (tests/lib/test_exports.py and tests/pages/test_rankings.py check it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib import i18n
from lib.scoring import uncertainty
from lib.scoring.score import NOT_SCORED, Scores, rank_change
from lib.scoring.weights import DIMENSIONS, describe

DIGITS = 2  # points are shown, exported and tied at two decimals
FUNNEL_STEPS = 120  # points along each limit curve
LEAGUE_COLUMNS = ("rank", "interval", "change", "unit", "total", *DIMENSIONS, "coverage", "report", "flags", "code")
DETAIL_COLUMNS = ("code", "unit", "dimension", "indicator", "value", "target", "rule", "weight", "effective_weight",
                  "points", "previous_value", "value_change", "previous_points", "delta", "state")
SHORTFALL_COLUMNS = ("unit", "total", "lost", "unscored")


def status(scores: Scores, lang: str) -> str:
    """Which scores these are: "Published version 2 · by … · reports as of …" or "Live draft (not published) · …"."""
    p = scores.published
    w = scores.weights.version
    weights = i18n.t("rankings.weights_file", lang) if w is None else i18n.t("rankings.weights_v", lang, v=w)
    as_of = i18n.fmt_datetime(scores.data_as_of, lang)
    if p is None:
        return i18n.t("rankings.draft", lang, at=i18n.fmt_datetime(scores.computed_at, lang), asof=as_of,
                      weights=weights)
    return i18n.t("rankings.published", lang, v=p.version, by=p.published_by,
                  at=i18n.fmt_datetime(p.published_at, lang), asof=as_of, weights=weights)


def arrow(change: int | None) -> str:
    """▲2 / ▼1 / – (same place) / "" (not ranked in one of the two months)."""
    if change is None or pd.isna(change):
        return ""
    return f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "–"


def move(change: int | None, significant: bool | None, lang: str) -> str:
    """The arrow, or "不显著（▲2）" / "n.s. (▲2)" when last month's rank lies inside this month's 95% interval
    (lib.scoring.uncertainty.significant; methods.md §2b: never infer improvement from rank alone)."""
    shown = arrow(change)
    if shown in ("", "–") or significant is None or pd.isna(significant) or significant:
        return shown
    return i18n.t("score.ns", lang, arrow=shown)


def interval(low: int | None, high: int | None) -> str:
    """"2–11": the 95% interval of a rank; "" for an unranked unit."""
    return "" if low is None or pd.isna(low) else f"{int(low)}–{int(high)}"  # type: ignore[arg-type]


def unranked(reasons: str, unit: pd.Series, scores: Scores, lang: str) -> list[str]:
    """Why a unit is not ranked, one sentence per reason (lib.scoring.score.derive)."""
    w = scores.weights
    facts = {"coverage": {"got": i18n.fmt_pct(unit["coverage"], lang, 0),
                          "need": i18n.fmt_pct(w.min_coverage, lang, 0)},
             "dimensions": {"got": int(unit["dimensions"]), "need": w.min_dimensions}, "no_score": {}}
    return [i18n.t(f"score.unranked.{r}", lang, **facts[r]) for r in reasons.split(",") if r]


def _report(status: str, received: pd.Timestamp | None, lang: str) -> str:
    label = i18n.t(f"score.report.{status}", lang)
    return label if received is None or pd.isna(received) else f"{label} {received:%m-%d}"


def _flags(unit: pd.Series, scores: Scores, lang: str) -> str:
    parts = unranked(unit["unranked"], unit, scores, lang)
    parts += [i18n.t("score.flags.small", lang, n=unit["small_count"])] if unit["small_count"] else []
    parts += [i18n.t("score.flags.missing", lang, n=unit["missing_count"])] if unit["missing_count"] else []
    return " · ".join(parts)


def unit_name(units: pd.DataFrame, lang: str) -> pd.Series:
    return units["name_en" if lang == "en" else "name_zh"]


def league(scores: Scores, peer_group: str, lang: str) -> pd.DataFrame:
    """One peer group's league table in display order: rank, its 95% interval, move (or n.s.), unit, total,
    five dimensions, report, flags (with why a unit is unranked)."""
    u = scores.group(peer_group)
    frame = pd.DataFrame({
        "rank": u["rank"].astype("Int64"),
        "interval": [interval(lo, hi) for lo, hi in zip(u["rank_low"], u["rank_high"], strict=True)],
        "change": [move(c, s, lang) for c, s in zip(rank_change(u), u["change_significant"], strict=True)],
        "unit": unit_name(u, lang),
        "total": u["total"].astype(float).round(DIGITS),
        **{d: u[d].astype(float).round(DIGITS) for d in DIMENSIONS},
        "coverage": u["coverage"].astype(float).round(DIGITS),
        "report": [_report(s, r, lang) for s, r in zip(u["report_status"], u["report_received_at"], strict=True)],
        "flags": [_flags(row, scores, lang) for _, row in u.iterrows()],
        "code": u["facility_code"],
    })
    return frame.reset_index(drop=True)


def trends(scores: Scores, peer_group: str) -> list[list[float | None]]:
    """The 12-month totals of each unit of the group, in league order (sparklines)."""
    return [json.loads(t) for t in scores.group(peer_group)["trend"]]


def headers(lang: str) -> dict[str, str]:
    """Column titles of the league, detail and shortfall tables."""
    names = {c: i18n.t(f"score.col.{c}", lang) for c in (*LEAGUE_COLUMNS, *DETAIL_COLUMNS, *SHORTFALL_COLUMNS, "trend")}
    return names | {d: i18n.t(f"score.dim.{d}", lang) for d in DIMENSIONS}


def value_units(scores: Scores, items: pd.DataFrame) -> list[str]:
    """The unit each item's value is in (lib.kpi.catalogue.UNITS): its own, else its indicator's. The page
    formats values by it and the workbook picks number formats by it, so both show a value alike."""
    return [u or scores.indicators.at[c, "unit"] for u, c in zip(items["unit"], items["indicator_code"], strict=True)]


def detail(scores: Scores, lang: str, *, code: str | None = None, formatted: bool = True) -> pd.DataFrame:
    """Every indicator behind the scores (one unit's with ``code``): value, target, rule, weight, points,
    last month's. ``formatted``: values as text in their units (the page); else plain numbers (Excel)."""
    items = scores.items if code is None else scores.unit_items(code)
    names = scores.indicators
    units = scores.units.set_index("facility_code")
    rules = {(r.peer_group, r.indicator): r for r in scores.weights.rules}
    group = items["facility_code"].map(units["peer_group"])
    name_col = "name_en" if lang == "en" else "name_zh"
    kinds = value_units(scores, items)

    def value(column: str) -> list:
        if not formatted:
            return items[column].astype(float).tolist()
        return [i18n.fmt_value(None if pd.isna(v) else v, u, lang) for v, u in zip(items[column], kinds, strict=True)]

    change = items["value"].astype(float) - items["previous_value"].astype(float)
    if formatted:
        change = [i18n.fmt_change(None if pd.isna(c) else c, u, lang) for c, u in zip(change, kinds, strict=True)]
    delta = items["points"].astype(float).fillna(0) - items["previous_points"].astype(float).fillna(0)
    frame = pd.DataFrame({
        "code": items["facility_code"],
        "unit": items["facility_code"].map(units[name_col]),
        "dimension": [i18n.t(f"score.dim.{d}", lang) for d in items["dimension"]],
        "indicator": items["indicator_code"].map(names[name_col]),
        "value": value("value"),
        "target": value("target"),
        "rule": [describe(rules[(g, c)], names.at[c, "direction"]) for g, c in zip(group, items["indicator_code"],
                                                                                  strict=True)],
        "weight": items["weight"].astype(float).round(DIGITS),
        "effective_weight": items["effective_weight"].astype(float).round(DIGITS),
        "points": items["points"].astype(float).round(DIGITS),
        "previous_value": value("previous_value"),
        "value_change": change,
        "previous_points": items["previous_points"].astype(float).round(DIGITS),
        "delta": delta.round(DIGITS),
        "state": [i18n.t(f"score.state.{s}", lang) for s in items["state"]],
    })
    return frame.reset_index(drop=True)


def shortfalls(scores: Scores, peer_group: str, lang: str) -> pd.DataFrame:
    """Where each unit of the group lost points, in league order, for the printed report: the indicators
    scored under their effective weight (value/target, most points lost first) and those not scored, by
    why. Every indicator of every unit prints to dozens of pages for a county; this fits a few."""
    rows = detail(scores, lang).assign(why=scores.items["state"].to_numpy(),
                                       lost=lambda d: (d["effective_weight"] - d["points"]).round(DIGITS))
    by_unit = dict(tuple(rows.groupby("code", sort=False)))
    join = i18n.t("score.nar.join", lang)

    def lost(d: pd.DataFrame) -> str:
        d = d[d["lost"] > 0].sort_values("lost", ascending=False, kind="stable")
        return join.join(i18n.t("score.short.lost", lang, indicator=r.indicator, target=r.target,
                                value=i18n.t("score.short.zero", lang) if r.why == "zero" else r.value,
                                points=f"{r.lost:.{DIGITS}f}") for r in d.itertuples())

    def unscored(d: pd.DataFrame) -> str:
        return i18n.t("score.short.sep", lang).join(
            i18n.t("score.short.unscored", lang, why=i18n.t(f"score.short.{why}", lang),
                   indicators=join.join(d.loc[d["why"] == why, "indicator"]))
            for why in NOT_SCORED if (d["why"] == why).any())

    u = scores.group(peer_group).reset_index(drop=True)
    mine = [by_unit.get(code, rows.iloc[:0]) for code in u["facility_code"]]
    return pd.DataFrame({"unit": unit_name(u, lang), "total": u["total"].astype(float).round(DIGITS),
                         "lost": [lost(d) for d in mine], "unscored": [unscored(d) for d in mine]})


def waterfall(scores: Scores, code: str, lang: str) -> pd.DataFrame:
    """Last month's total, each indicator's change in points, this month's total: bars with start and end.

    The steps add up exactly: both months are scored with the same weights, so total − last total is the
    sum of the indicators' point changes (an unscored indicator counts 0).
    """
    unit = scores.units.set_index("facility_code").loc[code]
    items = scores.unit_items(code)
    before = 0.0 if pd.isna(unit["previous_total"]) else float(unit["previous_total"])
    rows = [{"label": i18n.t("score.wf.previous", lang), "start": 0.0, "end": before, "kind": "total"}]
    level = before
    name_col = "name_en" if lang == "en" else "name_zh"
    for item in items.itertuples():
        step = (0.0 if pd.isna(item.points) else item.points) - \
            (0.0 if pd.isna(item.previous_points) else item.previous_points)
        if round(step, DIGITS) == 0:
            continue
        rows.append({"label": scores.indicators.at[item.indicator_code, name_col], "start": level,
                     "end": level + step, "kind": "up" if step > 0 else "down"})
        level += step
    total = 0.0 if pd.isna(unit["total"]) else float(unit["total"])
    rows.append({"label": i18n.t("score.wf.current", lang), "start": 0.0, "end": total, "kind": "total"})
    frame = pd.DataFrame(rows)
    frame["delta"] = frame["end"] - frame["start"]
    return frame


@dataclass(frozen=True)
class Funnel:
    """A funnel plot of one rate indicator in one peer group (methods.md §2a): ``points`` (one per unit:
    code, unit, n, rate, position), ``lines`` (n, line, rate: the centre and both pairs of limits, long
    format), ``theta0`` the group's pooled rate."""

    indicator: str
    peer_group: str
    theta0: float
    points: pd.DataFrame
    lines: pd.DataFrame


def funnel_indicators(scores: Scores, peer_group: str) -> list[str]:
    """The group's rate indicators that have at least one unit with a denominator (what a funnel can show)."""
    codes = scores.group(peer_group)["facility_code"]
    items = scores.items[scores.items["facility_code"].isin(codes)]
    rated = set(items.loc[uncertainty.is_rate(items), "indicator_code"])
    return [c for c in dict.fromkeys(items["indicator_code"]) if c in rated]


def _where(p95: str | None, p998: str | None) -> str:
    if p998 in ("above", "below"):
        return p998
    return "inside" if p95 in (None, "inside") else f"{p95}95"


def funnel(scores: Scores, peer_group: str, indicator: str, lang: str) -> Funnel:
    """One rate indicator's funnel for a peer group: the units' points and the limit curves to draw."""
    groups = scores.units.set_index("facility_code")["peer_group"]
    pos = uncertainty.positions(scores.items, groups)
    pos = pos[(pos["peer_group"] == peer_group) & (pos["indicator_code"] == indicator)]
    names = unit_name(scores.units.set_index("facility_code"), lang)
    points = pd.DataFrame({
        "code": pos["facility_code"], "unit": pos["facility_code"].map(names), "n": pos["denominator"],
        "rate": pos["rate"],
        "position": [i18n.t(f"score.funnel.{_where(a, b)}", lang) for a, b in zip(pos["position95"],
                                                                                   pos["position998"], strict=True)],
    }).reset_index(drop=True)
    theta0 = float(pos["theta0"].iloc[0]) if len(pos) else float("nan")
    top = max(float(points["n"].max()) if len(points) else 1.0, 2.0) * 1.1
    n = np.unique(np.geomspace(1.0, top, FUNNEL_STEPS))
    parts = [pd.DataFrame({"n": n, "line": i18n.t("score.funnel.centre", lang), "rate": theta0, "part": "centre"})]
    for z, key in ((uncertainty.Z95, "l95"), (uncertainty.Z998, "l998")):
        low, high = uncertainty.limits(theta0, n, z)
        line = i18n.t(f"score.funnel.{key}", lang)
        parts += [pd.DataFrame({"n": n, "line": line, "rate": v, "part": f"{key}-{side}"})
                  for side, v in (("low", low), ("high", high))]
    return Funnel(indicator, peer_group, theta0, points, pd.concat(parts, ignore_index=True))
