"""SQL expressions that SQLite and PostgreSQL spell differently, compiled per dialect.

``CAST(ts AS DATE)`` gives a number in SQLite (numeric affinity), so dates and minute differences get
their own constructs instead of ``sa.cast``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class day_of(FunctionElement):  # noqa: N801 - reads as SQL
    """The calendar day of a timestamp or date."""

    type = sa.Date()
    inherit_cache = True


class month_of(FunctionElement):  # noqa: N801
    """The first day of the month of a timestamp or date."""

    type = sa.Date()
    inherit_cache = True


class day_after(FunctionElement):  # noqa: N801
    """The day after a date (a contract valid until D stops counting on D + 1)."""

    type = sa.Date()
    inherit_cache = True


class plus_days(FunctionElement):  # noqa: N801
    """A date ``n`` days later (``plus_days(start, days)``: the day after a stint of ``days`` ends)."""

    type = sa.Date()
    inherit_cache = True


class days_between(FunctionElement):  # noqa: N801
    """Whole days from the first date to the second (negative when the second is earlier)."""

    type = sa.Integer()
    inherit_cache = True


class minutes_between(FunctionElement):  # noqa: N801
    """Minutes from the first timestamp to the second (NULL if either is NULL)."""

    type = sa.Float()
    inherit_cache = True


# How each dialect spells each construct: {0}, {1} … are its compiled arguments in order.
_SPELLINGS: dict[type[FunctionElement], dict[str, str]] = {
    day_of: {"sqlite": "date({0})", "postgresql": "CAST({0} AS DATE)"},
    month_of: {"sqlite": "date({0}, 'start of month')", "postgresql": "CAST(date_trunc('month', {0}) AS DATE)"},
    day_after: {"sqlite": "date({0}, '+1 day')", "postgresql": "(CAST({0} AS DATE) + 1)"},
    plus_days: {"sqlite": "date({0}, '+' || CAST({1} AS TEXT) || ' days')",
                "postgresql": "(CAST({0} AS DATE) + CAST({1} AS INTEGER))"},
    days_between: {"sqlite": "CAST(julianday({1}) - julianday({0}) AS INTEGER)",
                   "postgresql": "(CAST({1} AS DATE) - CAST({0} AS DATE))"},
    minutes_between: {"sqlite": "((julianday({1}) - julianday({0})) * 1440.0)",
                      "postgresql": "(EXTRACT(EPOCH FROM ({1} - {0})) / 60.0)"},
}


def _register(construct: type[FunctionElement], dialect: str, template: str) -> None:
    def spell(el: FunctionElement, compiler: Any, **kw: Any) -> str:
        return template.format(*(compiler.process(c, **kw) for c in el.clauses))

    compiles(construct, dialect)(spell)


for _construct, _by_dialect in _SPELLINGS.items():
    for _dialect, _template in _by_dialect.items():
        _register(_construct, _dialect, _template)
