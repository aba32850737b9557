"""The insurance fund page (issue #13 item 3): the envelope, its ledger, execution, projection, spending.

Seed 000 §二(一)3: the year's revenue budget, less the 5% reserve (调剂金) and commercial premiums, is
paid to the community as one envelope, split between the two lead hospitals: prepaid at the year's
start (年初预付), settled month by month (按月预结), cleared at the year's end (年终清算); a surplus is
kept (结余留用), an overspend shared (合理超支分担).

Three ways to read execution, each labelled on the page (issue #13): incurred claims (the fund's
spending on the year's visits and admissions, the KPI engine's ``fund_execution``), settled (the
monthly settlements paid for those months) and settled plus the prepayment (what has left the fund).
Each is a share of the envelope against 序时进度, the share of the year elapsed on the county's clock.

Year-end projection: the year-to-date claims divided by the share of a year's claims that past
complete years had spent by the same point (their seasonality; the running month prorated by its
days); with no complete past year, by the elapsed share of the year (no seasonality). Everything reads
bounded periods: this year and HISTORY_YEARS before it, from the monthly rollup.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.headline import Tile, tiles
from lib.kpi.indicators import FUND_ALL
from lib.kpi.period import Period
from lib.store import db
from lib.store.models import Facility, FundBudget, FundPayment, FundShare, MonthlyRollup

HISTORY_YEARS = 3  # past years whose seasonality the projection averages
# 合理超支分担: the community's part of an overspend. A local setting (000 §二(一)3 names the mechanism, not
# the ratio); the demo's year-end clearing pays the other half.
OVERSPEND_SHARE = 0.5
INDICATORS = ("fund_in_county_share", "fund_primary_share", "cost_per_admission", "cost_per_visit")
KINDS = ("prepayment", "settlement", "clearing")


@dataclass(frozen=True)
class Envelope:
    """The year's envelope and how it is built and split (000 §二(一)3)."""

    year: int
    revenue_budget: float
    reserve_rate: float
    commercial_premium: float
    leads: pd.DataFrame  # code, name_zh, name_en, share, amount (the lead hospitals' parts)

    @property
    def reserve(self) -> float:
        return self.revenue_budget * self.reserve_rate

    @property
    def amount(self) -> float:
        return self.revenue_budget - self.reserve - self.commercial_premium


@dataclass(frozen=True)
class Execution:
    """Spending against the envelope at ``as_of``: claims, settled, settled + prepaid, and 序时进度."""

    as_of: dt.date
    elapsed: float  # 序时进度: share of the year elapsed on the county's clock
    claims: KpiValue  # the engine's fund_execution: incurred claims year to date ÷ the envelope
    settled: float  # settlements paid (by today) for the months to the period's
    prepaid: float  # the year's prepayment

    @property
    def settled_rate(self) -> float | None:
        return _share(self.settled, self.claims.denominator)

    @property
    def paid_rate(self) -> float | None:
        return _share(self.settled + self.prepaid, self.claims.denominator)


@dataclass(frozen=True)
class Projection:
    """The year-end claims projected from the year to date and the seasonality of past years."""

    method: str  # "seasonal" (past years' monthly shares) or "flat" (no complete past year)
    years: tuple[int, ...]  # the past years averaged
    claims: float  # year to date
    share_by_now: float  # of a year's claims, spent by the same point in past years (or elapsed share)
    envelope: float
    seasonality: pd.DataFrame  # month (1–12), share (mean of the past years; empty when flat)

    @property
    def projected(self) -> float:
        return self.claims / self.share_by_now

    @property
    def balance(self) -> float:
        """Envelope − projected claims: positive a surplus kept, negative an overspend shared."""
        return self.envelope - self.projected

    @property
    def community_part(self) -> float:
        """The community's part of an overspend (0 with a surplus)."""
        return max(0.0, -self.balance) * OVERSPEND_SHARE


@dataclass(frozen=True)
class Insurance:
    """Everything the insurance page draws. The envelope and its execution are the county's; the
    spending indicators follow the filters' scope."""

    period: Period
    scope: Scope
    envelope: Envelope | None  # None: no budget loaded for the year
    ledger: pd.DataFrame  # kind, month, paid_on, a column per lead code, total, cumulative
    monthly: pd.DataFrame  # month, claims, claims_rate, settled_rate, paid_rate, elapsed (cumulative)
    execution: Execution | None
    projection: Projection | None
    indicators: list[Tile]  # INDICATORS for the scope, as the overview's tiles (last year's values inside)


def _share(part: float, whole: float | None) -> float | None:
    return None if not whole else part / whole


def growth(v: KpiValue | None) -> float | None:
    """Year-on-year growth of a value (cost per admission or visit): value ÷ last year − 1."""
    if v is None or v.value is None or not v.last_year:
        return None
    return v.value / v.last_year - 1


def envelope(conn: Connection, county_id: int, year: int) -> Envelope | None:
    """The year's budget and the lead hospitals' shares, or None without a budget."""
    b, s, f = FundBudget, FundShare, Facility
    row = conn.execute(sa.select(b.revenue_budget, b.reserve_rate, b.commercial_premium)
                       .where(b.county_id == county_id, b.year == year)).first()
    if row is None:
        return None
    leads = db.read_frame(conn, sa.select(f.code, f.name_zh, f.name_en, s.share).join(f, f.id == s.lead_facility_id)
                          .where(s.year == year, f.county_id == county_id).order_by(s.share.desc(), f.code))
    revenue, rate, premium = float(row.revenue_budget), float(row.reserve_rate), float(row.commercial_premium)
    amount = revenue * (1 - rate) - premium
    return Envelope(year, revenue, rate, premium, leads.assign(amount=leads["share"].astype(float) * amount))


def ledger(conn: Connection, year: int, through_month: int, today: dt.date) -> pd.DataFrame:
    """The year's payments to the lead hospitals paid by ``today`` for months to ``through_month``: one row
    per kind and month in the order paid, a column per lead hospital's code (the larger first), the total
    and the running total."""
    p, f = FundPayment, Facility
    rows = db.read_frame(conn, sa.select(p.kind, p.month, p.paid_on, f.code, p.amount)
                         .join(f, f.id == p.lead_facility_id)
                         .where(p.year == year, p.month <= through_month, p.paid_on <= today))
    if rows.empty:
        return pd.DataFrame(columns=["kind", "month", "paid_on", "total", "cumulative"])
    rows["amount"] = rows["amount"].astype(float)
    wide = rows.pivot_table(index=["kind", "month"], columns="code", values="amount", aggfunc="sum")
    wide.columns = [str(c) for c in wide.columns]
    paid_on = rows.groupby(["kind", "month"])["paid_on"].max()
    out = wide.assign(paid_on=paid_on, total=wide.sum(axis=1)).reset_index()
    out = out.assign(order=out["kind"].map(KINDS.index)).sort_values(["paid_on", "order", "month"])
    out["cumulative"] = out["total"].cumsum()
    codes = list(wide.sum().sort_values(ascending=False, kind="stable").index)  # the larger lead first
    return out[["kind", "month", "paid_on", *codes, "total", "cumulative"]].reset_index(drop=True)


def monthly_claims(conn: Connection, first: dt.date, last: dt.date) -> pd.Series:
    """The fund's incurred claims per month (the engine's FUND_ALL measures, county-wide), months with none left out."""
    m = MonthlyRollup
    rows = db.read_frame(conn, sa.select(m.month, sa.func.sum(m.value).label("claims"))
                         .where(m.metric.in_(FUND_ALL), m.month.between(first, last)).group_by(m.month))
    return pd.Series(rows["claims"].astype(float).to_numpy(), index=pd.to_datetime(rows["month"]).dt.date,
                     dtype=float).sort_index()


def seasonality(claims: pd.Series, year: int) -> tuple[tuple[int, ...], pd.Series]:
    """The mean monthly share of a year's claims over the complete past years in ``claims`` (all twelve
    months with claims), indexed 1–12; empty without such a year."""
    frame = pd.DataFrame({"year": [d.year for d in claims.index], "month": [d.month for d in claims.index],
                          "claims": claims.to_numpy()})
    past = frame[(frame["year"] < year) & (frame["claims"] > 0)]
    complete = past.groupby("year")["month"].nunique()
    years = tuple(int(y) for y in complete[complete == 12].index)
    if not years:
        return (), pd.Series(dtype=float)
    used = past[past["year"].isin(years)]
    shares = used["claims"] / used.groupby("year")["claims"].transform("sum")
    mean = shares.groupby(used["month"]).mean()
    return years, mean / mean.sum()


def projection(claims: pd.Series, period: Period, today: dt.date, amount: float) -> Projection | None:
    """Year-end claims from the year to date at the period's end (see the module's docstring)."""
    year, month = period.last_month.year, period.last_month.month
    this_year = claims[[d.year == year and d.month <= month for d in claims.index]]
    ytd = float(this_year.sum())
    years, shares = seasonality(claims, year)
    if years:
        part = period.months_elapsed(today) - (month - 1)  # the period's month, by its days (a running month)
        by_now = float(shares.loc[: month - 1].sum() + shares.get(month, 0.0) * part)
        method = "seasonal"
    else:
        by_now, method = period.elapsed_share(today), "flat"
    if ytd <= 0 or by_now <= 0:
        return None
    frame = pd.DataFrame({"month": list(shares.index), "share": shares.to_numpy()})
    return Projection(method, years, ytd, by_now, amount, frame)


def _monthly(claims: pd.Series, book: pd.DataFrame, env: Envelope, period: Period, today: dt.date) -> pd.DataFrame:
    """Cumulative claims, settled and paid (settled + prepaid) as shares of the envelope, month by month."""
    year, month = period.last_month.year, period.last_month.month
    months = [dt.date(year, m, 1) for m in range(1, month + 1)]
    spent = claims.reindex(months).fillna(0.0).cumsum().to_numpy()
    settled = [float(book.loc[(book["kind"] == "settlement") & (book["month"] <= m.month), "total"].sum())
               for m in months]
    prepaid = float(book.loc[book["kind"] == "prepayment", "total"].sum())
    elapsed = [Period("month", m).elapsed_share(today) for m in months]
    amount = env.amount
    return pd.DataFrame({"month": months, "claims": claims.reindex(months).to_numpy(),
                         "claims_rate": spent / amount, "settled_rate": [s / amount for s in settled],
                         "paid_rate": [(s + prepaid) / amount for s in settled], "elapsed": elapsed})


def page(engine: Engine, scope: Scope, period: Period) -> Insurance:
    """The insurance page for the filters' scope and period (the fund's year is the period's)."""
    conn, today = engine.conn, engine.today
    indicators = tiles(engine, scope, period, INDICATORS)
    year, month = period.last_month.year, period.last_month.month
    env = envelope(conn, engine.county_id, year)
    if env is None:
        return Insurance(period, scope, None, ledger(conn, year, month, today), pd.DataFrame(), None, None, indicators)
    book = ledger(conn, year, month, today)
    claims = monthly_claims(conn, dt.date(year - HISTORY_YEARS, 1, 1), period.last_month)
    [claims_rate] = engine.compute(["fund_execution"], [Scope()], period, compare=False)
    settled = float(book.loc[book["kind"] == "settlement", "total"].sum())
    prepaid = float(book.loc[book["kind"] == "prepayment", "total"].sum())
    execution = Execution(min(period.last_date, today), period.elapsed_share(today), claims_rate, settled, prepaid)
    return Insurance(period, scope, env, book, _monthly(claims, book, env, period, today), execution,
                     projection(claims, period, today, env.amount), indicators)
