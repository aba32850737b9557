"""The KPI engine: any catalogue indicator for any scope and period, with its target and status.

Every gauge, ranking and export goes through ``Engine.compute``. Measures are aggregated per facility
in SQL once per period (lib.kpi.measures), then summed over each scope, so computing 70 scopes costs
about what one does.

    python -m lib.kpi show --period YYYY-MM [--ytd | --r12 | --today] [--area CODE | --community CODE |
                           --facility CODE] [--json] [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.kpi import catalogue, measures, months
from lib.kpi.indicators import FORMULAS, FUND_ALL, Ratio, Sums, UnitTable
from lib.kpi.period import Period, add_months, first_of_month
from lib.kpi.targets import DEFAULT_MARGIN, Status, Target, TargetBook, status
from lib.store import db
from lib.store.models import County, FundBudget

ScopeKind = Literal["county", "community", "area", "facility", "facilities"]
# Below this many people or events a rate is flagged unreliable (kpi-catalogue, "Small denominators":
# a village clinic with 4 pregnant women must not swing ranks silently). A local setting.
SMALL_DENOMINATOR = 30
SCOPE_COLUMNS = {"community": "community", "area": "area", "facility": "code", "facilities": "code"}
# Indicators whose value of any period reads the year to date ending with it (the fund's envelope is annual).
READS_YEAR_TO_DATE = frozenset({"fund_execution"})


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind = "county"
    codes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.kind if self.kind == "county" else f"{self.kind}:{','.join(self.codes)}"

    def members(self, units: pd.DataFrame) -> pd.Index:
        """The facility ids of the scope among ``units`` (lib.kpi.measures.facilities): the one mapping."""
        column = SCOPE_COLUMNS.get(self.kind)
        return units.index if column is None else units.index[units[column].isin(self.codes).to_numpy(dtype=bool)]


@dataclass(frozen=True)
class KpiValue:
    code: str
    scope: Scope
    period: str
    unit: str
    direction: str
    value: float | None
    numerator: float | None
    denominator: float | None
    target: float | None
    target_upper: float | None
    deadline: dt.date | None
    status: Status | None
    previous: float | None
    last_year: float | None
    small_denominator: bool
    target_source: str = field(default="")
    missing_units: tuple[str, ...] = ()  # codes of units whose stock report is missing: left out, named
    as_of: dt.date | None = None  # a stock carried forward: the month of the oldest report in the value


class Engine:
    """One county's indicators over one connection; measures are cached per period for the engine's life."""

    def __init__(self, conn: Connection, *, today: dt.date | None = None, margin: float = DEFAULT_MARGIN) -> None:
        self.conn = conn
        self.today = today or clock.today()
        self.margin = margin
        units = measures.facilities(conn)
        # Plain object columns: boolean masks over Arrow-backed strings cost ~10× more, and scopes mask often.
        self.units = units.astype({c: object for c in units.columns if c != "population"})
        self.catalogue = catalogue.read(conn)
        self._rows = {r.Index: r for r in self.catalogue.itertuples()}
        self._unit_rows = {r.Index: r for r in self.units.itertuples()}
        self.table = UnitTable(self.units)
        county = conn.execute(sa.select(County.id, County.resident_population).order_by(County.id).limit(1)).one()
        self.county_id, self.residents = county.id, float(county.resident_population)
        self.targets = TargetBook(conn, self.county_id)
        self._measures: dict[Period, measures.PeriodMeasures] = {}
        self._matrices: dict[Period, tuple[np.ndarray, list[str], np.ndarray, np.ndarray]] = {}
        reporting = measures.reporting_tiers(conn)
        self._reporting_tiers = reporting.groupby("measure")["tier"].agg(frozenset).to_dict()
        self._ids: dict[Scope, pd.Index] = {}
        self._sums: dict[tuple[Scope, Period], Sums] = {}
        self._rows_of: dict[Scope, tuple[np.ndarray, float]] = {}

    # -- scopes and measures -----------------------------------------------------------------------

    def facility_ids(self, scope: Scope) -> pd.Index:
        if scope not in self._ids:
            self._ids[scope] = scope.members(self.units)
        return self._ids[scope]

    def prefetch(self, periods: Iterable[Period]) -> None:
        """Read the measures of several periods together (one rollup scan serves them all)."""
        missing = [p for p in dict.fromkeys(periods) if p not in self._measures]
        if missing:
            self._measures.update(months.period_measures(self.conn, missing, self.today))

    def related_periods(self, period: Period, codes: Iterable[str], *, compare: bool = True) -> list[Period]:
        """What a value needs besides its period: comparisons, the year to date (for the indicators that
        read it), baseline years of targets."""
        codes = list(codes)
        rows = self.targets.rows
        baselines = rows[rows.indicator_code.isin(codes) & (rows.kind == "baseline_delta")].baseline_year
        out = [period, period.previous(), period.last_year()] if compare else [period]
        if READS_YEAR_TO_DATE.intersection(codes):
            out += [Period("ytd", p.last_month) for p in out]
        out += [Period("ytd", dt.date(int(y), 12, 1)) for y in baselines.dropna().unique()]
        return out

    def measures(self, period: Period) -> measures.PeriodMeasures:
        self.prefetch([period])
        return self._measures[period]

    def _matrix(self, period: Period) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
        """The period's measures as units × measures arrays (rows in the order of ``self.units``): values,
        columns, where a NaN is a missing report, and the stocks' report months."""
        if period not in self._matrices:
            held = self.measures(period)
            stock = sorted(set(self._reporting_tiers) | set(held.reported.columns) | set(measures.STATUS_MEASURES))
            values = held.values.reindex(self.units.index)
            flow = [c for c in values.columns if c not in set(stock)]
            values = values[flow].fillna(0.0).join(values.reindex(columns=stock))
            reported = held.reported.reindex(index=self.units.index, columns=values.columns)
            tiers = self.units["tier"]
            expected = np.column_stack([tiers.isin(self._reporting_tiers.get(c, ())).to_numpy(dtype=bool)
                                        for c in values.columns]) if len(values.columns) else \
                np.zeros((len(tiers), 0), dtype=bool)
            self._matrices[period] = (values.to_numpy(dtype=float), list(values.columns), expected,
                                      reported.to_numpy(dtype=float))
        return self._matrices[period]

    def sums(self, scope: Scope, period: Period) -> Sums:
        if (scope, period) not in self._sums:
            rows, population = self._scope_rows(scope)
            matrix, columns, expected, reported = self._matrix(period)
            self._sums[(scope, period)] = Sums(matrix[rows], columns, self.table, rows, population, expected[rows],
                                               reported[rows])
        return self._sums[(scope, period)]

    def _scope_rows(self, scope: Scope) -> tuple[np.ndarray, float]:
        """The scope's units as positions in ``self.units``, and the people it serves (the county: its residents).
        Kept per engine: a cache on the method would keep every engine ever made alive (it leaked on walls)."""
        if scope not in self._rows_of:
            rows = np.flatnonzero(self.units.index.isin(self.facility_ids(scope)))
            self._rows_of[scope] = rows, self.residents if scope.kind == "county" else float(
                self.table.population[rows].sum())
        return self._rows_of[scope]

    def applies(self, code: str, scope: Scope) -> bool:
        row = self._rows[code]
        kind = "area" if scope.kind == "facilities" else scope.kind
        if kind not in row.scopes:
            return False
        if kind == "facility" and row.tiers:
            return all(self._unit_rows[i].tier in row.tiers for i in self.facility_ids(scope))
        return True

    # -- values --------------------------------------------------------------------------------------

    def ratio(self, code: str, scope: Scope, period: Period) -> Ratio | None:
        if code == "fund_execution":
            return self._fund_execution(scope, period)
        return FORMULAS[code](self.sums(scope, period))

    def _fund_execution(self, scope: Scope, period: Period) -> Ratio | None:
        """YTD fund spending ÷ the year's envelope: budget − 5% 调剂金 − commercial premiums (000 §二(一)3)."""
        if scope.kind != "county":
            return None
        year = period.last_month.year
        fb = FundBudget
        b = self.conn.execute(sa.select(fb.revenue_budget, fb.reserve_rate, fb.commercial_premium)
                              .where(fb.county_id == self.county_id, fb.year == year)).first()
        if b is None:
            return None
        envelope = float(b.revenue_budget) * (1 - b.reserve_rate) - float(b.commercial_premium)
        spent = self.sums(scope, Period("ytd", period.last_month)).total(*FUND_ALL)
        return Ratio(spent, envelope, sampled=False)

    def value(self, code: str, scope: Scope, period: Period) -> float | None:
        r = self.ratio(code, scope, period)
        return None if r is None else r.value

    def target(self, code: str, scope: Scope, period: Period) -> Target | None:
        tier = peer = ""
        if scope.kind == "facility":
            unit = self._unit_rows[self.facility_ids(scope)[0]]
            tier, peer = unit.tier, unit.peer_group
        return self.targets.resolve(code, period, self.today,
                                    lambda year: self.value(code, scope, Period("ytd", dt.date(year, 12, 1))),
                                    tier=tier, peer_group=peer)

    def compute(self, codes: Iterable[str] | None, scopes: Iterable[Scope], period: Period, *,
                compare: bool = True) -> list[KpiValue]:
        """Values of these indicators (all by default) for each scope; ``compare`` adds the previous
        period and the same period last year (a sparkline or ranking may not need them)."""
        codes = list(self.catalogue.index if codes is None else codes)
        self.prefetch(self.related_periods(period, codes, compare=compare))
        return [self._one(code, scope, period, compare) for scope in scopes for code in codes
                if self.applies(code, scope)]

    def series(self, codes: Collection[str], scope: Scope, end: Period, months: int = 12
               ) -> dict[str, list[tuple[dt.date, float | None]]]:
        """Monthly values of each indicator for the months up to ``end`` (sparklines, trends)."""
        periods = _months_to(end, months)
        ytd = bool(READS_YEAR_TO_DATE.intersection(codes))
        self.prefetch([q for p in periods for q in ((p, Period("ytd", p.last_month)) if ytd else (p,))])
        return {code: [(p.last_month, self.value(code, scope, p)) for p in periods]
                for code in codes if self.applies(code, scope)}

    def _one(self, code: str, scope: Scope, period: Period, compare: bool) -> KpiValue:
        row = self._rows[code]
        sums = self.sums(scope, period)
        sums.start()
        r = self.ratio(code, scope, period)
        gaps = sums.gaps()
        value = None if r is None else r.value
        if value is None:
            r = None
        target = self.target(code, scope, period)
        small = bool(r is not None and r.denominator is not None and r.sampled and r.denominator < SMALL_DENOMINATOR)
        return KpiValue(
            code=code, scope=scope, period=period.label(), unit=row.unit, direction=row.direction,
            value=value, numerator=None if r is None else r.numerator,
            denominator=None if r is None else r.denominator,
            target=None if target is None else target.value, target_upper=None if target is None else target.upper,
            deadline=None if target is None else target.deadline,
            status=status(value, target, row.direction, self.margin),
            previous=self.value(code, scope, period.previous()) if compare else None,
            last_year=self.value(code, scope, period.last_year()) if compare else None,
            small_denominator=small, target_source="" if target is None else target.source,
            missing_units=tuple(self._unit_rows[i].code for i in gaps.missing),
            as_of=gaps.as_of if gaps.as_of is not None and gaps.as_of < first_of_month(period.last_date) else None,
        )


def _months_to(end: Period, months: int) -> list[Period]:
    return [Period("month", add_months(end.last_month, -i)) for i in reversed(range(months))]


def compute(conn: Connection, codes: Iterable[str] | None = None, scopes: Iterable[Scope] = (Scope(),),
            period: Period | None = None, *, today: dt.date | None = None,
            margin: float = DEFAULT_MARGIN) -> list[KpiValue]:
    """Indicators (all by default) for each scope over one period."""
    engine = Engine(conn, today=today, margin=margin)
    return engine.compute(codes, scopes, period or Period("month", engine.today))


def _scope_from_args(args: argparse.Namespace) -> Scope:
    for kind in ("area", "community", "facility"):
        if getattr(args, kind):
            return Scope(kind, (getattr(args, kind),))
    return Scope()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.kpi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print indicators for a scope and period")
    show.add_argument("--period", required=True, help="YYYY-MM (the month, or the end of the period)")
    kinds = show.add_mutually_exclusive_group()
    kinds.add_argument("--ytd", action="store_true", help="year to date, to the end of that month")
    kinds.add_argument("--r12", action="store_true", help="rolling 12 months to the end of that month")
    kinds.add_argument("--today", action="store_true", help="one day: --period YYYY-MM-DD")
    where = show.add_mutually_exclusive_group()
    where.add_argument("--area")
    where.add_argument("--community")
    where.add_argument("--facility")
    show.add_argument("--json", action="store_true")
    show.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    args = parser.parse_args(argv)
    if args.today:
        period = Period("today", dt.date.fromisoformat(args.period))
    else:
        period = Period("ytd" if args.ytd else "r12" if args.r12 else "month", Period.month(args.period[:7]).end)
    with db.engine(db.resolve_url(args.db)).connect() as conn:
        engine = Engine(conn)
        values = engine.compute(None, [_scope_from_args(args)], period)
        names = engine.catalogue["name_zh"]
    if args.json:
        print(json.dumps([{**asdict(v), "scope": v.scope.label} for v in values], ensure_ascii=False, default=str,
                         indent=1))
        return 0
    print(f"{'code':<30} {'value':>12} {'numerator':>14} {'denominator':>14} {'target':>10} {'status':<7} "
          f"{'previous':>10} {'last year':>10}  name")
    for v in values:
        def f(x: float | None) -> str:
            return "—" if x is None else f"{x:.4f}" if abs(x) < 10 else f"{x:,.1f}"
        print(f"{v.code:<30} {f(v.value):>12} {f(v.numerator):>14} {f(v.denominator):>14} {f(v.target):>10} "
              f"{v.status or '—':<7} {f(v.previous):>10} {f(v.last_year):>10}  {names[v.code]}"
              + ("  [small denominator]" if v.small_denominator else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
