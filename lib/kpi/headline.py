"""The overview's headline tiles: value against target, change, 12-month series and trajectory.

The headline set is the issue's list (#4): the policy targets leadership watches on the wall screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lib.events.live import Counters
from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.period import Period
from lib.kpi.trajectory import Trajectory, trajectory
from lib.maps.scene import StatusMap
from lib.scoring.score import Scores

HEADLINE = (
    "primary_visit_share",  # 基层首诊率: ≥65% by end-2027 (000 主要目标)
    "in_county_admission_share",  # 县域内就诊率: +5–10 pp by end-2027 (000 主要目标)
    "out_of_county_rate",
    "tcm_visit_share",  # ≥20% (000 §二(七)2)
    "htn_managed_rate",  # ≥70% (000 §二(四)3)
    "dm_managed_rate",
    "maternal_managed_rate",  # ≥90% (000 §二(四)3)
    "fd_contract_rate",  # ≥75% (002 §二(三)3)
    "fund_execution",  # ≤ elapsed share of the year (000 §二(一)3)
    "sinking_days_compliance",  # ≥30 days a year each (000 §二(六)1)
)


@dataclass(frozen=True)
class Tile:
    value: KpiValue
    name_zh: str
    name_en: str
    series: list[tuple]  # (month, value) for the 12 months to the period's end
    trajectory: Trajectory | None
    missing: tuple[tuple[str, str], ...] = ()  # (name_zh, name_en) of units whose report is missing
    basis: str | None = None  # resident | provider: whom an area's value counts (catalogue, issue #11 item 7)


def tiles(engine: Engine, scope: Scope, period: Period, codes: tuple[str, ...] = HEADLINE) -> list[Tile]:
    """Headline tiles that apply to the scope, in the order of ``codes``."""
    values = {v.code: v for v in engine.compute(codes, [scope], period)}
    series = engine.series(values, scope, Period("month", period.last_month))
    out = []
    for code in codes:
        if code not in values:
            continue
        v, row = values[code], engine.catalogue.loc[code]
        months, points = [m for m, _ in series[code]], [x for _, x in series[code]]
        path = None if v.target is None else trajectory(months, points, v.target, v.direction, v.deadline)
        missing = tuple((u.name_zh, u.name_en) for u in engine.units[engine.units["code"].isin(v.missing_units)]
                        .itertuples())
        basis = row.basis if isinstance(row.basis, str) else None
        out.append(Tile(v, row.name_zh, row.name_en, series[code], path, missing, basis))
    return out


@dataclass(frozen=True)
class League:
    """The best and worst units of one peer group in the last published month (or a labelled draft)."""

    group: str
    month: dt.date
    top: pd.DataFrame  # rank, name_zh, name_en, total, previous_rank; best first
    bottom: pd.DataFrame  # worst first
    published_version: int | None  # None: a draft


@dataclass(frozen=True)
class Overview:
    """Everything the overview page draws."""

    counters: Counters
    tiles: list[Tile]
    status_map: StatusMap
    league: League


LEAGUE_SIZE = 5
DEFAULT_LEAGUE = "thc"  # the league the overview shows unless the URL names another peer group


def league(scores: Scores, group: str, keep: pd.Series | None = None, size: int = LEAGUE_SIZE) -> League:
    """Top and bottom ``size`` ranked units of ``group``; ``keep`` (a mask over the group's units, e.g. the
    filters' area) narrows who is listed, never the ranks, which stay the group's own."""
    units = scores.group(group).reset_index(drop=True)
    if keep is not None:
        units = units[keep.to_numpy(dtype=bool)]
    ranked = units[units["rank"].notna()].sort_values(["rank", "facility_code"])  # stable between refreshes
    version = scores.published.version if scores.published else None
    return League(group, scores.month, ranked.head(size), ranked.tail(size).iloc[::-1], version)
