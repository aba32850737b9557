"""python -m lib.demo [--county CODE] [--months N] [--scale N] [--seed S] [--db URL]: migrate, load the
reference registry into an empty store, generate the demo of a county from its registry alone.

python -m lib.demo outbreak --facility CODE --syndrome CODE --cases N [--days D]: inject a cluster
(lib.demo.outbreak) to watch an early-warning signal fire.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from lib import i18n
from lib.demo.build import DemoRefusedError, generate
from lib.demo.world import MONTHS
from lib.store import db, schema


def outbreak(argv: Sequence[str]) -> int:
    from lib.demo.outbreak import inject
    from lib.ingest.problems import Refused

    parser = argparse.ArgumentParser(prog="python -m lib.demo outbreak", description="Inject a cluster of cases.")
    parser.add_argument("--facility", required=True, help="the unit's code (a THC or village clinic)")
    parser.add_argument("--syndrome", required=True, help="a syndrome code of data/alerts.toml (fever_resp ...)")
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--days", type=int, default=3, help="spread over the last D days (default 3)")
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    args = parser.parse_args(argv)
    try:
        added = inject(db.resolve_url(args.db), args.facility, args.syndrome, args.cases, args.days)
    except Refused as refused:
        print("\n".join(refused.lines("en")), file=sys.stderr)
        return 1
    print(f"{added} {args.syndrome} visits added at {args.facility} over the last {args.days} days")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["outbreak"]:
        return outbreak(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m lib.demo",
                                     description="Fill an empty cockpit store with 37 months of demo data.")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply event volumes (1: ~40k visits a month)")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed (same seed, same data)")
    parser.add_argument("--county", help="a loaded county's code (default: the store's first county, or the "
                                          "reference county loaded into an empty store)")
    parser.add_argument("--months", type=int, default=MONTHS,
                        help=f"make the events of the last N months (1-{MONTHS}, default all)")
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    args = parser.parse_args(argv)
    url = db.resolve_url(args.db)
    started = time.perf_counter()
    schema.upgrade(url)

    def progress(fraction: float, key: str, /, **fields: object) -> None:
        print(f"[{fraction:4.0%}] {time.perf_counter() - started:6.1f}s  {i18n.t(key, 'en', **fields)}", flush=True)

    try:
        rows = generate(db.engine(url), scale=args.scale, seed=args.seed, progress=progress, county=args.county,
                        months=args.months)
    except DemoRefusedError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    width = max(map(len, rows))
    for table, count in sorted(rows.items()):
        print(f"  {table:<{width}}  {count:>10,}")
    print(f"  {'total':<{width}}  {sum(rows.values()):>10,} rows in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
