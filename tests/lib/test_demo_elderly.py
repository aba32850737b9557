"""The demo gives the insurance and public-health pages what they draw, for both shipped counties, with
history (issue #13 item 7): lib.demo.elderly and the fund of lib.demo.reports, read through lib.ops."""

import datetime as dt
import functools
from collections.abc import Iterator

import pandas as pd
import pytest

from lib import registry
from lib.demo import generate
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import insurance, public_health
from lib.store import db
from tests.conftest import make_store

TODAY = dt.date(2026, 3, 18)
LAST_MONTH = Period("month", dt.date(2026, 2, 1))
COUNTIES = {"150824": "wulatezhongqi.toml", "152223": "zhalaiteqi.toml"}


def _build(registry_file: str, url: str) -> None:
    with db.engine(url).begin() as conn:
        registry.load(conn, db.ROOT / "data" / "registries" / registry_file)
    generate(db.engine(url), scale=0.02, today=TODAY)


FILLS = {code: functools.partial(_build, name) for code, name in COUNTIES.items()}  # one template per county


@pytest.fixture(scope="module", params=list(COUNTIES))
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A small demo of each shipped county on SQLite: (county code, store URL); read it, never write."""
    with make_store("sqlite", tmp_path_factory.mktemp(request.param), fill=FILLS[request.param]) as url:
        yield request.param, url


@pytest.mark.slow
def test_the_fund_has_an_envelope_a_ledger_and_a_seasonal_projection(county):
    _, url = county
    with db.engine(url).connect() as conn:
        view = insurance.page(Engine(conn, today=TODAY), Scope(), LAST_MONTH)
    assert view.envelope.amount > 0
    assert len(view.envelope.leads) >= 1
    assert set(view.ledger["kind"]) == {"prepayment", "settlement"}
    assert view.projection.method == "seasonal"  # 2024 and 2025 are complete years of the demo
    assert view.projection.years == (2024, 2025)
    assert 0.8 < view.projection.projected / view.envelope.amount < 1.2
    assert all(t.value.value is not None for t in view.indicators)


@pytest.mark.slow
def test_every_public_health_figure_has_a_value_and_only_a_mountain_dry_area_has_the_mission(county):
    code, url = county
    with db.engine(url).connect() as conn:
        engine = Engine(conn, today=TODAY)
        view = public_health.page(engine, Scope(), LAST_MONTH)
        history = engine.series(["elderly_visit_rate", "key_population_screenings"], Scope(), LAST_MONTH, 24)
    empty = [t.value.code for tiles in view.tiles.values() for t in tiles if t.value.value is None]
    assert empty == []
    assert all(v.value for v in view.elderly_counts.values())
    assert all(x is not None for points in history.values() for _, x in points)  # two years of history
    by_area = view.elderly_by_area.set_index("area")[list(public_health.ELDERLY)]
    villages = set(engine.units.loc[engine.units["tier"] == "village_clinic", "area"])
    for area, row in by_area.iterrows():  # an area without villages (扎赉特旗's town) has no village stations
        assert row.drop("village_elderly_station_coverage").notna().all(), area
        assert pd.notna(row["village_elderly_station_coverage"]) == (area in villages), area
    assert (view.mission_area is not None) == (code == "150824")  # 扎赉特旗 has no mountain-dry area
    if view.mission_area:  # 医康养: the mission area holds more care beds per resident aged 60+
        rows = view.elderly_by_area.set_index("area")
        per_elder = rows["care_beds"] / rows["elderly_population"]
        assert per_elder[view.mission_area] == per_elder.max()
