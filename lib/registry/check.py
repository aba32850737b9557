"""Check a registry file whole before anything is written: every problem named by file, row and field.

Problems are in the reader's language (lib.i18n keys ``registry.*``). A new county and an update of a
loaded one are checked alike; a unit code another county of the store already uses is refused (unit
codes are the store's keys for uploads and URLs), an area, community or destination code only has to be
unique within its county.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import i18n
from lib.kpi import catalogue
from lib.ops import plan
from lib.problems import InputError
from lib.registry import geo, settings
from lib.store import db
from lib.store.models import County, Facility, Tier

DATA = db.ROOT / "data"
COORD_SOURCES = ("surveyed", "estimated", "estimated-moved-inside")
SECTIONS = ("area", "community", "destination", "facility")
_REQUIRED = {
    "county": ("code", "name_zh", "name_en", "resident_population", "insured_residents", "boundary"),
    "area": ("code", "name_zh", "name_en"),
    "community": ("code", "name_zh", "name_en"),
    "destination": ("code", "name_zh", "name_en", "latitude", "longitude"),
    "facility": ("code", "name_zh", "name_en", "tier", "area", "community", "latitude", "longitude", "coord_source"),
}
_NUMBERS = ("latitude", "longitude", "population", "resident_population", "insured_residents")


class RegistryError(InputError):
    """A registry file that cannot be loaded."""


@dataclass(frozen=True)
class Registry:
    """A checked registry file: its rows by section, its resolved files and settings."""

    path: Path
    county: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    boundary: Path
    targets: Path | None
    settings: settings.CountySettings


class _Problems(list[str]):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def add(self, where: str, key: str, **fields: object) -> None:
        self.append(f"{where}: {i18n.t('registry.' + key, self.lang, **fields)}")


def _row_name(section: str, i: int, row: dict[str, Any]) -> str:
    code = row.get("code")
    return f"[[{section}]] #{i + 1}" + (f" (code {code!r})" if code else "")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_fields(section: str, rows: list[dict[str, Any]], problems: _Problems) -> None:
    for i, row in enumerate(rows):
        name = "[county]" if section == "county" else _row_name(section, i, row)
        missing = [k for k in _REQUIRED[section] if row.get(k) in (None, "")]
        if missing:
            problems.add(name, "missing", fields=", ".join(missing))
        for key in _NUMBERS:
            if key in row and not _is_number(row[key]):
                problems.add(name, "not_a_number", field=key, value=repr(row[key]))
        if _is_number(row.get("population")) and row["population"] < 0:
            problems.add(name, "negative_population")
        if row.get("role", "member") not in settings.ROLES:
            problems.add(name, "unknown_role", value=repr(row["role"]), known=", ".join(settings.ROLES))
        for flag in ("rural", "sparse", "lead", "sub_centre", "border_port", "illustrative"):
            if flag in row and not isinstance(row[flag], bool):
                problems.add(name, "not_a_boolean", field=flag, value=repr(row[flag]))
    for code, n in Counter(r.get("code") for r in rows if r.get("code")).items():
        if n > 1:
            problems.add(f"[[{section}]]", "duplicate", code=repr(code), n=n)


def _check_point(name: str, row: dict[str, Any], boundary: Path | None, problems: _Problems) -> None:
    lat, lon = row.get("latitude"), row.get("longitude")
    if not (_is_number(lat) and _is_number(lon)):
        return
    swapped = " " + i18n.t("registry.swapped_hint", problems.lang) if (
        abs(lat) > 90 or (boundary is not None and geo.contains(boundary, lon, lat))) else ""
    if abs(lat) > 90:
        problems.add(name, "latitude_range", lat=lat, hint=swapped)
    elif boundary is not None and not geo.contains(boundary, lat, lon):
        problems.add(name, "outside", lat=lat, lon=lon, file=boundary.name, hint=swapped)


def _check_facilities(rows: list[dict[str, Any]], doc: dict[str, Any], tiers: dict[str, str],
                      boundary: Path | None, elsewhere: dict[str, str], problems: _Problems) -> None:
    areas = {a.get("code") for a in doc.get("area", [])}
    communities = {c.get("code") for c in doc.get("community", [])}
    tier_of = {r.get("code"): r.get("tier", "") for r in rows}
    for i, row in enumerate(rows):
        name = _row_name("facility", i, row)
        tier = row.get("tier")
        if tier and tier not in tiers:
            problems.add(name, "unknown_tier", value=repr(tier), known=", ".join(sorted(tiers)))
        if row.get("area") and row["area"] not in areas:
            problems.add(name, "unknown_area", value=repr(row["area"]), known=", ".join(sorted(map(str, areas))))
        if row.get("community") and row["community"] not in communities:
            problems.add(name, "unknown_community", value=repr(row["community"]),
                         known=", ".join(sorted(map(str, communities))))
        if row.get("code") in elsewhere:
            problems.add(name, "code_elsewhere", county=elsewhere[row["code"]])
        if row.get("coord_source") and row["coord_source"] not in COORD_SOURCES:
            problems.add(name, "coord_source", known=", ".join(COORD_SOURCES))
        parent = row.get("parent")
        if tier == "village_clinic" and not parent:
            problems.add(name, "needs_parent")
        elif parent and parent not in tier_of:
            problems.add(name, "parent_missing", parent=repr(parent))
        elif parent and tiers.get(tier_of[parent]) != "township":
            problems.add(name, "parent_not_thc", parent=repr(parent), tier=tier_of[parent])
        _check_point(name, row, boundary, problems)
    for comm in sorted(map(str, communities)):
        if not any(r.get("lead") and r.get("community") == comm for r in rows):
            problems.add(f"[[community]] {comm!r}", "no_lead")


def beside(registry_file: Path, name: str) -> tuple[Path, ...]:
    """Where a file named in the registry is looked for: beside the registry file, then under data/."""
    return (registry_file.parent / name).resolve(), (DATA / name).resolve()


def _found(registry_file: Path, name: str, what: str, problems: _Problems) -> Path | None:
    places = beside(registry_file, name)
    for place in places:
        if place.exists():
            return place
    problems.add("[county]", "file_missing", what=i18n.t(f"registry.what.{what}", problems.lang), name=repr(name),
                 places=", ".join(map(str, places)))
    return None


def _plan_title(county: str) -> tuple[str, str] | None:
    """The title of the county's plan file (data/plans/), the plan its pages cite unless the registry says."""
    try:
        found = plan.for_county(county)
    except (InputError, OSError, tomllib.TOMLDecodeError):  # the plan page names a broken file's problems
        return None
    return None if found is None else (found.title_zh, found.title_en)


def read(path: Path, lang: str) -> dict[str, Any]:
    """The registry file as TOML tables; RegistryError when it cannot be read or has no [county]."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(path, [i18n.t("registry.unreadable", lang, why=exc)]) from exc
    if not isinstance(doc.get("county"), dict):
        raise RegistryError(path, [i18n.t("registry.no_county", lang)])
    return doc


def check(conn: Connection, path: Path, lang: str = i18n.DEFAULT_LANG) -> Registry:
    """Parse and check a registry file against the store; raise RegistryError listing every problem."""
    doc = read(path, lang)
    problems = _Problems(lang)
    county = doc["county"]
    _check_fields("county", [county], problems)
    for section in SECTIONS:
        _check_fields(section, doc.get(section, []), problems)
    rows: list[dict[str, Any]] = doc.get("facility", [])
    if not rows:
        problems.add(str(path.name), "no_facilities")
    boundary = _found(path, county["boundary"], "boundary", problems) if county.get("boundary") else None
    code = str(county.get("code"))
    tiers = dict(conn.execute(sa.select(Tier.code, Tier.level)).all())
    elsewhere = {f: f"{c} {n}" for f, c, n in conn.execute(
        sa.select(Facility.code, County.code, County.name_zh).join(County, County.id == Facility.county_id)
        .where(County.code != code)).all()}
    _check_facilities(rows, doc, tiers, boundary, elsewhere, problems)
    targets = _found(path, county["targets"], "targets", problems) if county.get("targets") else None
    if targets is not None:
        try:
            catalogue.read_targets(conn, targets)
        except catalogue.CatalogueError as exc:
            problems.extend(f"targets {Path(exc.source).name}: {p}" for p in exc.problems)
    county_settings = settings.of_registry(county, doc.get("area", []), rows, problems, _plan_title(code))
    if problems or boundary is None:
        raise RegistryError(path, list(problems))
    return Registry(path, county, {s: doc.get(s, []) for s in SECTIONS}, boundary, targets, county_settings)
