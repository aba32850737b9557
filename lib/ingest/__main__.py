"""Command line: templates, monthly report files (and, later, event files and a drop folder).

    python -m lib.ingest template KIND --out FILE [--lang zh|en] [--month YYYY-MM] [--db URL]
    python -m lib.ingest monthly FILE --month YYYY-MM [--by NAME] [--lang zh|en] [--db URL]

A refused file prints every problem (file, sheet, row, column, value, why) and exits 1; nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from lib import clock, i18n
from lib.ingest import kinds, monthly, table, templates
from lib.ingest.problems import Refused
from lib.ingest.values import BadValue
from lib.ingest.values import month as parse_month
from lib.kpi.period import add_months, first_of_month
from lib.store import bootstrap, db


def _month(text: str) -> dt.date:
    try:
        return parse_month(text)
    except BadValue:
        msg = f"not a month: {text!r} (YYYY-MM)"
        raise argparse.ArgumentTypeError(msg) from None


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="store URL (default: COCKPIT_DB_URL or data/cockpit.db)")
    common.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    common.add_argument("--county", help="county code, when the store holds several")
    parser = argparse.ArgumentParser(prog="python -m lib.ingest", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    template = sub.add_parser("template", parents=[common], help="write a report template")
    template.add_argument("kind", choices=[k.code for k in kinds.kinds()])
    template.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.csv")
    template.add_argument("--month", type=_month, help="the month it reports (default: last month)")
    template.add_argument("--encoding", choices=tuple(templates.CSV_ENCODINGS), default="utf-8")
    report = sub.add_parser("monthly", parents=[common], help="check and load a monthly report file")
    report.add_argument("file", type=Path)
    report.add_argument("--month", type=_month, required=True)
    report.add_argument("--by", default=getpass.getuser(), help="who sends it (the audit names them)")
    report.add_argument("--check", action="store_true", help="check only, write nothing")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = db.resolve_url(args.db)
    bootstrap.bring_current(url)
    with db.engine(url).connect() as conn:
        _, county, units = monthly.county_units(conn, args.county)
    if args.command == "template":
        month = args.month or add_months(first_of_month(clock.today()), -1)
        fmt = args.out.suffix.lstrip(".").lower()
        if fmt not in templates.FORMATS:
            print(i18n.t("ingest.cli.format", args.lang, formats=", ".join(templates.FORMATS)), file=sys.stderr)
            return 2
        ours = units[units["county"] == county]
        args.out.write_bytes(templates.build(kinds.by_code(args.kind), ours, month, args.lang, fmt, args.encoding))
        print(i18n.t("ingest.cli.template", args.lang, file=args.out))
        return 0
    return _monthly(args, url, county, units)


def _monthly(args: argparse.Namespace, url: str, county: str, units: object) -> int:
    lang = args.lang
    try:
        table.check_size(args.file.name, args.file.stat().st_size)
        content = args.file.read_bytes()
        plan = monthly.check(table.read(args.file.name, content), content, args.month, units, county, clock.today())
    except Refused as refused:
        print(i18n.t("ingest.refused", lang, file=args.file.name, n=len(refused.problems) + refused.more),
              file=sys.stderr)
        for line in refused.lines(lang):
            print("  " + line, file=sys.stderr)
        return 1
    if args.check:
        print(i18n.t("ingest.checked", lang, file=args.file.name, n=len(plan.values)))
        return 0
    with db.engine(url).begin() as conn:
        outcome = monthly.apply(conn, plan, by=args.by, channel="cli", now=clock.now())
    print(i18n.t("ingest.accepted", lang, file=args.file.name, month=plan.month.strftime("%Y-%m"),
                 inserted=outcome.inserted, updated=outcome.updated, unchanged=outcome.unchanged))
    if outcome.published:
        print(i18n.t("ingest.published_month", lang, month=plan.month.strftime("%Y-%m")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
