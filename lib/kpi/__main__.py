"""Any indicator for any scope and period from the command line (lib.kpi.engine computes them).

    python -m lib.kpi show --period YYYY-MM [--ytd | --r12 | --today] [--area CODE | --community CODE |
                           --facility CODE] [--county CODE] [--json] [--db URL] [--as NAME]

``--county`` picks a county of a store that holds several (default: the store's first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict

from lib.access import cli
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import counties, db


def _scope_from_args(args: argparse.Namespace) -> Scope:
    for kind in ("area", "community", "facility"):
        if getattr(args, kind):
            return Scope(kind, (getattr(args, kind),))
    return Scope()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.kpi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print indicators for a scope and period")
    show.add_argument("--period", required=True, help="YYYY-MM (the month, or the end of the period)")
    kinds = show.add_mutually_exclusive_group()
    kinds.add_argument("--ytd", action="store_true", help="year to date, to the end of that month")
    kinds.add_argument("--r12", action="store_true", help="rolling 12 months to the end of that month")
    kinds.add_argument("--today", action="store_true", help="one day: --period YYYY-MM-DD")
    where = show.add_mutually_exclusive_group()
    where.add_argument("--area")
    where.add_argument("--community")
    where.add_argument("--facility")
    show.add_argument("--county", help="the county's administrative code (default: the store's first county)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    show.add_argument("--as", dest="as_name", metavar="NAME",
                      help="act as this user: refused (exit 3) for a scope holding units the user does not see")
    args = parser.parse_args(argv)
    scope = _scope_from_args(args)
    if args.as_name is not None and (refused := cli.unless_sees(args.db, args.as_name, scope, args.county)) is not None:
        return refused
    if args.today:
        period = Period("today", dt.date.fromisoformat(args.period))
    else:
        period = Period("ytd" if args.ytd else "r12" if args.r12 else "month", Period.month(args.period[:7]).end)
    try:
        with db.engine(db.resolve_url(args.db)).connect() as conn:
            engine = Engine(conn, county=args.county)
            values = engine.compute(None, [scope], period)
            names = engine.catalogue["name_zh"]
    except counties.UnknownCountyError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([{**asdict(v), "scope": v.scope.label} for v in values], ensure_ascii=False, default=str,
                         indent=1))
        return 0
    print(f"{'code':<30} {'value':>12} {'numerator':>14} {'denominator':>14} {'target':>10} {'status':<7} "
          f"{'previous':>10} {'last year':>10}  name")
    for v in values:
        def f(x: float | None) -> str:
            return "—" if x is None else f"{x:.4f}" if abs(x) < 10 else f"{x:,.1f}"
        print(f"{v.code:<30} {f(v.value):>12} {f(v.numerator):>14} {f(v.denominator):>14} {f(v.target):>10} "
              f"{v.status or '—':<7} {f(v.previous):>10} {f(v.last_year):>10}  {names[v.code]}"
              + ("  [small denominator]" if v.small_denominator else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
