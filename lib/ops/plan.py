"""The county plan's milestones as data (任务清单, seed 000 三、2): every dated target with its clause,
owner, due date, evidence and status, from ``data/plans/<county>.toml``.

A milestone either states its status (``done`` with ``done_on``, ``on_course`` or ``at_risk``) or links
to a figure that decides it: an indicator of the KPI engine (``indicator``, county scope, the year to
date unless ``span`` says otherwise, against ``target`` or else the engine's own target), or a count
reported monthly (``report``: a monthly_report metric summed from ``since`` to the day, against
``target``). Status on the county's clock, on the day the page looks at (``day``):

1. **done**: stated done by ``day`` (``done_on`` on or before it), or its figure meets the target;
2. **late**: not done and ``day`` is past the due date;
3. **at risk**: stated at risk, or due within ``AT_RISK_DAYS``, or a counted milestone behind the
   straight line from ``since`` to the due date (count < target × elapsed share);
4. **on course**: otherwise.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.kpi.engine import Engine, Scope
from lib.kpi.filters import SPANS
from lib.kpi.period import Period, first_of_month
from lib.problems import InputError
from lib.store import db
from lib.store.models import County, MonthlyReport

PLANS_DIR = db.ROOT / "data" / "plans"
STATUSES = ("done", "on_course", "at_risk", "late")
STATED = ("done", "on_course", "at_risk")  # late is never stated: the clock decides it
AT_RISK_DAYS = 90  # a quarter before the due date an unfinished milestone is at risk (a local setting)
REQUIRED = ("code", "name_zh", "name_en", "clause", "owner_zh", "owner_en", "due")
TEXT = (*REQUIRED[:-1], "evidence_zh", "evidence_en", "owner_unit", "indicator", "report", "status", "span",
        "workstream")


@dataclass(frozen=True)
class Milestone:
    code: str
    name_zh: str
    name_en: str
    clause: str
    owner_zh: str
    owner_en: str
    due: dt.date
    workstream: str = ""  # groups the timeline's rows (e.g. centres, sinking, capacity, targets)
    evidence_zh: str = ""
    evidence_en: str = ""
    owner_unit: str = ""  # a facility code: the filters keep the milestone with its unit
    status: str = ""  # stated: done | on_course | at_risk; empty when a figure decides
    done_on: dt.date | None = None
    indicator: str = ""
    report: str = ""
    target: float | None = None
    since: dt.date | None = None
    span: str = "ytd"


@dataclass(frozen=True)
class Plan:
    county: str
    title_zh: str
    title_en: str
    start: dt.date
    milestones: tuple[Milestone, ...] = field(default=())


@dataclass(frozen=True)
class Progress:
    """A milestone on ``day``: its figure (None: stated, or nothing reported), target and status."""

    milestone: Milestone
    day: dt.date
    status: str
    value: float | None = None
    target: float | None = None
    unit: str = "count"
    period: str = ""  # the figure's period label


@dataclass(frozen=True)
class PlanView:
    """The plan page: the county's plan (None: no plan file) and its milestones on ``day``."""

    plan: Plan | None
    day: dt.date
    items: list[Progress]
    problem: str = ""  # the plan file's problems, when it cannot be used


def parse(raw: dict, source: str, indicators: Sequence[str] = ()) -> Plan:
    """A plan from its TOML table; every problem named (row and field), or InputError."""
    problems = []
    for key in ("county", "title_zh", "title_en", "start"):
        if key not in raw:
            problems.append(f"[plan]: '{key}' is missing")
    rows = raw.get("milestone", [])
    seen: set[str] = set()
    out = []
    for i, row in enumerate(rows, 1):
        where = f"milestone {i} ({row.get('code', '?')})"
        wrong = [f"{where}: '{k}' is missing" for k in REQUIRED if k not in row]
        wrong += [f"{where}: unknown field '{k}'" for k in row if k not in Milestone.__dataclass_fields__]
        wrong += [f"{where}: '{k}' must be text" for k in TEXT if k in row and not isinstance(row[k], str)]
        wrong += [f"{where}: '{k}' must be a date (YYYY-MM-DD)" for k in ("due", "done_on", "since")
                  if k in row and not isinstance(row[k], dt.date)]
        if row.get("code") in seen:
            wrong.append(f"{where}: code used twice")
        seen.add(row.get("code"))
        if row.get("status", "") not in ("", *STATED):
            wrong.append(f"{where}: status must be one of {', '.join(STATED)} (late is computed)")
        if row.get("status") == "done" and "done_on" not in row:
            wrong.append(f"{where}: a done milestone needs 'done_on'")
        linked = [k for k in ("indicator", "report") if row.get(k)]
        if len(linked) > 1:
            wrong.append(f"{where}: link either an indicator or a report, not both")
        if not linked and not row.get("status"):
            wrong.append(f"{where}: needs a stated 'status' or an 'indicator' / 'report' that decides it")
        if row.get("report") and ("target" not in row or "since" not in row):
            wrong.append(f"{where}: a 'report' milestone needs 'target' and 'since'")
        if "target" in row and not isinstance(row["target"], int | float):
            wrong.append(f"{where}: 'target' must be a number")
        if indicators and row.get("indicator") and row["indicator"] not in indicators:
            wrong.append(f"{where}: unknown indicator '{row['indicator']}'")
        if row.get("span", "ytd") not in SPANS:
            wrong.append(f"{where}: span must be one of {', '.join(SPANS)}")
        problems += wrong
        if not wrong:
            out.append(Milestone(**{**row, "target": None if "target" not in row else float(row["target"])}))
    if not rows:
        problems.append("no [[milestone]] rows")
    if problems:
        raise InputError(source, problems)
    return Plan(str(raw["county"]), raw["title_zh"], raw["title_en"], raw["start"],
                tuple(sorted(out, key=lambda m: (m.due, m.code))))


def load(path: Path, indicators: Sequence[str] = ()) -> Plan:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(path, [str(exc)]) from exc
    return parse(raw, str(path), indicators)


def for_county(code: str, directory: Path | None = None, indicators: Sequence[str] = ()) -> Plan | None:
    """The plan of the county with administrative ``code`` among ``directory``'s files (default PLANS_DIR;
    None: no file names it)."""
    for path in sorted((directory or PLANS_DIR).glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        if str(raw.get("county")) == code:
            return parse(raw, str(path), indicators)
    return None


def decide(m: Milestone, day: dt.date, met: bool | None = None, pace: float | None = None) -> str:
    """The module docstring's rule."""
    if (m.status == "done" and m.done_on is not None and m.done_on <= day) or met:
        return "done"
    if day > m.due:
        return "late"
    if m.status == "at_risk" or (m.due - day).days <= AT_RISK_DAYS or (pace is not None and pace < 1):
        return "at_risk"
    return "on_course"


def progress(conn: Connection, milestones: Sequence[Milestone], day: dt.date,
             facility_ids: Sequence[int] | None = None) -> list[Progress]:
    """Counted milestones on ``day``: the reports summed from ``since`` to ``day``'s month (one query)."""
    counted = [m for m in milestones if m.report]
    if not counted:
        return []
    r = MonthlyReport
    columns = [sa.func.sum(sa.case((sa.and_(r.metric == m.report,
                                            r.month.between(first_of_month(m.since), first_of_month(min(day, m.due)))),
                                    r.value))).label(f"c{i}") for i, m in enumerate(counted)]
    query = sa.select(*columns).where(r.metric.in_({m.report for m in counted}))
    if facility_ids is not None:
        query = query.where(r.facility_id.in_(facility_ids))
    sums = conn.execute(query).one()
    out = []
    for i, m in enumerate(counted):
        value = None if sums[i] is None else float(sums[i])
        window = (m.due - m.since).days or 1
        elapsed = min(max((day - m.since).days, 0), window) / window
        pace = None if value is None or not elapsed else value / (m.target * elapsed)
        met = value is not None and value >= m.target
        label = f"{m.since:%Y-%m}..{min(day, m.due):%Y-%m}" if m.since <= day else ""
        out.append(Progress(m, day, decide(m, day, met, pace), value, m.target, "count", label))
    return out


def evaluate(engine: Engine, plan: Plan, day: dt.date) -> list[Progress]:
    """Every milestone on ``day``, in due order: indicators by the engine, counts by their reports."""
    counted = {p.milestone.code: p for p in progress(engine.conn, plan.milestones, day)}
    out = []
    for m in plan.milestones:
        if m.code in counted:
            out.append(counted[m.code])
        elif m.indicator:
            scope = Scope("facility", (m.owner_unit,)) if m.owner_unit else Scope()
            [v] = engine.compute([m.indicator], [scope], Period(m.span, day), compare=False) or [None]
            target = m.target if m.target is not None else None if v is None else v.target
            met = None if v is None or v.value is None or target is None else (
                v.value <= target if v.direction == "down" else v.value >= target)
            out.append(Progress(m, day, decide(m, day, met), None if v is None else v.value, target,
                                "" if v is None else v.unit, "" if v is None else v.period))
        else:
            out.append(Progress(m, day, decide(m, day)))
    return out


def of_store(engine: Engine, directory: Path | None = None) -> Plan | None:
    """The plan of the store's county (None: no file names it); InputError when its file is unusable."""
    code = engine.conn.execute(sa.select(County.code).where(County.id == engine.county_id)).scalar_one()
    return for_county(code, directory, list(engine.catalogue.index))


def build(engine: Engine, period: Period, units: Collection[str] | None = None,
          directory: Path | None = None) -> PlanView:
    """The plan page on the period's last day (today while it runs). ``units`` (facility codes, None: all)
    keeps the milestones owned by one of them and every milestone owned by no unit."""
    day = min(period.last_date, engine.today)
    try:
        plan = of_store(engine, directory)
    except InputError as exc:
        return PlanView(None, day, [], str(exc))
    if plan is None:
        return PlanView(None, day, [])
    items = evaluate(engine, plan, day)
    return PlanView(plan, day, [p for p in items if units is None or not p.milestone.owner_unit
                                or p.milestone.owner_unit in units])
