"""The ten information centres page (十大信息中心, seed 000 §二(五)2; their schedule: 000 主要目标).

Per centre: today's and the period's operational figures, a 12-month trend and the build status. Every
figure comes from the KPI engine: rates, scores and reported counts are catalogue indicators
(``engine.compute``), event counts and minutes are the engine's per-scope sums of the rollup metrics
(``engine.sums``), so the page costs what a few engine periods cost, whatever the years of history.

Minutes are **means** (the rollups' minute sums ÷ the events they time), labelled as such: a median
would need every event of the period read back. Nothing reported is no value, never 0: a centre's
count with no event in the scope and period is None, and so is every figure resting on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.indicators import REFERRALS_SENT, Sums
from lib.kpi.period import Period, add_months
from lib.ops.centre_plans import CENTRES, Build, Plan

TREND_MONTHS = 12
# Catalogue indicators the panels show.
INDICATORS = ("followup_completion", "rx_pass_rate", "referral_closure_rate", "delivery_ontime_rate", "qc_score",
              "tcm_remote_consults", "sterilisation_batches", "sinking_days_hosted")


@dataclass(frozen=True)
class Figure:
    """One figure of a panel: ``key`` names it (i18n ``centres.fig.<key>``); ``unit`` is count, per_day,
    minutes (a mean), pct or score; ``indicator`` the catalogue code when it is an indicator's value."""

    key: str
    value: float | None
    unit: str
    numerator: float | None = None
    denominator: float | None = None
    indicator: str | None = None


@dataclass(frozen=True)
class Panel:
    code: str
    build: Build | None  # None: the county has no plan file
    today: tuple[Figure, ...]
    period: tuple[Figure, ...]
    trend_key: str  # the figure the trend follows (one of the period's keys)
    trend_unit: str
    trend: pd.DataFrame  # month, value (None where nothing was reported)
    by_area: pd.DataFrame | None = None  # smart emergency: area, area_zh, area_en, calls, minutes


@dataclass(frozen=True)
class Centres:
    """The page: one panel per centre, in the order of 000 主要目标."""

    period: Period
    today: dt.date
    panels: tuple[Panel, ...]
    plan: Plan | None = None
    plan_problem: str = ""  # the plan file could not be read: what is wrong with it


@dataclass(frozen=True)
class _Read:
    """One period's figures for the scope: the engine's sums and indicator values."""

    sums: Sums
    kpis: dict[str, KpiValue]
    days: int  # days of the period up to today: per-day figures divide by these
    daily: bool  # the period is one day (today): no per-day rate, nothing reported monthly

    def count(self, key: str, metrics: str | tuple[str, ...], base: str | None = None) -> Figure:
        """The sum of ``metrics``; None when ``base`` (default: the same) counted nothing (nothing reported)."""
        value = self.sums.total(*((metrics,) if isinstance(metrics, str) else metrics))
        return Figure(key, value if (self.sums[base] if base else value) else None, "count")

    def per_day(self, key: str, metric: str) -> Figure:
        total = self.sums[metric]
        return Figure(key, total / self.days if total and self.days else None, "per_day")

    def mean(self, key: str, minutes: str, events: str) -> Figure:
        n, total = self.sums[events], self.sums[minutes]
        return Figure(key, total / n if n else None, "minutes", total, n or None)

    def share(self, key: str, part: str, whole: str) -> Figure:
        n, num = self.sums[whole], self.sums[part]
        return Figure(key, num / n if n else None, "pct", num, n or None)

    def kpi(self, key: str, code: str, unit: str = "pct") -> Figure:
        v = self.kpis.get(code)
        return Figure(key, None, unit, indicator=code) if v is None else \
            Figure(key, v.value, v.unit, v.numerator, v.denominator, code)


def _imaging(r: _Read) -> list[Figure]:
    per_day = [] if r.daily else [r.per_day("reads_per_day", "reads")]
    return [r.count("reads", "reads"), *per_day, r.mean("read_minutes", "read_min", "reads_reported")]


def _follow_up(r: _Read) -> list[Figure]:
    return [r.count("fu_due", "fu_due"), r.count("fu_ontime", "fu_ontime", "fu_due"),
            r.kpi("fu_completion", "followup_completion")]


def _rx_review(r: _Read) -> list[Figure]:
    return [r.count("rx_reviewed", "rx_reviewed"), r.kpi("rx_pass", "rx_pass_rate"),
            r.mean("rx_minutes", "rx_min", "rx_reviewed")]


def _referral(r: _Read) -> list[Figure]:
    return [r.count("referrals", REFERRALS_SENT), r.mean("accept_minutes", "ref_accept_min", "ref_accepted"),
            r.kpi("closure", "referral_closure_rate")]


def _qc(r: _Read) -> list[Figure]:
    if r.daily:
        return []
    score = r.kpi("qc_score", "qc_score", "score")
    return [score, Figure("qc_reports", score.denominator, "count")]


def _delivery(r: _Read) -> list[Figure]:
    return [r.count("deliveries", "deliveries"), r.kpi("delivery_ontime", "delivery_ontime_rate"),
            r.count("stockouts", "stockouts", "deliveries")]


def _emergency(r: _Read) -> list[Figure]:
    return [r.count("ems_calls", "ems_calls"), r.mean("ems_minutes", "ems_response_min", "ems_arrived")]


def _tcm(r: _Read) -> list[Figure]:
    return [] if r.daily else [r.kpi("tcm_consults", "tcm_remote_consults", "count")]


def _lab(r: _Read) -> list[Figure]:
    batches = [] if r.daily else [r.kpi("sterilisation", "sterilisation_batches", "count")]
    return [r.count("labs", "labs"), r.mean("lab_minutes", "lab_min", "labs_reported"), *batches]


def _staff_dispatch(r: _Read) -> list[Figure]:
    """医护调度: stints begun in the period (executed) and those rostered in the monthly plan (000 §二(六)1);
    the store holds what was done, so a rostered stint never begun is not seen."""
    days = [] if r.daily else [r.kpi("sink_days", "sinking_days_hosted", "count")]
    return [r.count("stints", "sink_stints"), r.count("stints_planned", "sink_stints_planned", "sink_stints"),
            r.share("stints_planned_share", "sink_stints_planned", "sink_stints"), *days]


FIGURES: dict[str, Callable[[_Read], list[Figure]]] = {
    "imaging_ecg": _imaging, "follow_up": _follow_up, "rx_review": _rx_review, "referral": _referral, "qc": _qc,
    "drug_delivery": _delivery, "emergency": _emergency, "tcm": _tcm, "lab": _lab, "staff_dispatch": _staff_dispatch,
}
# The figure each centre's 12-month trend follows.
TRENDS = {"imaging_ecg": "reads_per_day", "follow_up": "fu_completion", "rx_review": "rx_pass",
          "referral": "closure", "qc": "qc_score", "drug_delivery": "delivery_ontime", "emergency": "ems_minutes",
          "tcm": "tcm_consults", "lab": "lab_minutes", "staff_dispatch": "stints"}


def days_elapsed(period: Period, today: dt.date) -> int:
    """Days of the period up to today (a running month counts its days so far)."""
    return max(0, (min(period.last_date, today) - period.first_date).days + 1)


def _read(engine: Engine, scope: Scope, period: Period) -> _Read:
    kpis = {v.code: v for v in engine.compute(INDICATORS, [scope], period, compare=False)}
    return _Read(engine.sums(scope, period), kpis, days_elapsed(period, engine.today), period.kind == "today")


def _figures(read: _Read, code: str) -> tuple[Figure, ...]:
    return tuple(FIGURES[code](read))


def by_area(engine: Engine, scope: Scope, period: Period) -> pd.DataFrame:
    """Ambulance calls and mean call→arrival minutes per area of the dispatching station (the pastoral
    north's are far longer), for the areas of the scope's units."""
    sums = engine.sums(scope, period)
    areas = sums.units.drop_duplicates("area")
    rows = []
    for a in areas.itertuples():
        s = sums.where(f"area:{a.area}", lambda u, code=a.area: u["area"] == code)
        calls, arrived = s["ems_calls"], s["ems_arrived"]
        rows.append((a.area, a.area_zh, a.area_en, calls or None, s["ems_response_min"] / arrived if arrived else None))
    return pd.DataFrame(rows, columns=["area", "area_zh", "area_en", "calls", "minutes"]).astype(
        {"calls": float, "minutes": float})


@dataclass(frozen=True)
class Now:
    """Today's and the period's figures per centre (the part of the page that moves with the feed)."""

    today: dict[str, tuple[Figure, ...]]
    period: dict[str, tuple[Figure, ...]]
    by_area: pd.DataFrame


def now(engine: Engine, scope: Scope, period: Period) -> Now:
    """Figures of ``period`` and of the county's today (engine.today) for the units of ``scope``."""
    day = Period("today", engine.today)
    engine.prefetch([period, day])
    now_read, period_read = _read(engine, scope, day), _read(engine, scope, period)
    return Now({c: _figures(now_read, c) for c in CENTRES}, {c: _figures(period_read, c) for c in CENTRES},
               by_area(engine, scope, period))


def trends(engine: Engine, scope: Scope, end: dt.date) -> dict[str, pd.DataFrame]:
    """Each centre's trend figure month by month for the TREND_MONTHS months to ``end``'s month."""
    months = [Period("month", add_months(end.replace(day=1), -i)) for i in reversed(range(TREND_MONTHS))]
    engine.prefetch(months)
    rows: dict[str, list[tuple[dt.date, float | None]]] = {c: [] for c in CENTRES}
    for p in months:
        read = _read(engine, scope, p)
        for code in CENTRES:
            shown = {f.key: f.value for f in _figures(read, code)}
            rows[code].append((p.last_month, shown[TRENDS[code]]))
    return {code: pd.DataFrame(series, columns=["month", "value"]).astype({"value": float})
            for code, series in rows.items()}


def page(period: Period, today: dt.date, figures: Now, series: dict[str, pd.DataFrame], plan: Plan | None,
         plan_problem: str = "") -> Centres:
    """The page's dataclass from its parts (read and cached apart: the trend moves slowly)."""
    builds = {b.code: b for b in plan.centres} if plan else {}
    panels = []
    for code in CENTRES:
        shown = {f.key: f for f in figures.period[code]}
        panels.append(Panel(code, builds.get(code), figures.today[code], figures.period[code], TRENDS[code],
                            shown[TRENDS[code]].unit, series[code],
                            figures.by_area if code == "emergency" else None))
    return Centres(period, today, tuple(panels), plan, plan_problem)
