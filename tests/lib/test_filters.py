"""URL filters: parsed against the county's own registry, turned into KPI scopes, written back minimal."""

import datetime as dt

import pytest

from lib.kpi import filters, measures
from lib.kpi.engine import Scope
from lib.kpi.period import Period
from lib.store import db

TODAY = dt.date(2026, 11, 5)


@pytest.fixture
def units(tiny_url):
    with db.engine(tiny_url).connect() as conn:
        return measures.facilities(conn)


@pytest.mark.parametrize(
    ("params", "scope", "period", "ignored"),
    [
        ({}, Scope(), Period("month", dt.date(2026, 11, 1)), ()),
        ({"area": "pastoral"}, Scope("area", ("pastoral",)), Period("month", dt.date(2026, 11, 1)), ()),
        ({"community": "c1"}, Scope("community", ("c1",)), Period("month", dt.date(2026, 11, 1)), ()),
        ({"tier": "thc"}, Scope("facilities", ("T1", "T2")), Period("month", dt.date(2026, 11, 1)), ()),
        ({"area": "pastoral", "tier": "village_clinic"}, Scope("facilities", ("V2",)),
         Period("month", dt.date(2026, 11, 1)), ()),
        ({"period": "2026-09", "span": "ytd"}, Scope(), Period("ytd", dt.date(2026, 9, 1)), ()),
        ({"area": "grassland", "span": "decade"}, Scope(), Period("month", dt.date(2026, 11, 1)), ("area", "span")),
        ({"period": "2026-13"}, Scope(), Period("month", dt.date(2026, 11, 1)), ("period",)),
        ({"period": "2027-01"}, Scope(), Period("month", dt.date(2026, 11, 1)), ("period",)),
    ],
)
def test_parse_to_scope(units, params, scope, period, ignored):
    chosen = filters.parse(params, units, TODAY)
    assert chosen.scope(units) == scope
    assert chosen.period == period
    assert chosen.ignored == ignored


def test_query_round_trip_keeps_only_what_differs_from_defaults(units):
    params = {"community": "c1", "area": "urban", "tier": "thc", "period": "2026-09", "span": "r12"}
    chosen = filters.parse(params, units, TODAY)
    assert chosen.to_query(TODAY) == params
    assert filters.parse({}, units, TODAY).to_query(TODAY) == {}
