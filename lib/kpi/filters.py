"""The filters every page shares — community, area, peer group, period — as URL query parameters.

A link reproduces the view: ``?community=mengzhong&area=pastoral&tier=thc&period=2026-10&span=ytd``.
Parsing never fails on a hand-edited URL: an unknown value is dropped (and reported in ``ignored``),
so a wall screen with a stale link still shows the county.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from lib import clock
from lib.kpi.engine import Scope
from lib.kpi.period import Period, first_of_month

SPANS = ("month", "ytd", "r12")


@dataclass(frozen=True)
class Filters:
    community: str | None = None
    area: str | None = None
    tier: str | None = None  # a peer group: county_hospital | thc | village_clinic | public_health
    period: Period = field(default_factory=lambda: Period("month", clock.today()))
    ignored: tuple[str, ...] = ()

    def to_query(self, today: dt.date) -> dict[str, str]:
        """Only what differs from the defaults, so plain links stay plain."""
        out = {k: v for k, v in (("community", self.community), ("area", self.area), ("tier", self.tier)) if v}
        if self.period.last_month != first_of_month(today):
            out["period"] = f"{self.period.last_month:%Y-%m}"
        if self.period.kind != "month":
            out["span"] = self.period.kind
        return out

    def scope(self, units: pd.DataFrame) -> Scope:
        """The KPI scope these filters select from the registry's units (lib.kpi.measures.facilities)."""
        if not (self.community or self.tier):
            return Scope("area", (self.area,)) if self.area else Scope()
        if self.community and not (self.area or self.tier):
            return Scope("community", (self.community,))
        return Scope("facilities", tuple(units.loc[self.keeps(units), "code"]))

    def keeps(self, units: pd.DataFrame, *, by_tier: bool = True) -> pd.Series:
        """Which of ``units`` (rows with community, area and peer_group) the filters keep."""
        keep = pd.Series(True, index=units.index)
        chosen = (("community", self.community), ("area", self.area), ("peer_group", self.tier if by_tier else None))
        for column, value in chosen:
            if value:
                keep &= units[column] == value
        return keep


def facility_ids(scope: Scope, units: pd.DataFrame) -> list[int] | None:
    """The units of a scope as facility ids (None for the whole county)."""
    return None if scope.kind == "county" else [int(i) for i in scope.members(units)]


def parse(params: Mapping[str, str], units: pd.DataFrame, today: dt.date) -> Filters:
    """Filters from URL parameters, checked against the county's own communities, areas and peer groups."""
    ignored = []
    chosen: dict[str, str | None] = {}
    for name, column in (("community", "community"), ("area", "area"), ("tier", "peer_group")):
        value = params.get(name)
        if value and value not in set(units[column]):
            ignored.append(name)
            value = None
        chosen[name] = value or None
    span = params.get("span") or "month"
    if span not in SPANS:
        ignored.append("span")
        span = "month"
    month = first_of_month(today)
    if params.get("period"):
        try:
            month = Period.month(params["period"]).end
        except ValueError:
            ignored.append("period")
        if month > first_of_month(today):
            ignored.append("period")
            month = first_of_month(today)
    return Filters(chosen["community"], chosen["area"], chosen["tier"], Period(span, month), tuple(ignored))
