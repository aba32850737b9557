"""Any county speaks as itself (issue #15 items 1, 2 and 4): no text names the reference county, the county's
settings decide its words, and the demo is made from a registry alone, here the invented 小河县."""

from __future__ import annotations

import datetime as dt
import json
import string
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import i18n, registry
from lib.demo import build
from lib.registry import settings
from lib.store import db
from lib.store.models import Admission, County, Destination, Facility, Staff, Tier, Visit
from tests.fixtures import tiny

XIAOHE = Path(__file__).resolve().parents[1] / "fixtures" / "xiaohe_registry.toml"
# What a trial found another county shown (issue #15): the reference county's own words.
REFERENCE_WORDS = ("旗县综合医院", "蒙中医医院", "苏木乡镇卫生院", "嘎查村卫生室", "旗级医院", "三区分区", "边境口岸",
                   "全旗", "Banner", "banner", "中蒙医", "000号文件", "蒙医", "Mongolian")
PORT_KEYS = ("map.port", "map.layer.port")  # drawn only where the registry has a border port
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def xiaohe_settings(sqlite_url: str) -> settings.CountySettings:
    """The settings of 小河县 as its load stores them."""
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, XIAOHE)
        return settings.read(conn, "990101")


def _rendered(words: settings.CountySettings) -> dict[tuple[str, str], str]:
    """Every catalogue text in both languages as the county would read it (its fields given dummy values)."""
    out = {}
    with i18n.speaking_for(words.all_words()):
        for key, entry in i18n.CATALOGUE.items():
            for lang in i18n.LANGS:
                fields = {f for _, f, _, _ in string.Formatter().parse(entry[lang])
                          if f and not f.startswith("county_")}
                out[(key, lang)] = i18n.t(key, lang, **dict.fromkeys(fields, "·"))
    return out


def test_no_catalogue_text_names_the_reference_county_to_another(xiaohe_settings):
    shown = _rendered(xiaohe_settings)
    found = {k: text for k, text in shown.items() if k[0] not in PORT_KEYS and any(w in text for w in REFERENCE_WORDS)}
    assert found == {}


def test_the_county_words_come_from_its_registry(xiaohe_settings):
    words = xiaohe_settings
    assert i18n.t("ref.county", "zh") == "全县"  # no county set: county-neutral words
    with i18n.speaking_for(words.all_words()):
        assert i18n.t("ref.county", "zh") == "全县"
        assert i18n.t("ref.county", "en") == "Whole county"
        assert i18n.t("peer.county_hospital", "zh") == "县级医院"
        assert i18n.t("map.layer.areas", "zh") == "地貌分区"
        assert i18n.t("kpi.short.tcm_visit_share", "zh") == "中医诊疗占比"
        assert "★ 为小河县医共体实施方案第三条重点监测的外转病种" in i18n.t("ref.kpi.note", "zh")
        assert "the Xiaohe implementation plan, article 3 watches" in i18n.t("ref.kpi.note", "en")
    reference = settings.of_registry({"name_zh": "乌拉特中旗", "plan_zh": "000号文件", "watched_clause_zh": "§二(二)3",
                                      "area_layer_zh": "三区分区"}, [], [{"tier": "mongolian_tcm_hospital",
                                                                   "border_port": True}], _Strict())
    with i18n.speaking_for(reference.all_words()):  # the reference county keeps its own words
        assert i18n.t("ref.county", "zh") == "全旗"
        assert i18n.t("peer.county_hospital", "zh") == "旗级医院"
        assert i18n.t("map.layer.areas", "zh") == "三区分区"
        assert i18n.t("kpi.short.tcm_visit_share", "zh") == "中蒙医诊疗占比"
        assert "★ 为000号文件§二(二)3重点监测的外转病种" in i18n.t("ref.kpi.note", "zh")
    assert reference.has_border_port
    assert not words.has_border_port


class _Strict:
    def add(self, where: str, key: str, **fields: object) -> None:
        raise AssertionError((where, key, fields))


def test_settings_default_when_the_registry_says_nothing():
    plain = settings.of_registry({"name_zh": "某市"}, [], [{"tier": "thc"}], _Strict())
    assert (plain.self_zh, plain.self_en, plain.medicine) == ("市", "city", "tcm")
    assert plain.watched_diseases == settings.DEFAULT_WATCHED
    assert plain.reporting_day == 16
    assert plain.words("zh") == {**i18n.NEUTRAL_WORDS["zh"], "county_self": "市", "county_level": "市级"}
    assert settings.CountySettings.from_json(plain.to_json()) == plain


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def two_counties(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """小旗 with its hand-made events, then 小河县 loaded beside it and given two months of demo."""
    from tests.conftest import make_store

    with make_store(request.param, tmp_path_factory.mktemp("counties")) as url:
        tiny.build(url)
        with db.engine(url).begin() as conn:
            registry.load(conn, XIAOHE)
            before = conn.execute(sa.select(sa.func.count()).select_from(Visit)).scalar_one()
        rows = build.generate(db.engine(url), county="990101", months=2, today=TODAY)
        yield url, rows, before


def _of_county(code: str) -> sa.Select:
    return sa.select(Facility.id).join(County).where(County.code == code)


def test_the_demo_of_a_county_comes_from_its_registry_alone(two_counties):
    url, rows, tiny_before = two_counties
    assert rows["visit"] > 0
    assert rows["admission"] > 0
    with db.engine(url).connect() as conn:
        ours = _of_county("990101")
        months = conn.execute(sa.select(sa.func.min(Visit.ts)).where(Visit.facility_id.in_(ours))).scalar_one()
        out = conn.execute(sa.select(Destination.code, County.code).select_from(Admission)
                           .join(Destination, Destination.id == Admission.destination_id).join(County)
                           .where(Admission.home_facility_id.in_(ours)).distinct()).all()
        specialties = set(conn.execute(sa.select(Staff.specialty_class).where(Staff.facility_id.in_(ours))).scalars())
        at_tcm_hospital = dict(conn.execute(sa.select(Staff.specialty_class, sa.func.count()).join(Facility)
                                            .where(Facility.code == "XH-TCM").group_by(Staff.specialty_class)).all())
        tiny_visits = conn.execute(sa.select(sa.func.count()).select_from(Visit)
                                   .where(Visit.facility_id.in_(_of_county("000001")))).scalar_one()
        tiers = dict(conn.execute(sa.select(Tier.code, Tier.name_zh)).all())
    assert months >= dt.datetime(2026, 10, 1)  # the last two months only
    assert sorted(out) == [("D1", "990101"), ("capital", "990101")]  # its own destinations, both used
    assert "mongolian" not in specialties
    assert at_tcm_hospital["tcm"] > at_tcm_hospital["clinical"]  # a TCM hospital, sized to a county of 3,000
    assert tiny_visits == tiny_before  # the other county's events untouched
    assert all(not any(w in tiers[t] for w in REFERENCE_WORDS) for t in ("county_hospital", "tcm_hospital", "thc",
                                                                           "village_clinic"))


def test_the_demo_refuses_a_county_with_data_or_not_loaded(two_counties):
    url, _, _ = two_counties
    with pytest.raises(build.DemoRefusedError, match="already holds data of this county"):
        build.generate(db.engine(url), county="990101", months=1, today=TODAY)
    with pytest.raises(build.DemoRefusedError, match="not loaded"):
        build.generate(db.engine(url), county="123456", months=1, today=TODAY)


def test_stored_settings_are_plain_json(two_counties):
    url, _, _ = two_counties
    with db.engine(url).connect() as conn:
        stored = json.loads(conn.execute(sa.select(County.settings).where(County.code == "990101")).scalar_one())
    assert stored["self_zh"] == "县"
    assert stored["area_layer_zh"] == "地貌分区"
