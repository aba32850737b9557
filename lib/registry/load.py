"""Load a county's member-unit registry (a TOML file) into the store, all or nothing.

The registry is data, not code: any county describes its areas (its own group set, like DHIS2's),
communities, out-of-county destinations and facilities in the format of
data/registries/wulatezhongqi.toml. Every problem is collected first and reported with the file,
the row and the field; nothing is written unless the whole file is valid.

    python -m lib.registry load FILE [--db URL]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.kpi import catalogue
from lib.problems import InputError
from lib.registry import geo
from lib.store import db, schema
from lib.store.models import Area, Community, County, Destination, Facility, Tier

DATA = db.ROOT / "data"
DEFAULT_REGISTRY = DATA / "registries" / "wulatezhongqi.toml"
COORD_SOURCES = ("surveyed", "estimated", "estimated-moved-inside")
_REQUIRED = {
    "county": ("code", "name_zh", "name_en", "resident_population", "insured_residents", "boundary"),
    "area": ("code", "name_zh", "name_en"),
    "community": ("code", "name_zh", "name_en"),
    "destination": ("code", "name_zh", "name_en", "latitude", "longitude"),
    "facility": ("code", "name_zh", "name_en", "tier", "area", "community", "latitude", "longitude", "coord_source"),
}


class RegistryError(InputError):
    """A registry file that cannot be loaded."""


@dataclass(frozen=True)
class Summary:
    county: str
    areas: int
    communities: int
    destinations: int
    facilities: int
    by_tier: dict[str, int]


def _row_name(section: str, i: int, row: dict[str, Any]) -> str:
    code = row.get("code")
    return f"[[{section}]] #{i + 1}" + (f" (code {code!r})" if code else "")


def _check_fields(section: str, rows: list[dict[str, Any]], problems: list[str]) -> None:
    for i, row in enumerate(rows):
        missing = [k for k in _REQUIRED[section] if row.get(k) in (None, "")]
        if missing:
            problems.append(f"{_row_name(section, i, row)}: missing {', '.join(missing)}")
        for key in ("latitude", "longitude", "population", "resident_population", "insured_residents"):
            if key in row and (isinstance(row[key], bool) or not isinstance(row[key], int | float)):
                problems.append(f"{_row_name(section, i, row)}: {key} must be a number, got {row[key]!r}")
        if isinstance(row.get("population"), int) and row["population"] < 0:
            problems.append(f"{_row_name(section, i, row)}: population must not be negative")
    for code, n in Counter(r.get("code") for r in rows if r.get("code")).items():
        if n > 1:
            problems.append(f"[[{section}]]: duplicate code {code!r} ({n} rows)")


def _check_facilities(doc: dict[str, Any], tiers: dict[str, str], boundary: Path | None,
                      taken: set[str], problems: list[str]) -> None:
    areas = {a.get("code") for a in doc.get("area", [])}
    communities = {c.get("code") for c in doc.get("community", [])}
    rows: list[dict[str, Any]] = doc.get("facility", [])
    level_of = {r.get("code"): tiers.get(r.get("tier", "")) for r in rows}
    for i, row in enumerate(rows):
        name = _row_name("facility", i, row)
        tier = row.get("tier")
        if tier and tier not in tiers:
            problems.append(f"{name}: unknown tier {tier!r} (known: {', '.join(sorted(tiers))})")
        if row.get("area") and row["area"] not in areas:
            problems.append(f"{name}: unknown area {row['area']!r} (this county's areas: {', '.join(sorted(areas))})")
        if row.get("community") and row["community"] not in communities:
            problems.append(f"{name}: unknown community {row['community']!r}")
        if row.get("code") in taken:
            problems.append(f"{name}: code already exists in the store")
        if row.get("coord_source") and row["coord_source"] not in COORD_SOURCES:
            problems.append(f"{name}: coord_source must be one of {', '.join(COORD_SOURCES)}")
        parent = row.get("parent")
        if tier == "village_clinic" and not parent:
            problems.append(f"{name}: a village clinic needs a parent THC (field 'parent')")
        elif parent and level_of.get(parent) != "township":
            problems.append(f"{name}: parent {parent!r} is not a township health centre in this file")
        lat, lon = row.get("latitude"), row.get("longitude")
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon))
        if boundary is not None and numeric and not geo.contains(boundary, lat, lon):
            problems.append(f"{name}: point ({lat}, {lon}) lies outside the county boundary {boundary.name}")
    for comm in communities:
        if not any(r.get("lead") and r.get("community") == comm for r in rows):
            problems.append(f"[[community]] {comm!r}: no facility is marked lead = true")


def _beside(registry_file: Path, name: str) -> Path:
    """A file named in the registry: relative to the registry file, else to data/."""
    near = (registry_file.parent / name).resolve()
    return near if near.exists() else (DATA / name).resolve()


def validate(conn: Connection, path: Path) -> dict[str, Any]:
    """Parse and check a registry file against the store; raise RegistryError listing every problem."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(path, [f"cannot read: {exc}"]) from exc
    problems: list[str] = []
    county = doc.get("county")
    if not isinstance(county, dict):
        raise RegistryError(path, ["missing the [county] table"])
    _check_fields("county", [county], problems)
    for section in ("area", "community", "destination", "facility"):
        _check_fields(section, doc.get(section, []), problems)
    if not doc.get("facility"):
        problems.append("no [[facility]] rows")
    boundary: Path | None = None
    if county.get("boundary"):
        boundary = _beside(path, county["boundary"])
        if not boundary.exists():
            problems.append(f"[county]: boundary file {county['boundary']!r} not found")
            boundary = None
    if conn.execute(sa.select(County.id).where(County.code == str(county.get("code")))).first():
        raise RegistryError(path, [f"[county]: county {county.get('code')!r} is already loaded in this store"])
    tiers = dict(conn.execute(sa.select(Tier.code, Tier.level)).all())
    taken = set(conn.execute(sa.select(Facility.code)).scalars())
    _check_facilities(doc, tiers, boundary, taken, problems)
    doc["_targets"] = None
    if county.get("targets"):
        doc["_targets"] = _beside(path, county["targets"])
        try:
            catalogue.read_targets(conn, doc["_targets"])
        except catalogue.CatalogueError as exc:
            problems.extend(f"targets {Path(exc.source).name}: {p}" for p in exc.problems)
    if problems:
        raise RegistryError(path, problems)
    doc["_boundary"] = boundary
    return doc


def _relative_to_data(path: Path) -> str:
    return str(path.relative_to(DATA)) if path.is_relative_to(DATA) else str(path)


def load(conn: Connection, path: Path) -> Summary:
    """Validate, then write the whole registry in the caller's transaction."""
    doc = validate(conn, path)
    c = doc["county"]
    county_id = conn.execute(sa.insert(County).returning(County.id), {
        "code": str(c["code"]), "name_zh": c["name_zh"], "name_en": c["name_en"],
        "resident_population": c["resident_population"], "insured_residents": c["insured_residents"],
        "illustrative": bool(c.get("illustrative", False)), "source": c.get("source", ""),
        "boundary": _relative_to_data(doc["_boundary"]),
    }).scalar_one()

    def insert_all(model: type, rows: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, int]:
        ids = {}
        for row in rows:
            values = {k: row.get(k) for k in keys} | ({"county_id": county_id} if hasattr(model, "county_id") else {})
            ids[row["code"]] = conn.execute(sa.insert(model).returning(model.id), values).scalar_one()
        return ids

    area_ids = insert_all(Area, doc.get("area", []), ("code", "name_zh", "name_en"))
    community_ids = insert_all(Community, doc.get("community", []), ("code", "name_zh", "name_en"))
    insert_all(Destination, doc.get("destination", []), ("code", "name_zh", "name_en", "latitude", "longitude"))
    facility_ids: dict[str, int] = {}
    # Parents (THCs) before their village clinics, so parent_id can be resolved in one pass.
    for row in sorted(doc["facility"], key=lambda r: bool(r.get("parent"))):
        facility_ids[row["code"]] = conn.execute(sa.insert(Facility).returning(Facility.id), {
            "code": row["code"], "county_id": county_id, "community_id": community_ids[row["community"]],
            "area_id": area_ids[row["area"]], "tier_code": row["tier"],
            "parent_id": facility_ids.get(row.get("parent", "")),
            "name_zh": row["name_zh"], "name_en": row["name_en"],
            "is_lead": bool(row.get("lead", False)), "is_sub_centre": bool(row.get("sub_centre", False)),
            "is_border_port": bool(row.get("border_port", False)),
            "latitude": float(row["latitude"]), "longitude": float(row["longitude"]),
            "coord_source": row["coord_source"], "population_served": int(row.get("population", 0)),
            "illustrative": bool(row.get("illustrative", False)),
        }).scalar_one()
    catalogue.sync_catalogue(conn)
    if doc["_targets"] is not None:
        catalogue.load_targets(conn, county_id, doc["_targets"])
    return Summary(
        county=str(c["code"]), areas=len(area_ids), communities=len(community_ids),
        destinations=len(doc.get("destination", [])), facilities=len(facility_ids),
        by_tier=dict(Counter(r["tier"] for r in doc["facility"])),
    )


def boundary_path(conn: Connection) -> Path:
    """The boundary file of the (first) loaded county, for maps."""
    stored = conn.execute(sa.select(County.boundary).order_by(County.id).limit(1)).scalar_one()
    return DATA / stored


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.registry", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    load_cmd = sub.add_parser("load", help="validate a registry file and load it into the store")
    load_cmd.add_argument("file", type=Path)
    load_cmd.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    args = parser.parse_args(argv)
    url = db.resolve_url(args.db)
    schema.upgrade(url)
    try:
        with db.engine(url).begin() as conn:
            summary = load(conn, args.file)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"loaded county {summary.county}: {summary.facilities} facilities "
          f"({', '.join(f'{k} {v}' for k, v in sorted(summary.by_tier.items()))}), "
          f"{summary.areas} areas, {summary.communities} communities, {summary.destinations} destinations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
