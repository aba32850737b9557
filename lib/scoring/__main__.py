"""The monthly assessment from the command line.

    python -m lib.scoring show --month YYYY-MM [--published [--version N]] [--json] [--county CODE] [--db URL]
                               [--as NAME]
    python -m lib.scoring publish --month YYYY-MM [--by NAME] [--note TEXT] [--county CODE] [--db URL] [--as NAME]
    python -m lib.scoring weights show | history | load FILE --by NAME [--note TEXT] [--db URL] [--as NAME]

``--county CODE`` picks a county of a store that holds several (default: the store's first).
``--as NAME`` acts for that user (lib.access.cli): ``show`` lists only the units the user sees; ``publish``
and ``weights load`` are refused (exit 3) unless the user's role publishes (the operations centre).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lib.access import OPEN, AccessError, Viewer, cli
from lib.kpi.period import Period
from lib.scoring import score, snapshot, tables, weights
from lib.scoring.score import Scores
from lib.store import counties, db, schema


def _month(text: str) -> dt.date:
    return Period.month(text).end


def _json(scores: Scores) -> str:
    def rows(frame: pd.DataFrame) -> list[dict]:
        return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))

    meta = {"month": f"{scores.month:%Y-%m}", "weights_version": scores.weights.version,
            "published": None if scores.published is None else {
                "version": scores.published.version, "published_at": scores.published.published_at.isoformat(),
                "published_by": scores.published.published_by,
                "data_as_of": None if scores.data_as_of is None else scores.data_as_of.isoformat()},
            "computed_at": scores.computed_at.isoformat()}
    units = scores.units.assign(rank_change=score.rank_change(scores.units),
                                trend=scores.units["trend"].map(json.loads))
    return json.dumps({**meta, "units": rows(units), "items": rows(scores.items)}, ensure_ascii=False, indent=1)


def _print(scores: Scores) -> None:
    p = scores.published
    head = "draft (not published)" if p is None else \
        f"published v{p.version} by {p.published_by} at {p.published_at:%Y-%m-%d %H:%M}"
    w = scores.weights.version
    print(f"{scores.county_zh} {scores.month:%Y-%m}: {head}; weights {'default file' if w is None else f'v{w}'}; "
          f"reports as of {scores.data_as_of or '—'}")
    for group in scores.groups:
        frame = tables.league(scores, group, "zh")
        print(f"\n== {group} ({len(frame)}) ==")
        print(frame.drop(columns=["coverage"]).to_string(index=False, na_rep="—"))


def _show(args: argparse.Namespace, viewer: Viewer) -> int:
    month = _month(args.month)
    try:
        with db.engine(db.resolve_url(args.db)).connect() as conn:
            scores = snapshot.load(conn, month, args.version, county=args.county) if args.published else \
                score.draft(conn, month, county=args.county)
    except (weights.WeightsError, counties.UnknownCountyError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if scores is not None:
        scores = scores.seen_by(viewer)
    if scores is None:
        print(f"{month:%Y-%m} has no published version" + (f" {args.version}" if args.version else ""),
              file=sys.stderr)
        return 1
    if args.json:
        print(_json(scores))
    else:
        _print(scores)
    return 0


def _by(args: argparse.Namespace, viewer: Viewer) -> str:
    """Who the record names: the user acted for (``--as``), else ``--by``."""
    return args.by if viewer is OPEN else viewer.name


def _publish(args: argparse.Namespace, viewer: Viewer) -> int:
    if not viewer.may_publish:
        return cli.refuse(f"{viewer.name} ({viewer.role}) may not publish scores")
    try:
        with db.engine(db.resolve_url(args.db)).begin() as conn:
            outcome = snapshot.publish(conn, _month(args.month), by=_by(args, viewer), county=args.county,
                                       note=args.note)
    except (snapshot.PublishError, weights.WeightsError, counties.UnknownCountyError) as exc:
        print(exc, file=sys.stderr)
        return 2
    what = "published as version" if outcome.created else "unchanged since version"
    print(f"{args.month}: {what} {outcome.version}")
    return 0


def _weights(args: argparse.Namespace, viewer: Viewer) -> int:
    url = db.resolve_url(args.db)
    if args.action == "load" and not viewer.may_publish:
        return cli.refuse(f"{viewer.name} ({viewer.role}) may not change the weights")
    try:
        if args.action == "load":
            with db.engine(url).begin() as conn:
                stored = weights.store(conn, weights.read_file(args.file), by=_by(args, viewer), note=args.note)
            print(f"weights version {stored.version} stored by {stored.created_by}")
            return 0
        with db.engine(url).connect() as conn:
            if args.action == "history":
                for row in weights.history(conn):
                    print(f"v{row['id']}  {row['created_at']:%Y-%m-%d %H:%M}  {row['created_by']}  {row['note']}")
                return 0
            current = weights.current(conn)
            directions = weights.directions(conn)
    except weights.WeightsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"weights version {current.version or 'file (not stored yet)'}; min_coverage {current.min_coverage:g}; "
          f"min_dimensions {current.min_dimensions}")
    for rule in current.rules:
        print(f"{rule.peer_group:<16} {rule.dimension:<13} {rule.indicator:<28} {rule.weight:>5g}  "
              f"{rule.rule:<6} {weights.describe(rule, directions.get(rule.indicator, 'up')):<16} {rule.missing}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.scoring", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="a month's scores: the live draft, or a published version")
    show.add_argument("--month", required=True, help="YYYY-MM")
    show.add_argument("--published", action="store_true", help="the published version instead of the draft")
    show.add_argument("--version", type=int, help="with --published: this version (default: the latest)")
    show.add_argument("--json", action="store_true")
    publish = sub.add_parser("publish", help="freeze a month as its next published version")
    publish.add_argument("--month", required=True, help="YYYY-MM (a month that is over)")
    publish.add_argument("--by", default=getpass.getuser(), help="who publishes (default: the login name)")
    publish.add_argument("--note", default="")
    w = sub.add_parser("weights", help="the assessment's weights: show the current version, its history, "
                                       "or load a file as a new version")
    w.add_argument("action", choices=["show", "history", "load"])
    w.add_argument("file", nargs="?", type=Path, default=weights.DEFAULT_FILE)
    w.add_argument("--by", default=getpass.getuser())
    w.add_argument("--note", default="")
    parser.add_argument("--as", dest="as_name", help="act for this user of the cockpit (lib.access): their scope "
                                                     "and their role's rights")
    for p in (show, publish):
        p.add_argument("--county", help="the county's administrative code (default: the store's first county)")
    for p in (show, publish, w):
        p.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        p.add_argument("--as", dest="as_name", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    schema.upgrade(args.db)  # a store from before the assessment tables (migration 0003) gets them first
    try:
        viewer = OPEN if args.as_name is None else cli.viewer_as(args.db, args.as_name)
    except AccessError as exc:
        return cli.refuse(str(exc))
    if args.command in ("show", "publish"):
        args.county = args.county or viewer.county  # a user confined to a county acts on it by default
        if (refused := cli.unless_county(args.db, viewer, args.county)) is not None:
            return refused
    return {"show": _show, "publish": _publish, "weights": _weights}[args.command](args, viewer)


if __name__ == "__main__":
    sys.exit(main())
