"""Monthly series of one indicator for every scope at once, through the KPI engine.

A trend is 13 engine periods; reading them costs the same for one scope as for all (the engine sums
per-facility measures over scopes), so one call serves the county, every area, community and
facility and a page picks its rows: the referral page its areas, the map's profile one facility.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Connection

from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period, add_months

MONTHS = 13  # a year and the same month of the year before


def scopes(engine: Engine) -> list[Scope]:
    """The county, then each area, community and facility of the registry."""
    u = engine.units
    out = [Scope()]
    for kind, column in (("area", "area"), ("community", "community"), ("facility", "code")):
        out += [Scope(kind, (code,)) for code in dict.fromkeys(u[column])]  # type: ignore[arg-type]
    return out


def monthly(conn: Connection, code: str, end: dt.date, *, county: str | None = None, months: int = MONTHS,
            today: dt.date | None = None) -> pd.DataFrame:
    """``code`` per month up to ``end``'s month for every scope of county ``county`` (None: the store's first)
    it applies to: month, kind, scope (the area/community/facility code, '' for the county), value, numerator,
    denominator."""
    engine = Engine(conn, county=county, today=today)
    periods = [Period("month", add_months(end.replace(day=1), -i)) for i in reversed(range(months))]
    engine.prefetch(periods)
    shown = [scope for scope in scopes(engine) if engine.applies(code, scope)]
    rows = []
    for p in periods:
        for scope, r in zip(shown, engine.ratios(code, shown, p), strict=True):
            rows.append((p.last_month, scope.kind, scope.codes[0] if scope.codes else "",
                         None if r is None else r.value, None if r is None else r.numerator,
                         None if r is None else r.denominator))
    frame = pd.DataFrame(rows, columns=["month", "kind", "scope", "value", "numerator", "denominator"])
    return frame.astype({"value": float, "numerator": float, "denominator": float})
