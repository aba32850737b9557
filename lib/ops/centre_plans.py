"""The ten information centres' build plan (十大信息中心): static data in data/centres/<county>.toml.

Seed 000 主要目标 schedules them in two stages — 影像心电、健康随访、集中审方、转诊服务、质控评价 by the end
of 2025, 药物配送、智慧急救、中医问诊、检验消毒、医护调度 by the end of 2026 (the centres: 000 §二(五)2).
A county's file says, per centre, the year it is due and the day it went live (none while it is built);
the file is picked by the county code it names, so the plan follows the store's county, not a file name.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

from lib.problems import InputError
from lib.store import counties, db

PLAN_DIR = db.ROOT / "data" / "centres"
# Codes in the order of seed 000 主要目标: the five due by end-2025, then the five due by end-2026.
CENTRES = ("imaging_ecg", "follow_up", "rx_review", "referral", "qc",
           "drug_delivery", "emergency", "tcm", "lab", "staff_dispatch")
YEARS = (2020, 2035)  # a due year outside this range is a typing error


@dataclass(frozen=True)
class Build:
    """One centre's build status: due by the end of ``due``; live since ``live_since`` (None: not yet)."""

    code: str
    due: int
    live_since: dt.date | None

    @property
    def deadline(self) -> dt.date:
        return dt.date(self.due, 12, 31)

    def live(self, today: dt.date) -> bool:
        return self.live_since is not None and self.live_since <= today

    def days_left(self, today: dt.date) -> int | None:
        """Days to the deadline on the county's ``today`` while the centre is still being built and its
        deadline has not passed (0 on 31 December itself); None otherwise."""
        if self.live(today) or today > self.deadline:
            return None
        return (self.deadline - today).days

    def overdue(self, today: dt.date) -> bool:
        return not self.live(today) and today > self.deadline


@dataclass(frozen=True)
class Plan:
    county: str
    centres: tuple[Build, ...]  # in CENTRES order
    illustrative: bool
    source: str  # the file's name, shown with the status


def _check(path: Path, raw: dict) -> tuple[list[str], list[Build]]:
    problems: list[str] = []
    builds: list[Build] = []
    if not isinstance(raw.get("county"), str):
        problems.append("county: the registry's county code (a string) is required")
    rows = raw.get("centre")
    if not isinstance(rows, list):
        return [*problems, "[[centre]]: none given"], []
    for i, row in enumerate(rows, 1):
        where = f"[[centre]] #{i} ({row.get('code')!r})"
        code, due, live = row.get("code"), row.get("due"), row.get("live_since")
        if code not in CENTRES:
            problems.append(f"{where}: code must be one of {', '.join(CENTRES)}")
        if not isinstance(due, int) or not YEARS[0] <= due <= YEARS[1]:
            problems.append(f"{where}: due must be a year between {YEARS[0]} and {YEARS[1]}")
        if live is not None and (not isinstance(live, dt.date) or isinstance(live, dt.datetime)):
            problems.append(f"{where}: live_since must be a date (YYYY-MM-DD) or left out")
        unknown = set(row) - {"code", "due", "live_since"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        builds.append(Build(str(code), due if isinstance(due, int) else 0, live if isinstance(live, dt.date) else None))
    codes = [b.code for b in builds]
    missing = [c for c in CENTRES if c not in codes]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if missing:
        problems.append(f"[[centre]]: missing {', '.join(missing)} (all ten are planned, 000 主要目标)")
    if twice:
        problems.append(f"[[centre]]: given twice: {', '.join(twice)}")
    return problems, builds


def read(path: Path) -> Plan:
    """One plan file, checked: every problem named by centre and field (lib.problems.InputError)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, [f"not valid TOML: {exc}"]) from exc
    problems, builds = _check(path, raw)
    if problems:
        raise InputError(path, problems)
    order = {c: i for i, c in enumerate(CENTRES)}
    return Plan(raw["county"], tuple(sorted(builds, key=lambda b: order[b.code])), bool(raw.get("illustrative")),
                path.name)


def for_county(county: str, folder: Path | None = None) -> Plan | None:
    """The plan naming county code ``county`` (None: the county has no plan file). Every file in the folder
    is read, so a broken one is reported whichever county asks, and two plans for one county are an error."""
    folder = folder or PLAN_DIR
    plans = [read(path) for path in sorted(folder.glob("*.toml"))]
    mine = [p for p in plans if p.county == county]
    if len(mine) > 1:
        raise InputError(folder, [f"county {county}: plans in {', '.join(p.source for p in mine)}; keep one"])
    return mine[0] if mine else None


def for_store(conn: Connection, county: str | None = None, folder: Path | None = None) -> Plan | None:
    """The plan of the store's county ``county`` (None: its first; None back: no county loaded, or no plan
    file names it)."""
    try:
        code = counties.resolve(conn, county).code
    except counties.UnknownCountyError:
        return None
    return for_county(code, folder)
