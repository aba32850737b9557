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


@compiles(day_of, "sqlite")
def _day_sqlite(el: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(el.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_pg(el: day_of, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(el.clauses, **kw)} AS DATE)"


@compiles(month_of, "sqlite")
def _month_sqlite(el: month_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(el.clauses, **kw)}, 'start of month')"


@compiles(month_of, "postgresql")
def _month_pg(el: month_of, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(el.clauses, **kw)}) AS DATE)"


@compiles(day_after, "sqlite")
def _after_sqlite(el: day_after, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(el.clauses, **kw)}, '+1 day')"


@compiles(day_after, "postgresql")
def _after_pg(el: day_after, compiler: Any, **kw: Any) -> str:
    return f"(CAST({compiler.process(el.clauses, **kw)} AS DATE) + 1)"


@compiles(plus_days, "sqlite")
def _plus_sqlite(el: plus_days, compiler: Any, **kw: Any) -> str:
    day, n = (compiler.process(c, **kw) for c in el.clauses)
    return f"date({day}, '+' || CAST({n} AS TEXT) || ' days')"


@compiles(plus_days, "postgresql")
def _plus_pg(el: plus_days, compiler: Any, **kw: Any) -> str:
    day, n = (compiler.process(c, **kw) for c in el.clauses)
    return f"(CAST({day} AS DATE) + CAST({n} AS INTEGER))"


@compiles(days_between, "sqlite")
def _days_sqlite(el: days_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in el.clauses)
    return f"CAST(julianday({b}) - julianday({a}) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_pg(el: days_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in el.clauses)
    return f"(CAST({b} AS DATE) - CAST({a} AS DATE))"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(el: minutes_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in el.clauses)
    return f"((julianday({b}) - julianday({a})) * 1440.0)"


@compiles(minutes_between, "postgresql")
def _minutes_pg(el: minutes_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in el.clauses)
    return f"(EXTRACT(EPOCH FROM ({b} - {a})) / 60.0)"
