"""The public health, TCM and elderly-care page (issue #13 item 4): every figure an engine indicator.

Chronic-disease and maternal management against 70/70/90% (000 §二(四)3), follow-ups, family-doctor
contracts (002 §二(三)3), the chronic admission rate, key-population screening (000 §二(四)3); TCM by
area and by unit against 20%, halls, village TCM services, outreach and 名医工作室 (000 §二(七)); and
elderly care, the 医康养 mission 000 §二(一)2 gives the mountain-dry area, measured by seed 003's
figures (monthly visits, concentrated support, township centres and village stations) and care beds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.headline import Tile, tiles
from lib.kpi.period import Period
from lib.registry import settings as county_settings

MANAGEMENT = ("htn_managed_rate", "dm_managed_rate", "maternal_managed_rate", "followup_completion",
              "chronic_admission_rate", "key_population_screenings")
CONTRACTS = ("fd_contract_rate", "fd_contract_priority_rate")
TCM = ("tcm_visit_share", "tcm_hall_coverage", "village_tcm_service_rate", "tcm_outreach_events",
       "tcm_master_studios")
ELDERLY_COUNTS = ("elderly_population", "care_beds")  # the scope's sizes, shown beside the per-area table
ELDERLY_RATES = ("elderly_visit_rate", "concentrated_support_rate", "care_bed_occupancy",
                 "township_elderly_centre_coverage", "village_elderly_station_coverage")
ELDERLY = ELDERLY_COUNTS + ELDERLY_RATES
SECTIONS = {"management": MANAGEMENT + CONTRACTS, "tcm": TCM, "elderly": ELDERLY_RATES}  # a wall row of tiles each
UNIT_GROUPS = ("county_hospital", "thc")  # TCM share by unit: the hospitals and township centres


@dataclass(frozen=True)
class PublicHealth:
    """Everything the page draws: the scope's indicator tiles per section (as the overview draws them),
    TCM share per area and unit, and elderly care per area (the 医康养 area first when the county has one)."""

    period: Period
    scope: Scope
    tiles: dict[str, list[Tile]]  # section -> the tiles of its codes that apply to the scope
    elderly_counts: dict[str, KpiValue]  # ELDERLY_COUNTS for the scope
    tcm_by_area: pd.DataFrame  # code (the area's), name_zh, name_en, value, numerator, denominator, target, status
    tcm_by_unit: pd.DataFrame  # code, name_zh, name_en, area, value, numerator, denominator, target, status
    elderly_by_area: pd.DataFrame  # area, name_zh, name_en, mission, then a column per ELDERLY code
    mission_area: str | None  # the area of the elderly-care mission (the registry's elderly_care_area), if any
    mission_names: dict[str, str]  # that area's name by language ({} without one)


def _rows(values: list[KpiValue], names: pd.DataFrame) -> pd.DataFrame:
    """One row per scope, in the order of ``names`` (code, name_zh, name_en …), with the value's figures."""
    out = pd.DataFrame([{"code": v.scope.codes[0], "value": v.value, "numerator": v.numerator,
                         "denominator": v.denominator, "target": v.target, "status": v.status} for v in values],
                       columns=["code", "value", "numerator", "denominator", "target", "status"])
    return names.merge(out, on="code", how="inner")


def page(engine: Engine, scope: Scope, period: Period) -> PublicHealth:
    """The page for the filters' scope and period; areas and units are those the scope holds."""
    sections = {name: tiles(engine, scope, period, codes) for name, codes in SECTIONS.items()}
    units = engine.units.loc[engine.facility_ids(scope)]
    areas = engine.units.drop_duplicates("area").loc[lambda u: u["area"].isin(units["area"])]
    area_names = areas[["area", "area_zh", "area_en"]].rename(columns={"area": "code", "area_zh": "name_zh",
                                                                       "area_en": "name_en"})
    area_scopes = [Scope("area", (a,)) for a in area_names["code"]]
    tcm_area = engine.compute(["tcm_visit_share"], area_scopes, period, compare=False)
    shown = units[units["peer_group"].isin(UNIT_GROUPS)]
    tcm_unit = engine.compute(["tcm_visit_share"], [Scope("facility", (c,)) for c in shown["code"]], period,
                              compare=False)
    unit_names = shown[["code", "name_zh", "name_en", "area"]]
    mission_area = county_settings.read(engine.conn, county_id=engine.county_id).elderly_care_area
    elderly = pd.DataFrame({"area": area_names["code"], "name_zh": area_names["name_zh"],
                            "name_en": area_names["name_en"], "mission": area_names["code"] == mission_area})
    by_area = {(v.code, v.scope.codes[0]): v.value for v in engine.compute(ELDERLY, area_scopes, period, compare=False)}
    for code in ELDERLY:
        elderly[code] = [by_area.get((code, a)) for a in elderly["area"]]
    elderly = elderly.sort_values("mission", ascending=False, kind="stable").reset_index(drop=True)
    held = engine.units[engine.units["area"] == mission_area]
    mission = mission_area if len(held) else None
    mission_names = {"zh": held["area_zh"].iloc[0], "en": held["area_en"].iloc[0]} if len(held) else {}
    counts = {v.code: v for v in engine.compute(ELDERLY_COUNTS, [scope], period, compare=False)}
    return PublicHealth(period, scope, sections, counts, _rows(tcm_area, area_names), _rows(tcm_unit, unit_names),
                        elderly, mission, mission_names)
