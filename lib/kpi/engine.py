"""The KPI engine: any catalogue indicator for any scope and period, with its target and status.

Every gauge, ranking and export goes through ``Engine.compute``. Measures are aggregated per facility
in SQL once per period (lib.kpi.measures), then summed over each scope, so computing 70 scopes costs
about what one does. Its command line is lib/kpi/__main__.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.kpi import catalogue, measures, months
from lib.kpi.indicators import FORMULAS, FUND_ALL, NO_GAPS, Batch, Gaps, Ratio, Sums, UnitMeasures, UnitTable
from lib.kpi.period import Period, add_months, first_of_month
from lib.kpi.targets import DEFAULT_MARGIN, Status, Target, TargetBook, status
from lib.store import counties
from lib.store.models import FundBudget

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


class Scopes(tuple):
    """Scopes evaluated together: a tuple that hashes once (a page's tens of scopes are looked up hundreds of
    times, per indicator and period)."""

    def __new__(cls, scopes: Iterable[Scope]) -> Scopes:
        made = super().__new__(cls, scopes)
        made._hash = tuple.__hash__(made)
        return made

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True)
class Evaluated:
    """One indicator over a batch of scopes and one period: the formula's ratio, each scope's value (NaN: none)
    and, for the period a value is shown for, each scope's gaps."""

    ratio: Ratio
    values: list[float]  # plain floats: read one by one, thousands of times a page
    gaps: list[Gaps] | None = None

    @classmethod
    def of(cls, ratio: Ratio, scopes: int, gaps: list[Gaps] | None) -> Evaluated:
        return cls(ratio, ratio.values(scopes).tolist(), gaps)

    def value(self, i: int) -> float | None:
        v = self.values[i]
        return None if v != v else v  # NaN: no value

    @cached_property
    def terms(self) -> tuple[list[float], list[float] | None]:
        """Each scope's numerator and denominator (None: a count) as plain floats, for the values shown."""
        n = len(self.values)
        numerators = np.broadcast_to(np.asarray(self.ratio.numerator, dtype=float), (n,)).tolist()
        if self.ratio.denominator is None:
            return numerators, None
        return numerators, np.broadcast_to(np.asarray(self.ratio.denominator, dtype=float), (n,)).tolist()


class _Knowledge:
    """What the engines of one process share while a store stands still (the same store, data and day):
    the units, catalogue and targets they read, and every period's measures, batch and value computed.
    Every input of these is under a generation (migrations 0010 and 0015), so a state's knowledge is true
    for any engine that finds the store in that state."""

    def __init__(self, conn: Connection, county: counties.CountyRef) -> None:
        units = measures.facilities(conn, county.id)
        # Plain object columns: boolean masks over Arrow-backed strings cost ~10× more, and scopes mask often.
        self.units = units.astype({c: object for c in units.columns if c != "population"})
        self.catalogue = catalogue.read(conn)
        self.rows = {r.Index: r for r in self.catalogue.itertuples()}
        self.unit_rows = {r.Index: r for r in self.units.itertuples()}
        self.positions = {code: i for i, code in enumerate(self.units["code"])}
        self.unit_at = list(self.unit_rows.values())  # by position in ``units``
        self.tier_at = self.units["tier"].tolist()
        self.table = UnitTable(self.units)
        self.county = county
        self.county_id, self.residents = county.id, county.residents
        self.targets = TargetBook(conn, self.county_id)
        self.reporting_tiers = measures.reporting_tiers(conn)
        self.measures: dict[Period, measures.PeriodMeasures] = {}
        self.unit_measures: dict[Period, UnitMeasures] = {}
        self.expected: dict[str, np.ndarray] = {}
        self.ids: dict[Scope, pd.Index] = {}
        self.batches: dict[tuple[Scopes, Period], Batch] = {}
        self.evaluated: dict[tuple[str, Scopes, Period], Evaluated] = {}
        self.rows_of: dict[Scope, np.ndarray] = {}
        self.shown: dict[tuple[tuple[str, ...], Scopes], list[tuple[int, str]]] = {}
        self.peers_of: dict[Scope, tuple[str, str]] = {}
        self.budgets: dict[int, Any] = {}
        self.scope_sets: dict[Scopes, Scopes] = {}
        self.lock = threading.RLock()

    def interned(self, scopes: Iterable[Scope]) -> Scopes:
        """One object per set of scopes: the caches' keys then compare by identity, not scope by scope."""
        made = Scopes(scopes)
        return self.scope_sets.setdefault(made, made)


_KNOWN: OrderedDict[tuple[object, ...], _Knowledge] = OrderedDict()
_KNOWN_LOCK = threading.Lock()
# Per county: the state being read and the one before it (a live feed moves the state every few seconds);
# at most KNOWN_COUNTIES counties at once (a region's store shown on several screens).
KNOWN_STATES, KNOWN_COUNTIES = 2, 8


def _known(conn: Connection, today: dt.date, at: months.StoreState, county: str | None) -> _Knowledge:
    """The process's knowledge of a county of the store in this state, or a new one (kept unless read inside
    a write)."""
    key = (at.store, at.version, today, county)
    with _KNOWN_LOCK:
        held = _KNOWN.get(key)
        if held is not None:
            _KNOWN.move_to_end(key)
            return held
    fresh = _Knowledge(conn, counties.resolve(conn, county))
    if not at.dirty:
        with _KNOWN_LOCK:
            fresh = _KNOWN.setdefault(key, fresh)
            mine = [k for k in _KNOWN if k[3] == county]
            for old in mine[:-KNOWN_STATES]:
                del _KNOWN[old]
            while len(_KNOWN) > KNOWN_STATES * KNOWN_COUNTIES:
                _KNOWN.popitem(last=False)
    return fresh


class Engine:
    """One county's indicators over one connection; measures are cached per period for the engine's life.

    Formulas run over batches of scopes (lib.kpi.indicators.Batch): an indicator costs one evaluation per
    period whatever the number of scopes it is shown for."""

    def __init__(self, conn: Connection, *, county: str | None = None, today: dt.date | None = None,
                 margin: float = DEFAULT_MARGIN) -> None:
        self.conn = conn
        self.today = today or clock.today()
        self.margin = margin
        self.state = months.state(conn)
        self._known = _known(conn, self.today, self.state, county)
        k = self._known
        self.units, self.catalogue, self.table, self.targets = k.units, k.catalogue, k.table, k.targets
        self.county, self.county_id, self.residents = k.county, k.county_id, k.residents

    # -- scopes and measures -----------------------------------------------------------------------

    def facility_ids(self, scope: Scope) -> pd.Index:
        if scope not in self._known.ids:
            self._known.ids[scope] = scope.members(self.units)
        return self._known.ids[scope]

    def prefetch(self, periods: Iterable[Period]) -> None:
        """Read the measures of several periods together (one rollup scan serves them all)."""
        missing = [p for p in dict.fromkeys(periods) if p not in self._known.measures]
        if missing:
            self._known.measures.update(months.period_measures(self.conn, missing, self.today, self.state))

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
        return self._known.measures[period]

    def unit_measures(self, period: Period) -> UnitMeasures:
        """The period's measures as units × measures arrays (rows in the order of ``self.units``): a flow a
        unit did not have is 0, a stock it has no report of is NaN."""
        if period not in self._known.unit_measures:
            held = self.measures(period)
            stocks = set(self._known.reporting_tiers) | set(held.reported.columns) | set(measures.STATUS_MEASURES)
            flow = [c for c in held.values.columns if c not in stocks]
            columns = flow + sorted(stocks)
            rows = held.values.index.get_indexer(self.units.index)  # -1: a unit with no row at all
            matrix = _placed(held.values, rows, columns)
            matrix[:, :len(flow)] = np.nan_to_num(matrix[:, :len(flow)])
            expected = np.column_stack([self._expected_of(c) for c in columns]) if columns else \
                np.zeros((len(self.units), 0), dtype=bool)
            reported = _placed(held.reported, held.reported.index.get_indexer(self.units.index), columns)
            self._known.unit_measures[period] = UnitMeasures(self.table, matrix, columns, expected, reported)
        return self._known.unit_measures[period]

    def _expected_of(self, measure: str) -> np.ndarray:
        """Which units owe a report of this stock (their tier reports it)."""
        k = self._known
        if measure not in k.expected:
            tiers = k.reporting_tiers.get(measure, frozenset())
            k.expected[measure] = np.array([tier in tiers for tier in k.tier_at], dtype=bool)
        return k.expected[measure]

    def batch(self, scopes: Scopes, period: Period) -> Batch:
        """These scopes' measures of the period, summed by scope."""
        if (scopes, period) not in self._known.batches:
            members = np.zeros((len(scopes), len(self.units)), dtype=bool)
            for i, scope in enumerate(scopes):
                members[i, self._scope_rows(scope)] = True
            population = members @ self.table.population
            population[[i for i, scope in enumerate(scopes) if scope.kind == "county"]] = self.residents
            self._known.batches[(scopes, period)] = Batch(self.unit_measures(period), members, population)
        return self._known.batches[(scopes, period)]

    def sums(self, scope: Scope, period: Period) -> Sums:
        return Sums(self.batch(self._known.interned((scope,)), period))

    def _scope_rows(self, scope: Scope) -> np.ndarray:
        """The scope's units as positions in ``self.units``. Kept per engine: a cache on the method would keep
        every engine ever made alive (it leaked on walls)."""
        k = self._known
        if scope not in k.rows_of:
            if scope.kind == "facility":
                k.rows_of[scope] = np.array([k.positions[c] for c in scope.codes if c in k.positions], dtype=int)
            else:
                k.rows_of[scope] = np.flatnonzero(self.units.index.isin(self.facility_ids(scope)))
        return k.rows_of[scope]

    def applies(self, code: str, scope: Scope) -> bool:
        row = self._known.rows[code]
        kind = "area" if scope.kind == "facilities" else scope.kind
        if kind not in row.scopes:
            return False
        if kind == "facility" and row.tiers:
            return all(self._known.tier_at[j] in row.tiers for j in self._scope_rows(scope))
        return True

    # -- values --------------------------------------------------------------------------------------

    def evaluate(self, code: str, scopes: Scopes, period: Period, *, gaps: bool = False) -> Evaluated:
        """The indicator for every scope of the batch at once (kept for the engine's life)."""
        key = (code, scopes, period)
        held = self._known.evaluated.get(key)
        if held is not None and (held.gaps is not None or not gaps):
            return held
        with self._known.lock:  # a batch tracks what its formula reads: one formula at a time per batch
            if code == "fund_execution":
                ratio = self._fund_execution(scopes, period)
                found = [NO_GAPS] * len(scopes) if gaps else None
            else:
                batch = self.batch(scopes, period)
                batch.start()
                ratio = FORMULAS[code](batch)
                found = batch.gaps() if gaps else None
            held = Evaluated.of(ratio, len(scopes), found)
            self._known.evaluated[key] = held
        return held

    def ratios(self, code: str, scopes: Sequence[Scope], period: Period) -> list[Ratio | None]:
        """The indicator's ratio for each scope (None where it has no value)."""
        held = self.evaluate(code, self._known.interned(scopes), period)
        return [held.ratio.of(i) for i in range(len(scopes))]

    def ratio(self, code: str, scope: Scope, period: Period) -> Ratio | None:
        return self.ratios(code, [scope], period)[0]

    def _fund_execution(self, scopes: Scopes, period: Period) -> Ratio:
        """YTD fund spending ÷ the year's envelope: budget − 5% 调剂金 − commercial premiums (000 §二(一)3);
        the county's figure only."""
        year = period.last_month.year
        if year not in self._known.budgets:
            fb = FundBudget
            self._known.budgets[year] = self.conn.execute(
                sa.select(fb.revenue_budget, fb.reserve_rate, fb.commercial_premium)
                .where(fb.county_id == self.county_id, fb.year == year)).first()
        b = self._known.budgets[year]
        county = np.array([scope.kind == "county" for scope in scopes])
        if b is None or not county.any():
            return Ratio(np.full(len(scopes), np.nan), None, sampled=False)
        envelope = float(b.revenue_budget) * (1 - b.reserve_rate) - float(b.commercial_premium)
        spent = self.batch(scopes, Period("ytd", period.last_month)).total(*FUND_ALL)
        return Ratio(np.where(county, spent, np.nan), envelope, sampled=False)

    def value(self, code: str, scope: Scope, period: Period) -> float | None:
        return self.evaluate(code, self._known.interned((scope,)), period).value(0)

    def target(self, code: str, scope: Scope, period: Period) -> Target | None:
        return self._target(code, self._known.interned((scope,)), 0, period)

    def _target(self, code: str, scopes: Scopes, i: int, period: Period) -> Target | None:
        """The target of the scope at ``i``; a baseline year is evaluated for all of ``scopes`` at once."""
        tier, peer = self._peers(scopes[i])
        return self.targets.resolve(
            code, period, self.today,
            lambda year: self.evaluate(code, scopes, Period("ytd", dt.date(year, 12, 1))).value(i),
            tier=tier, peer_group=peer)

    def _peers(self, scope: Scope) -> tuple[str, str]:
        """The tier and peer group whose targets a scope follows: a facility's own, none for any other."""
        k = self._known
        if scope not in k.peers_of:
            unit = k.unit_at[self._scope_rows(scope)[0]] if scope.kind == "facility" else None
            k.peers_of[scope] = ("", "") if unit is None else (unit.tier, unit.peer_group)
        return k.peers_of[scope]

    def _shown(self, codes: tuple[str, ...], scopes: Scopes) -> list[tuple[int, str]]:
        """The (scope position, indicator) pairs that apply, in order: a wall asks the same set again and again."""
        k = self._known
        if (codes, scopes) not in k.shown:
            k.shown[(codes, scopes)] = [(i, code) for i, scope in enumerate(scopes) for code in codes
                                        if self.applies(code, scope)]
        return k.shown[(codes, scopes)]

    def compute(self, codes: Iterable[str] | None, scopes: Iterable[Scope], period: Period, *,
                compare: bool = True) -> list[KpiValue]:
        """Values of these indicators (all by default) for each scope; ``compare`` adds the previous
        period and the same period last year (a sparkline or ranking may not need them)."""
        codes = tuple(self.catalogue.index if codes is None else codes)
        scopes = self._known.interned(scopes)
        self.prefetch(self.related_periods(period, codes, compare=compare))
        shown = self._shown(codes, scopes)
        label = period.label()
        used = dict.fromkeys(code for _, code in shown)
        now = {code: self.evaluate(code, scopes, period, gaps=True) for code in used}
        before = {code: self.evaluate(code, scopes, period.previous()) for code in used} if compare else {}
        year_ago = {code: self.evaluate(code, scopes, period.last_year()) for code in used} if compare else {}
        return [self._one(code, scopes, i, period, label, now[code], before.get(code), year_ago.get(code))
                for i, code in shown]

    def series(self, codes: Collection[str], scope: Scope, end: Period, months: int = 12
               ) -> dict[str, list[tuple[dt.date, float | None]]]:
        """Monthly values of each indicator for the months up to ``end`` (sparklines, trends)."""
        periods = _months_to(end, months)
        ytd = bool(READS_YEAR_TO_DATE.intersection(codes))
        self.prefetch([q for p in periods for q in ((p, Period("ytd", p.last_month)) if ytd else (p,))])
        return {code: [(p.last_month, self.value(code, scope, p)) for p in periods]
                for code in codes if self.applies(code, scope)}

    def _one(self, code: str, scopes: Scopes, i: int, period: Period, label: str, now: Evaluated,
             before: Evaluated | None, year_ago: Evaluated | None) -> KpiValue:
        row = self._known.rows[code]
        value = now.value(i)
        numerator = denominator = None
        if value is not None:
            numerators, denominators = now.terms
            numerator, denominator = numerators[i], None if denominators is None else denominators[i]
        gaps = now.gaps[i] if now.gaps else NO_GAPS
        target = self._target(code, scopes, i, period)
        small = bool(denominator is not None and now.ratio.sampled and denominator < SMALL_DENOMINATOR)
        return KpiValue(
            code=code, scope=scopes[i], period=label, unit=row.unit, direction=row.direction,
            value=value, numerator=numerator, denominator=denominator,
            target=None if target is None else target.value, target_upper=None if target is None else target.upper,
            deadline=None if target is None else target.deadline,
            status=status(value, target, row.direction, self.margin),
            previous=None if before is None else before.value(i),
            last_year=None if year_ago is None else year_ago.value(i),
            small_denominator=small, target_source="" if target is None else target.source,
            missing_units=tuple(self._known.unit_rows[u].code for u in gaps.missing),
            as_of=gaps.as_of if gaps.as_of is not None and gaps.as_of < first_of_month(period.last_date) else None,
        )


def _placed(frame: pd.DataFrame, rows: np.ndarray, columns: list[str]) -> np.ndarray:
    """``frame``'s values at these row positions (-1: none) and columns (absent: none), NaN where none."""
    out = np.full((len(rows), len(columns)), np.nan)
    source = frame.to_numpy(dtype=float)
    cols = frame.columns.get_indexer(columns)
    have_row, have_col = rows >= 0, cols >= 0
    out[np.ix_(have_row, have_col)] = source[np.ix_(rows[have_row], cols[have_col])]
    return out


def _months_to(end: Period, months: int) -> list[Period]:
    return [Period("month", add_months(end.last_month, -i)) for i in reversed(range(months))]


def compute(conn: Connection, codes: Iterable[str] | None = None, scopes: Iterable[Scope] = (Scope(),),
            period: Period | None = None, *, county: str | None = None, today: dt.date | None = None,
            margin: float = DEFAULT_MARGIN) -> list[KpiValue]:
    """Indicators (all by default) for each scope over one period, of county ``county`` (None: the first)."""
    engine = Engine(conn, county=county, today=today, margin=margin)
    return engine.compute(codes, scopes, period or Period("month", engine.today))
