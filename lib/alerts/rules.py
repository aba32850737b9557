"""Threshold rules on any indicator and on the running of the store (issue #17 item 2), from the settings
file's ``[[rule]]`` entries. Each breach is a message about a topic that names the rule and its period, so
it goes once to each channel (the outbox's key) and comes back only when the period turns.

Kinds:
- ``missed_target``: the indicator missed its target in each of the last ``months`` complete months;
- ``change``: the last complete month moved more than ``percent`` % from the month before;
- ``stale``: no event arrived for ``minutes`` (an interface or the feed has stopped);
- ``referral_backlog``: more than ``limit`` referrals sent in the last ``hours`` hours are not accepted;
- ``ems_response``: the mean call→arrival minutes of the ambulances of the scope, over the last day, is
  above ``limit`` (the pastoral area's distances make it the one to watch).
``scope`` is "county", "area:CODE", "community:CODE" or "unit:CODE". A store may hold several counties:
each rule is judged in each of them, on its own figures and against its own targets, unless it names one
(``county = "CODE"``); a scope whose codes a county does not have is not judged there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import i18n
from lib.events import live
from lib.kpi import Engine, measures
from lib.kpi.engine import Scope
from lib.kpi.period import Period, add_months, first_of_month
from lib.problems import InputError
from lib.store import counties
from lib.store.counties import CountyRef
from lib.store.models import EmergencyDispatch, Referral
from lib.store.sqlfn import minutes_between

NAME_LIMIT = 32
SCOPE_KINDS = {"county": "county", "area": "area", "community": "community", "unit": "facility"}


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    scope: Scope
    indicator: str = ""
    months: int = 3
    percent: float = 20.0
    minutes: int = 60
    hours: int = 24
    limit: float = 0.0
    county: str = ""  # the county code it is judged in; "": every county of the store


@dataclass(frozen=True)
class Breach:
    """A rule broken in a county: the topic it is sent and kept under (county, rule and period) and what the
    message says, in each language (the groups read Chinese; the alerts page, the reader's language)."""

    topic: str
    rule: Rule
    county: CountyRef
    lines: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class _Judging:
    """What the checks of one county share: the county, its units, its engine (when a rule needs one), now."""

    conn: Connection
    county: CountyRef
    units: pd.DataFrame
    engine: Engine | None
    now: dt.datetime

    def breach(self, rule: Rule, period: str, lines: dict[str, tuple[str, ...]]) -> Breach:
        return Breach(f"rule:{self.county.code}:{rule.name}:{period}", rule, self.county, lines)


def _say(key: str, fields: Callable[[str], dict[str, object]]) -> dict[str, tuple[str, ...]]:
    """The one line ``key`` in every language, its fields formatted for each (``fields(lang)``)."""
    return {lang: (i18n.t(key, lang, **fields(lang)),) for lang in i18n.LANGS}


def parse(raw_rules: list[dict], source: str) -> tuple[Rule, ...]:
    """The ``[[rule]]`` entries, or InputError naming each problem."""
    rules, problems = [], []
    for i, raw in enumerate(raw_rules, 1):
        name, kind = raw.get("name", f"rule {i}"), raw.get("kind", "")
        scope_text = raw.get("scope", "county")
        head, _, code = scope_text.partition(":")
        if kind not in CHECKS:
            problems.append(f"rule {name!r}: kind {kind!r} is not one of {', '.join(CHECKS)}")
            continue
        if len(name) > NAME_LIMIT:  # the topic (rule:COUNTY:NAME:PERIOD) is kept in 64 characters
            problems.append(f"rule {name!r}: a name of at most {NAME_LIMIT} characters")
            continue
        if head not in SCOPE_KINDS or (head != "county" and not code):
            problems.append(f"rule {name!r}: scope {scope_text!r} is not county, area:CODE, community:CODE, unit:CODE")
            continue
        if kind in ("missed_target", "change") and not raw.get("indicator"):
            problems.append(f"rule {name!r}: a {kind} rule names its indicator")
            continue
        scope = Scope() if head == "county" else Scope(SCOPE_KINDS[head], (code,))  # type: ignore[arg-type]
        rules.append(Rule(name, kind, scope, raw.get("indicator", ""), int(raw.get("months", 3)),
                          float(raw.get("percent", 20)), int(raw.get("minutes", 60)), int(raw.get("hours", 24)),
                          float(raw.get("limit", 0)), str(raw.get("county", ""))))
    if problems:
        raise InputError(source, problems)
    return tuple(rules)


def evaluate(conn: Connection, rules: tuple[Rule, ...], now: dt.datetime) -> list[Breach]:
    """Every rule broken at ``now``, in every county it is judged in."""
    breaches: list[Breach] = []
    for county in counties.listed(conn):
        units = measures.facilities(conn, county.id)
        mine = [r for r in rules if r.county in ("", county.code)
                and (r.scope.kind == "county" or len(r.scope.members(units)) > 0)]
        needs_engine = any(r.kind in ("missed_target", "change") for r in mine)
        judging = _Judging(conn, county, units, Engine(conn, county=county.code, today=now.date())
                           if needs_engine else None, now)
        for rule in mine:
            breaches += CHECKS[rule.kind](judging, rule)
    return breaches


def _stale(j: _Judging, rule: Rule) -> list[Breach]:
    as_of = live.data_as_of(j.conn, [int(i) for i in j.units.index])
    if as_of is not None and j.now - as_of <= dt.timedelta(minutes=rule.minutes):
        return []
    return [j.breach(rule, f"{j.now:%Y-%m-%d}", _say(
        "alerts.rule.stale", lambda lang: {"minutes": rule.minutes, "when": i18n.fmt_datetime(as_of, lang)}))]


def _last_month(j: _Judging) -> dt.date:
    return add_months(first_of_month(j.now.date()), -1)


def _missed(j: _Judging, rule: Rule) -> list[Breach]:
    assert j.engine is not None
    last = _last_month(j)
    months = [add_months(last, -i) for i in range(rule.months)]
    values = [j.engine.compute([rule.indicator], [rule.scope], Period("month", m))[0] for m in months]
    if not all(v.status == "missed" for v in values):
        return []
    unit = values[0].unit
    return [j.breach(rule, f"{last:%Y-%m}", _say("alerts.rule.missed", lambda lang: {
        "indicator": _name(j.engine, rule.indicator, lang), "months": rule.months,
        "value": i18n.fmt_value(values[0].value, unit, lang), "target": i18n.fmt_value(values[0].target, unit, lang)}))]


def _change(j: _Judging, rule: Rule) -> list[Breach]:
    assert j.engine is not None
    last = _last_month(j)
    value = j.engine.compute([rule.indicator], [rule.scope], Period("month", last))[0]
    if value.value is None or not value.previous:
        return []
    moved = (value.value - value.previous) / abs(value.previous) * 100
    if abs(moved) <= rule.percent:
        return []
    return [j.breach(rule, f"{last:%Y-%m}", _say("alerts.rule.change", lambda lang: {
        "indicator": _name(j.engine, rule.indicator, lang), "before": i18n.fmt_value(value.previous, value.unit, lang),
        "after": i18n.fmt_value(value.value, value.unit, lang), "percent": f"{moved:+.0f}"}))]


def _backlog(j: _Judging, rule: Rule) -> list[Breach]:
    r, now = Referral, j.now
    waiting = j.conn.execute(sa.select(sa.func.count()).where(
        r.sent_at.between(now - dt.timedelta(hours=rule.hours), now), r.accepted_at.is_(None),
        r.from_facility_id.in_(_members(j, rule)))).scalar_one()
    if waiting <= rule.limit:
        return []
    return [j.breach(rule, f"{now:%Y-%m-%d}", _say(
        "alerts.rule.backlog", lambda _: {"n": waiting, "hours": rule.hours, "limit": int(rule.limit)}))]


def _ems(j: _Judging, rule: Rule) -> list[Breach]:
    e, now = EmergencyDispatch, j.now
    mean = j.conn.execute(sa.select(sa.func.avg(minutes_between(e.call_at, e.arrived_at))).where(
        e.call_at.between(now - dt.timedelta(days=1), now), e.arrived_at.is_not(None),
        e.facility_id.in_(_members(j, rule)))).scalar()
    if mean is None or float(mean) <= rule.limit:
        return []
    return [j.breach(rule, f"{now:%Y-%m-%d}", _say(
        "alerts.rule.ems", lambda _: {"minutes": f"{float(mean):.0f}", "limit": int(rule.limit)}))]


def _members(j: _Judging, rule: Rule) -> list[int]:
    return [int(i) for i in rule.scope.members(j.units)]


CHECKS: dict[str, Callable[[_Judging, Rule], list[Breach]]] = {
    "missed_target": _missed, "change": _change, "stale": _stale, "referral_backlog": _backlog, "ems_response": _ems}


def _name(engine: Engine, code: str, lang: str) -> str:
    return str(engine.catalogue.loc[code, "name_zh" if lang == "zh" else "name_en"])
