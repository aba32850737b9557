"""Monthly series for every scope equal the KPI engine's value for each month (tiny county)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lib.kpi import trend
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period, add_months
from lib.store import db
from tests.fixtures import tiny

END = dt.date(2026, 10, 1)


def _none(x: float) -> float | None:
    return None if pd.isna(x) else x


@pytest.mark.parametrize("code", ["out_of_county_rate", "up_referrals", "tcm_visit_share"])
def test_every_month_and_scope_is_the_engines_value(tiny_url: str, code: str) -> None:
    with db.engine(tiny_url).connect() as conn:
        series = trend.monthly(conn, code, END, months=3, today=tiny.TODAY)
        engine = Engine(conn, today=tiny.TODAY)
        for r in series.itertuples():
            scope = Scope(r.kind, (r.scope,) if r.scope else ())
            want = engine.compute([code], [scope], Period("month", r.month), compare=False)[0]
            assert _none(r.value) == pytest.approx(want.value)
            assert _none(r.numerator) == pytest.approx(want.numerator)
            assert _none(r.denominator) == pytest.approx(want.denominator)
    assert sorted(set(series["month"])) == [add_months(END, -2), add_months(END, -1), END]
    kinds = series.drop_duplicates(["kind", "scope"]).groupby("kind").size().to_dict()
    assert (kinds["county"], kinds["area"], kinds["community"]) == (1, 2, 1)


def test_only_scopes_the_indicator_applies_to(tiny_url: str) -> None:
    """out_of_county_rate is defined for THCs and village clinics, not for the county hospital."""
    with db.engine(tiny_url).connect() as conn:
        series = trend.monthly(conn, "out_of_county_rate", END, months=2, today=tiny.TODAY)
    facilities = set(series.loc[series["kind"] == "facility", "scope"])
    assert facilities == {"T1", "T2", "V1", "V2"}
    pastoral = series[(series["kind"] == "area") & (series["scope"] == "pastoral")].set_index("month")
    assert pastoral.loc[END, "value"] == pytest.approx(1 / 2)  # T2 cancer out, V2 other in (test_kpi)
    assert pastoral.loc[add_months(END, -1), "value"] == pytest.approx(1)  # V2 stroke out in September
