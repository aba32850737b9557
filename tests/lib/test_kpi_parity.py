"""Every indicator, every scope kind, three periods: SQLite and PostgreSQL give the same values."""

import datetime as dt

import pytest

from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import db

TODAY = dt.date(2026, 3, 18)  # mid-month: the month in progress takes the daily-rollup paths too


@pytest.fixture(scope="module")
def demo_pair(demo_stores):
    """The same small demo (fixed seed) in a SQLite and a PostgreSQL store (built once per session and
    shared with tests/lib/test_demo.py: read them, never write)."""
    return [demo_stores(backend, scale=0.02, today=TODAY).url for backend in ("sqlite", "postgresql")]


def _values(url: str) -> dict:
    with db.engine(url).connect() as conn:
        engine = Engine(conn, today=TODAY)
        scopes = [Scope(), Scope("community", ("mengzhong",)), Scope("area", ("pastoral",)),
                  Scope("facility", ("RM-HOSP",)), Scope("facility", ("THC-GQMD",)), Scope("facility", ("VC-WJH-01",)),
                  Scope("facilities", ("THC-WJH", "THC-DLS"))]
        out = {}
        for period in (Period("month", TODAY), Period("ytd", dt.date(2026, 2, 1)), Period("r12", TODAY),
                       Period("today", TODAY)):
            for v in engine.compute(None, scopes, period):
                out[(v.code, v.scope, v.period)] = (v.value, v.numerator, v.denominator, v.target, v.status,
                                                    v.previous, v.last_year)
        return out


def test_every_indicator_is_the_same_on_sqlite_and_postgresql(demo_pair):
    sqlite_values, pg_values = (_values(url) for url in demo_pair)
    assert sqlite_values.keys() == pg_values.keys()
    assert len(sqlite_values) > 500
    with_data = [k for k, v in sqlite_values.items() if v[0] not in (None, 0)]
    assert len(with_data) > 300  # the comparison is not vacuous
    for key, expected in sqlite_values.items():
        assert pg_values[key] == pytest.approx(expected, rel=1e-9, nan_ok=True), key
