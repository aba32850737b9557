"""Facility counts come from one GROUP BY, with names in the reader's language, on both backends."""

from __future__ import annotations

from lib.registry import facilities
from lib.store import bootstrap, db


def test_counts_per_tier_and_area_add_up_to_the_registry(store_url: str) -> None:
    bootstrap.load_reference(store_url)
    with db.engine(store_url).connect() as conn:
        zh = facilities.facility_counts(conn, "zh")
        en = facilities.facility_counts(conn, "en")
    assert zh.columns.tolist() == en.columns.tolist() == ["tier", "area", "facilities"]
    assert zh["facilities"].tolist() == en["facilities"].tolist()
    assert zh["facilities"].sum() == 65  # data/registries/wulatezhongqi.toml
    assert zh.iloc[0].tolist() == ["旗县综合医院", "城区", 1]  # tiers in their registry order
    assert en.iloc[0].tolist() == ["County general hospital", "Urban", 1]
    assert not zh.duplicated(["tier", "area"]).any()
