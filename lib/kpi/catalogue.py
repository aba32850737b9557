"""The indicator catalogue and a county's targets, from data files into the store.

Built-in indicators and a county's own go through the same door: ``sync_catalogue`` upserts every
indicator of a catalogue file; ``load_targets`` replaces a county's targets from its targets file
(the registry loader calls both, so one command sets a county up).

    python -m lib.catalogue sync [--targets FILE --county CODE] [--db URL] [--as NAME]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.problems import InputError
from lib.store import db
from lib.store.models import County, Indicator, IndicatorTarget, Tier

CATALOGUE = db.ROOT / "data" / "kpi" / "catalogue.toml"
UNITS = ("pct", "ratio", "count", "per_10k", "per_1k", "level", "score", "money")
DIRECTIONS = ("up", "down", "band", "on_track", "none")
SCOPES = ("county", "community", "area", "facility")
# Whom an indicator counts at a scope (issue #11 item 7): the scope's residents by home unit, wherever they
# were treated ("an area is its residents"), or what the units located in the scope did, for whoever came.
BASES = ("resident", "provider")
KINDS = ("fixed", "baseline_delta", "elapsed_share")


class CatalogueError(InputError):
    """A catalogue or targets file that cannot be loaded."""


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(path, [f"cannot read: {exc}"]) from exc


def check_catalogue(rows: list[dict[str, Any]], tiers: set[str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        name = f"[[indicator]] #{i + 1} ({row.get('code')!r})"
        for key in ("code", "section", "name_zh", "name_en", "numerator_zh", "numerator_en", "unit", "direction",
                    "basis", "scopes", "source"):
            if not row.get(key):
                problems.append(f"{name}: missing {key}")
        if row.get("code") in seen:
            problems.append(f"{name}: duplicate code")
        seen.add(row.get("code", ""))
        if row.get("unit") not in UNITS:
            problems.append(f"{name}: unit must be one of {', '.join(UNITS)}")
        if row.get("direction") not in DIRECTIONS:
            problems.append(f"{name}: direction must be one of {', '.join(DIRECTIONS)}")
        if row.get("basis") and row["basis"] not in BASES:
            problems.append(f"{name}: basis must be one of {', '.join(BASES)}")
        if set(row.get("scopes", [])) - set(SCOPES):
            problems.append(f"{name}: scopes must be among {', '.join(SCOPES)}")
        if set(row.get("tiers", [])) - tiers:
            problems.append(f"{name}: unknown tier(s) {sorted(set(row['tiers']) - tiers)}")
    return problems


def check_targets(rows: list[dict[str, Any]], indicators: set[str], tiers: set[str]) -> list[str]:
    problems = []
    for i, row in enumerate(rows):
        name = f"[[target]] #{i + 1} ({row.get('indicator')!r})"
        kind = row.get("kind", "fixed")
        if row.get("indicator") not in indicators:
            problems.append(f"{name}: unknown indicator")
        if kind not in KINDS:
            problems.append(f"{name}: kind must be one of {', '.join(KINDS)}")
        if kind == "fixed" and not isinstance(row.get("value"), int | float):
            problems.append(f"{name}: a fixed target needs a numeric value")
        if kind == "baseline_delta" and not (isinstance(row.get("baseline_year"), int) and "delta" in row):
            problems.append(f"{name}: a baseline_delta target needs baseline_year and delta")
        if not row.get("years") or not all(isinstance(y, int) for y in row["years"]):
            problems.append(f"{name}: years must be a list of years")
        if row.get("tier") and row["tier"] not in tiers:
            problems.append(f"{name}: unknown tier {row['tier']!r}")
        if not row.get("source"):
            problems.append(f"{name}: missing source (cite the clause, or say 'local setting')")
    return problems


def sync_catalogue(conn: Connection, path: Path = CATALOGUE) -> int:
    """Insert or update every indicator of the catalogue file; returns how many. A row already as the file
    says is left alone: every start syncs, and a write would tell the engines the catalogue changed."""
    rows = _read(path).get("indicator", [])
    tiers = set(conn.execute(sa.select(Tier.code)).scalars())
    problems = check_catalogue(rows, tiers)
    if problems:
        raise CatalogueError(path, problems)
    existing = {r.code: r._mapping for r in conn.execute(sa.select(Indicator))}
    for row in rows:
        values = {
            "section": row["section"], "name_zh": row["name_zh"], "name_en": row["name_en"],
            "numerator_zh": row["numerator_zh"], "numerator_en": row["numerator_en"],
            "denominator_zh": row.get("denominator_zh", ""), "denominator_en": row.get("denominator_en", ""),
            "unit": row["unit"], "direction": row["direction"], "basis": row["basis"],
            "scopes": ",".join(row["scopes"]), "tiers": ",".join(row.get("tiers", [])), "source": row["source"],
        }
        stored = existing.get(row["code"])
        if stored is not None and all(stored[k] == v for k, v in values.items()):
            continue
        if stored is not None:
            conn.execute(sa.update(Indicator).where(Indicator.code == row["code"]).values(**values))
        else:
            conn.execute(sa.insert(Indicator).values(code=row["code"], **values))
    return len(rows)


def read(conn: Connection, codes: Sequence[str] | None = None) -> pd.DataFrame:
    """The indicator catalogue as stored, indexed by code in catalogue order (the one reader of it).

    ``scopes`` and ``tiers`` come back as tuples, so no caller splits the stored text again.
    """
    query = sa.select(Indicator).order_by(Indicator.section, Indicator.code)
    if codes is not None:
        query = query.where(Indicator.code.in_(list(codes)))
    frame = db.read_frame(conn, query).set_index("code")
    for column in ("scopes", "tiers"):
        frame[column] = [tuple(x for x in str(v or "").split(",") if x) for v in frame[column]]
    return frame


def read_targets(conn: Connection, path: Path) -> list[dict[str, Any]]:
    """Parse and check a targets file against the store's catalogue (raise CatalogueError)."""
    rows = _read(path).get("target", [])
    indicators = set(conn.execute(sa.select(Indicator.code)).scalars())
    if not indicators:
        indicators = {r.get("code") for r in _read(CATALOGUE).get("indicator", [])}
    problems = check_targets(rows, indicators, set(conn.execute(sa.select(Tier.code)).scalars()))
    if problems:
        raise CatalogueError(path, problems)
    return rows


def load_targets(conn: Connection, county_id: int, path: Path, *, by: str = "loader") -> int:
    """Replace the county's targets with those of the file; returns rows written."""
    rows = read_targets(conn, path)
    conn.execute(sa.delete(IndicatorTarget).where(IndicatorTarget.county_id == county_id))
    written = 0
    for row in rows:
        for year in row["years"]:
            kind = row.get("kind", "fixed")
            conn.execute(sa.insert(IndicatorTarget).values(
                county_id=county_id, indicator_code=row["indicator"], year=year,
                tier=row.get("tier", ""), peer_group=row.get("peer_group", ""), kind=kind,
                value=row.get("delta") if kind == "baseline_delta" else row.get("value"),
                upper=row.get("upper"), baseline_year=row.get("baseline_year"),
                annual=bool(row.get("annual", False)), deadline=row.get("deadline"),
                source=row["source"], updated_at=clock.now(), updated_by=by,
            ))
            written += 1
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.catalogue", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["sync"])
    parser.add_argument("--targets", type=Path, help="a county's targets file to load (replaces its targets)")
    parser.add_argument("--county", help="the county code the targets belong to")
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    parser.add_argument("--as", dest="as_name", help="act for this user (lib.access): replacing targets is refused "
                                                     "(exit 3) unless the user's role publishes")
    args = parser.parse_args(argv)
    from lib.access import cli  # here: lib.access reads the registry through lib.kpi, which imports this module

    if args.targets and (refused := cli.unless_publisher(args.db, args.as_name, "change targets")) is not None:
        return refused
    try:
        with db.engine(db.resolve_url(args.db)).begin() as conn:
            print(f"{sync_catalogue(conn)} indicators in the catalogue")
            if args.targets:
                county_id = conn.execute(sa.select(County.id).where(County.code == args.county)).scalar_one_or_none()
                if county_id is None:
                    print(f"county {args.county!r} is not loaded", file=sys.stderr)
                    return 2
                print(f"{load_targets(conn, county_id, args.targets)} target rows for county {args.county}")
    except CatalogueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
