"""A county's own settings and words, read from its registry's ``[county]`` table, each with a default.

Everything a page says about "the county" that differs between counties lives here, so no code names a
county: its word for itself (旗 / 县 / 市), whether its hospitals practise Mongolian medicine beside TCM,
the name of its area layer, the plan it cites, the out-of-county disease groups that plan watches and
the day monthly reports are due. docs/registry.md lists the fields and their defaults.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import i18n
from lib.maps.disease import CODES as DISEASE_CODES
from lib.maps.disease import WATCHED
from lib.store.models import County

MEDICINES = ("tcm", "mongolian_tcm")
ROLES = ("member", "auxiliary", "partner")  # 成员单位 | 辅助建设医院 | 医共体外合作单位 (in county, not a member)
# The word a county uses for itself, told by the last character of its Chinese name.
SELF_WORDS = {"旗": "banner", "县": "county", "市": "city", "区": "district"}
DEFAULT_SELF = ("县", "county")
DEFAULT_WATCHED = WATCHED  # 恶性肿瘤, 冠心病, 肺炎, 脑梗死, 精神疾病: the five the 县域 plans watch
DEFAULT_REPORTING_DAY = 16
_MEDICINE_WORDS = {"tcm": ("中医", "TCM"), "mongolian_tcm": ("中蒙医", "TCM & Mongolian medicine")}


class Report(Protocol):
    """Where a problem goes: named by place and catalogue key (lib.registry.check's list)."""

    def add(self, where: str, key: str, **fields: object) -> None: ...


@dataclass(frozen=True)
class CountySettings:
    """One county's settings, defaults applied (``of_registry``), stored with it as JSON."""

    self_zh: str = DEFAULT_SELF[0]
    self_en: str = DEFAULT_SELF[1]
    medicine: str = "tcm"
    area_layer_zh: str = "分区"
    area_layer_en: str = "Areas"
    plan_zh: str = "医共体建设方案"  # the county's plan document, as its pages cite it
    plan_en: str = "the county plan"
    watched_clause_zh: str = ""  # the plan's clause on the watched disease groups (the ★ note cites it)
    watched_clause_en: str = ""
    watched_diseases: tuple[str, ...] = DEFAULT_WATCHED
    reporting_day: int = DEFAULT_REPORTING_DAY
    elderly_care_area: str = ""  # the area the plan gives the elderly-care (医康养) mission, if any
    has_border_port: bool = False

    def words(self, lang: str) -> dict[str, str]:
        """The county's words as the catalogue's ``{county_*}`` fields in ``lang`` (lib.i18n fills them)."""
        medicine = _MEDICINE_WORDS[self.medicine]
        if lang == "en":
            return {"county_self": self.self_en, "county_level": "County", "county_areas": self.area_layer_en,
                    "county_tcm": medicine[1], "county_plan": self.plan_en,
                    "county_watch_source": ", ".join(filter(None, (self.plan_en, self.watched_clause_en)))}
        return {"county_self": self.self_zh, "county_level": self.self_zh + "级", "county_areas": self.area_layer_zh,
                "county_tcm": medicine[0], "county_plan": self.plan_zh,
                "county_watch_source": self.plan_zh + self.watched_clause_zh}

    def all_words(self) -> dict[str, dict[str, str]]:
        """The words in every language, for ``lib.i18n.speaking_for``."""
        return {lang: self.words(lang) for lang in i18n.LANGS}

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> CountySettings:
        values = json.loads(text or "{}")
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        if "watched_diseases" in known:
            known["watched_diseases"] = tuple(known["watched_diseases"])
        return cls(**known)


def named(name_zh: str) -> CountySettings:
    """Default settings for a county known by its name only: its word for itself from the name's end."""
    word = name_zh[-1] if name_zh[-1:] in SELF_WORDS else DEFAULT_SELF[0]
    return CountySettings(self_zh=word, self_en=SELF_WORDS.get(word, DEFAULT_SELF[1]))


def of_registry(county: dict[str, Any], areas: list[dict[str, Any]], facilities: list[dict[str, Any]],
                problems: Report, plan_title: tuple[str, str] | None = None) -> CountySettings:
    """The settings a registry states, each missing one by its default; bad values are added to ``problems``.
    The plan cited defaults to ``plan_title`` (zh, en: the title of the county's plan file), if it has one."""
    word_zh = county.get("self_zh") or named(str(county.get("name_zh", ""))).self_zh
    word_en = county.get("self_en") or SELF_WORDS.get(word_zh, DEFAULT_SELF[1])
    tiers = {str(f.get("tier")) for f in facilities}
    medicine = county.get("medicine") or ("mongolian_tcm" if "mongolian_tcm_hospital" in tiers else "tcm")
    if medicine not in MEDICINES:
        problems.add("[county]", "medicine", known=", ".join(MEDICINES), value=repr(medicine))
        medicine = "tcm"
    watched = county.get("watched_diseases", list(DEFAULT_WATCHED))
    unknown = [c for c in watched if c not in DISEASE_CODES] if isinstance(watched, list) else [watched]
    if unknown:
        problems.add("[county]", "watched", value=", ".join(map(repr, unknown)), known=", ".join(DISEASE_CODES))
        watched = [c for c in watched if c in DISEASE_CODES] if isinstance(watched, list) else []
    day = county.get("reporting_day", DEFAULT_REPORTING_DAY)
    if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 28:
        problems.add("[county]", "reporting_day", value=repr(day))
        day = DEFAULT_REPORTING_DAY
    elderly = str(county.get("elderly_care_area", ""))
    if elderly and elderly not in {str(a.get("code")) for a in areas}:
        problems.add("[county]", "elderly_care_area", value=repr(elderly))
    defaults = CountySettings() if plan_title is None else CountySettings(plan_zh=plan_title[0], plan_en=plan_title[1])
    return CountySettings(
        self_zh=str(word_zh), self_en=str(word_en), medicine=str(medicine),
        area_layer_zh=str(county.get("area_layer_zh", defaults.area_layer_zh)),
        area_layer_en=str(county.get("area_layer_en", defaults.area_layer_en)),
        plan_zh=str(county.get("plan_zh", defaults.plan_zh)), plan_en=str(county.get("plan_en", defaults.plan_en)),
        watched_clause_zh=str(county.get("watched_clause_zh", "")),
        watched_clause_en=str(county.get("watched_clause_en", "")),
        watched_diseases=tuple(watched), reporting_day=day, elderly_care_area=elderly,
        has_border_port=any(bool(f.get("border_port")) for f in facilities),
    )


def read(conn: Connection, county: str | None = None, *, county_id: int | None = None) -> CountySettings:
    """The stored settings of the county with administrative code ``county`` or id ``county_id`` (neither:
    the store's first county, while a store holds one); defaults when the store holds no county yet."""
    query = sa.select(County.settings).order_by(County.id).limit(1)
    if county is not None:
        query = query.where(County.code == county)
    if county_id is not None:
        query = query.where(County.id == county_id)
    return CountySettings.from_json(conn.execute(query).scalar())
