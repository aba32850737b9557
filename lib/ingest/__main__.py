"""Command line: templates, monthly report files, event files and a drop folder.

    python -m lib.ingest template KIND --out FILE [--lang zh|en] [--month YYYY-MM] [--db URL]
    python -m lib.ingest monthly FILE --month YYYY-MM [--by NAME] [--check] [--lang zh|en] [--db URL]
    python -m lib.ingest events FILE.jsonl|FILE.csv|- [--by NAME] [--lang zh|en] [--db URL]
    python -m lib.ingest watch DIR [--once] [--settle SECONDS] [--lang zh|en] [--db URL]
    python -m lib.ingest schemas        # rewrite data/schemas/*.json from the store's models

A refused file prints every problem (file, sheet, row, column, value, why) and exits 1; nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lib import clock, i18n
from lib.ingest import events, kinds, monthly, table, templates
from lib.ingest.problems import Refused, refuse
from lib.ingest.values import BadValue
from lib.ingest.values import month as parse_month
from lib.ingest.watch import DropFolder
from lib.kpi.period import add_months, first_of_month
from lib.registry import settings as county_settings
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
    common.add_argument("--by", default=getpass.getuser(), help="who sends it (the audit names them)")
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
    report.add_argument("--check", action="store_true", help="check only, write nothing")
    sent = sub.add_parser("events", parents=[common], help="check and load an event file (JSON lines or CSV)")
    sent.add_argument("file", help="FILE.jsonl, FILE.csv, or - for standard input (JSON lines)")
    watch = sub.add_parser("watch", parents=[common], help="load files dropped in a folder")
    watch.add_argument("folder", type=Path)
    watch.add_argument("--settle", type=float, default=5.0, help="seconds a file must stay unchanged")
    watch.add_argument("--once", action="store_true", help="look twice, --settle apart, then stop")
    sub.add_parser("schemas", help="rewrite data/schemas/*.json")
    return parser


class Loader:
    """Loads files into one store on behalf of ``by``; each load returns its report lines or raises Refused."""

    def __init__(self, url: str, county: str | None, by: str, channel: str, lang: str) -> None:
        self.url, self.by, self.channel, self.lang = url, by, channel, lang
        with db.engine(url).connect() as conn:
            _, self.county, self.units = monthly.county_units(conn, county)
            self.settings = county_settings.read(conn, self.county)  # its words, its reporting day

    def template(self, kind: str, month: dt.date, fmt: str, encoding: str) -> bytes:
        ours: pd.DataFrame = self.units[self.units["county"] == self.county]
        return templates.build(kinds.by_code(kind), ours, month, self.lang, fmt, encoding,
                               self.settings.reporting_day)

    def monthly(self, name: str, content: bytes, month: dt.date | None, *, write: bool = True) -> list[str]:
        found = table.read(name, content)
        month = month or monthly.month_of(found)
        if month is None:
            raise refuse(name, "no_month")
        plan = monthly.check(found, content, month, self.units, self.county, clock.today())
        if not write:
            return [i18n.t("ingest.checked", self.lang, file=name, n=len(plan.values))]
        with db.engine(self.url).begin() as conn:
            outcome = monthly.apply(conn, plan, by=self.by, channel=self.channel, now=clock.now())
        lines = [i18n.t("ingest.accepted", self.lang, file=name, month=plan.month.strftime("%Y-%m"),
                        inserted=outcome.inserted, updated=outcome.updated, unchanged=outcome.unchanged)]
        if outcome.published:
            lines.append(i18n.t("ingest.published_month", self.lang, month=plan.month.strftime("%Y-%m")))
        return lines

    def events(self, name: str, content: bytes) -> list[str]:
        records = events.parse(name, content)
        with db.engine(self.url).begin() as conn:
            batch = events.check(conn, name, records)
            outcome = events.apply(conn, batch, sha256=monthly.digest(content), by=self.by, channel=self.channel,
                                   now=clock.now())
        return [i18n.t("ingest.events.accepted", self.lang, file=name, inserted=outcome.inserted,
                       updated=outcome.updated, unchanged=outcome.unchanged)]

    def path(self, path: Path, month: dt.date | None = None, *, write: bool = True) -> list[str]:
        """A file by its name: JSON lines are events, so is a CSV whose header starts with "event"."""
        table.check_size(path.name, path.stat().st_size)
        content = path.read_bytes()
        event_csv = content.lstrip(b"\xef\xbb\xbf").startswith(events.EVENT.encode() + b",")
        if path.suffix.lower() in (".jsonl", ".json") or event_csv:
            return self.events(path.name, content)
        return self.monthly(path.name, content, month, write=write)


def _report(lines: list[str], *, error: bool = False) -> None:
    out = sys.stderr if error else sys.stdout
    for i, line in enumerate(lines):
        print(("  " if i and error else "") + line, file=out)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schemas":
        for path in events.write_schemas():
            print(path)
        return 0
    url = db.resolve_url(args.db)
    bootstrap.bring_current(url)
    channel = "watch" if args.command == "watch" else "cli"
    loader = Loader(url, args.county, args.by, channel, args.lang)
    with i18n.speaking_for(loader.settings.all_words()):  # messages in the county's own words
        return _run(loader, args)


def _run(loader: Loader, args: argparse.Namespace) -> int:
    if args.command == "template":
        fmt = args.out.suffix.lstrip(".").lower()
        if fmt not in templates.FORMATS:
            print(i18n.t("ingest.cli.format", args.lang, formats=", ".join(templates.FORMATS)), file=sys.stderr)
            return 2
        month = args.month or add_months(first_of_month(clock.today()), -1)
        args.out.write_bytes(loader.template(args.kind, month, fmt, args.encoding))
        print(i18n.t("ingest.cli.template", args.lang, file=args.out))
        return 0
    if args.command == "watch":
        return _watch(loader, args)
    try:
        if args.command == "events" and args.file == "-":
            lines = loader.events("stdin", sys.stdin.buffer.read())
        elif args.command == "events":
            lines = loader.path(Path(args.file))
        else:
            lines = loader.path(args.file, args.month, write=not args.check)
    except Refused as refused:
        name = Path(args.file).name if args.file != "-" else "stdin"
        _report([i18n.t("ingest.refused", args.lang, file=name, n=len(refused.problems) + refused.more),
                 *refused.lines(args.lang)], error=True)
        return 1
    _report(lines)
    return 0


def _watch(loader: Loader, args: argparse.Namespace) -> int:
    folder = DropFolder(args.folder, loader.path, args.lang)
    print(i18n.t("ingest.watch.start", args.lang, folder=args.folder, settle=args.settle), flush=True)
    looks = 0
    while not args.once or looks < 2:
        for result in folder.look():
            _report(list(result.lines), error=not result.accepted)
        looks += 1
        if not args.once or looks < 2:
            time.sleep(args.settle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
