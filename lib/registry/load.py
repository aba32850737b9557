"""Load a county's member-unit registry (a TOML file) into the store, or update a loaded one: all or nothing.

The registry is data, not code (docs/registry.md describes the format). The file is checked whole first
(lib.registry.check); then a new county is written, and a county already in the store is brought to the
file: new units added, changed ones updated, units no longer in the file retired (kept with their
history, marked ``retired_on``), the difference listed. A failed load writes nothing, and leaves no new
SQLite file behind.

    python -m lib.registry load FILE [--check] [--lang zh|en] [--db URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock, i18n
from lib.kpi import catalogue
from lib.registry.check import DATA, Registry, RegistryError, check
from lib.store import db, schema
from lib.store.models import Area, Community, County, Destination, Facility, Tier

DEFAULT_REGISTRY = DATA / "registries" / "wulatezhongqi.toml"
RETIRING = ("destination", "facility")  # areas and communities left out of a file are kept as they are
_MODELS: dict[str, Any] = {"area": Area, "community": Community, "destination": Destination, "facility": Facility}


@dataclass(frozen=True)
class Diff:
    """What a load changes, by section: codes added, codes changed (with the fields), codes retired.
    ``_apply`` fills it section by section as it writes them."""

    new: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    retired: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any((*self.new.values(), *self.changed.values(), *self.retired.values()))

    def lines(self, lang: str) -> list[str]:
        """The difference as a reader goes through it: section by section, new, changed, retired."""
        out = []
        for section in ("county", *_MODELS):
            name = i18n.t(f"registry.section.{section}", lang)
            for kind, codes in (("new", self.new.get(section, [])), ("retired", self.retired.get(section, []))):
                if codes:
                    out.append(i18n.t(f"registry.diff.{kind}", lang, section=name, n=len(codes),
                                      codes=", ".join(codes)))
            for code, fields in self.changed.get(section, {}).items():
                out.append(i18n.t("registry.diff.changed", lang, section=name, code=code,
                                  fields=", ".join(fields)))
        return out or [i18n.t("registry.diff.none", lang)]


@dataclass(frozen=True)
class Summary:
    county: str
    areas: int
    communities: int
    destinations: int
    facilities: int
    by_tier: dict[str, int]
    updated: bool = False  # the county was in the store already
    diff: Diff = field(default_factory=Diff)


def _values(section: str, row: dict[str, Any], ids: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A file row as the columns its table stores (parent_id is set in a second pass)."""
    base = {"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"]}
    if section == "area":
        return base | {"rural": bool(row.get("rural", row["code"] != "urban")),
                       "sparse": bool(row.get("sparse", row["code"] == "pastoral"))}
    if section == "community":
        return base
    point = {"latitude": float(row["latitude"]), "longitude": float(row["longitude"]), "retired_on": None}
    if section == "destination":
        return base | point
    return base | point | {
        "community_id": ids["community"][row["community"]], "area_id": ids["area"][row["area"]],
        "tier_code": row["tier"], "is_lead": bool(row.get("lead", False)),
        "is_sub_centre": bool(row.get("sub_centre", False)), "is_border_port": bool(row.get("border_port", False)),
        "coord_source": row["coord_source"], "population_served": int(row.get("population", 0)),
        "illustrative": bool(row.get("illustrative", False)), "role": row.get("role", "member"),
    }


def _stored(conn: Connection, model: Any, county_id: int) -> dict[str, dict[str, Any]]:
    table = model.__table__
    return {r["code"]: dict(r) for r in conn.execute(sa.select(table).where(table.c.county_id == county_id)).mappings()}


def _county_values(reg: Registry) -> dict[str, Any]:
    c = reg.county
    return {"code": str(c["code"]), "name_zh": c["name_zh"], "name_en": c["name_en"],
            "resident_population": c["resident_population"], "insured_residents": c["insured_residents"],
            "illustrative": bool(c.get("illustrative", False)), "source": c.get("source", ""),
            "boundary": _relative_to_data(reg.boundary), "settings": reg.settings.to_json()}


def _apply(conn: Connection, reg: Registry, county_id: int, today: dt.date) -> Diff:
    """Bring the county's rows to the file, section by section; what changed, for the reader."""
    diff = Diff({}, {}, {})
    ids: dict[str, dict[str, int]] = {}
    for section, model in _MODELS.items():
        stored = _stored(conn, model, county_id)
        ids[section] = {code: row["id"] for code, row in stored.items()}
        new, changed = [], {}
        for row in reg.rows[section]:
            values = _values(section, row, ids) | {"county_id": county_id}
            old = stored.get(row["code"])
            if old is None:
                ids[section][row["code"]] = conn.execute(sa.insert(model).returning(model.id), values).scalar_one()
                new.append(row["code"])
                continue
            fields = [k for k, v in values.items() if old[k] != v]
            if fields:
                conn.execute(sa.update(model).where(model.id == old["id"]).values(values))
                changed[row["code"]] = fields
        listed = {r["code"] for r in reg.rows[section]}
        gone = [c for c, row in stored.items() if section in RETIRING and c not in listed and row["retired_on"] is None]
        if gone:  # a retired unit serves nobody now: its residents are the file's other units' (static counts)
            serves = {"population_served": 0} if model is Facility else {}
            conn.execute(sa.update(model).where(model.county_id == county_id, model.code.in_(gone))
                         .values(retired_on=today, **serves))
        diff.new[section], diff.changed[section], diff.retired[section] = new, changed, gone
    _link_parents(conn, reg, ids["facility"], diff)
    return diff


def _link_parents(conn: Connection, reg: Registry, ids: dict[str, int], diff: Diff) -> None:
    """Each village clinic's parent THC, once every unit of the file has its id."""
    current = dict(conn.execute(sa.select(Facility.id, Facility.parent_id).where(Facility.id.in_(ids.values()))).all())
    for row in reg.rows["facility"]:
        parent = ids.get(row.get("parent", ""))
        unit = ids[row["code"]]
        if current.get(unit) != parent:
            conn.execute(sa.update(Facility).where(Facility.id == unit).values(parent_id=parent))
            if row["code"] not in diff.new["facility"]:
                diff.changed["facility"].setdefault(row["code"], []).append("parent_id")


def load(conn: Connection, path: Path, lang: str = i18n.DEFAULT_LANG, today: dt.date | None = None) -> Summary:
    """Check the file, then write the county (or bring a loaded one to the file) in the caller's transaction."""
    reg = check(conn, path, lang)
    values = _county_values(reg)
    stored = conn.execute(sa.select(County.__table__).where(County.code == values["code"])).mappings().first()
    updated = stored is not None
    if stored is not None:
        county_id = stored["id"]
        conn.execute(sa.update(County).where(County.id == county_id).values(values))
    else:
        county_id = conn.execute(sa.insert(County).returning(County.id), values).scalar_one()
    diff = _apply(conn, reg, county_id, today or clock.today())
    county_fields = [k for k, v in values.items() if stored is not None and stored[k] != v]
    diff.changed["county"] = {values["code"]: county_fields} if county_fields else {}
    catalogue.sync_catalogue(conn)
    if reg.targets is not None:
        catalogue.load_targets(conn, county_id, reg.targets)
    return Summary(
        county=values["code"], areas=len(reg.rows["area"]), communities=len(reg.rows["community"]),
        destinations=len(reg.rows["destination"]), facilities=len(reg.rows["facility"]),
        by_tier=dict(Counter(r["tier"] for r in reg.rows["facility"])), updated=updated, diff=diff,
    )


def _relative_to_data(path: Path) -> str:
    return str(path.relative_to(DATA)) if path.is_relative_to(DATA) else str(path)


def boundary_path(conn: Connection, county: str | None = None) -> Path:
    """The boundary file of the county with code ``county`` (None: the store's first county), for maps."""
    query = sa.select(County.boundary).order_by(County.id).limit(1)
    if county is not None:
        query = query.where(County.code == county)
    return DATA / conn.execute(query).scalar_one()


def _sqlite_file(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    return Path(parsed.database) if parsed.drivername.startswith("sqlite") and parsed.database else None


def _forget_new_store(url: str, file: Path) -> None:
    """A store file this failed load created is removed, with its journal files."""
    db.engine(url).dispose()
    for part in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        part.unlink(missing_ok=True)


def _run(url: str, path: Path, lang: str, dry_run: bool) -> Summary:
    with db.engine(url).connect() as conn, conn.begin() as tx:
        summary = load(conn, path, lang)
        if dry_run:
            tx.rollback()
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.registry", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    load_cmd = sub.add_parser("load", help="check a registry file and load it (or update the loaded county)")
    load_cmd.add_argument("file", type=Path)
    load_cmd.add_argument("--check", action="store_true", help="show the difference, write nothing")
    load_cmd.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    load_cmd.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    args = parser.parse_args(argv)
    url = db.resolve_url(args.db)
    file = _sqlite_file(url)
    new_store = file is not None and not file.exists()
    try:
        schema.upgrade(url)
        summary = _run(url, args.file, args.lang, args.check)
    except RegistryError as exc:
        if new_store and file is not None:
            _forget_new_store(url, file)
        print(exc, file=sys.stderr)
        return 2
    if new_store and file is not None and args.check:
        _forget_new_store(url, file)
    key = "registry.checked" if args.check else ("registry.updated" if summary.updated else "registry.loaded")
    with db.engine(url).connect() as conn:  # the tiers by name, in the reader's language
        names = dict(conn.execute(sa.select(Tier.code, Tier.name_zh if args.lang == "zh" else Tier.name_en)).all())
    print(i18n.t(key, args.lang, county=summary.county, n=summary.facilities, areas=summary.areas,
                 communities=summary.communities, destinations=summary.destinations,
                 tiers=", ".join(f"{names.get(k, k)} {v}" for k, v in sorted(summary.by_tier.items()))))
    if summary.updated or args.check:
        print("\n".join("  " + line for line in summary.diff.lines(args.lang)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
