"""Users and kiosk tokens from the command line (see lib/access/__init__.py for the commands)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from lib import clock
from lib.access import accounts, tokens
from lib.store import db, schema

PAGES = tuple(sorted(p.stem for p in (db.ROOT / "pages").glob("*.py")))


LISTS = {"user": accounts.listed, "token": tokens.listed}


def _user(args: argparse.Namespace, url: str) -> None:
    with db.engine(url).begin() as conn:
        if args.action == "add":
            password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
            accounts.add(conn, args.name, args.role, password, area=args.area, unit=args.unit, county=args.county,
                         by=args.by, now=clock.now())
        elif args.action == "password":
            accounts.change(conn, args.name, password=sys.stdin.readline().rstrip("\r\n"), by=args.by,
                            now=clock.now())
        else:
            accounts.change(conn, args.name, active=args.action == "enable", by=args.by, now=clock.now())
    print(f"user {args.name}: {args.action} done")


def _token(args: argparse.Namespace, url: str) -> None:
    with db.engine(url).begin() as conn:
        if args.action == "revoke":
            tokens.revoke(conn, args.label, by=args.by, now=clock.now())
            print(f"token {args.label}: revoked")
            return
        token = tokens.add(conn, args.label, args.view, area=args.area, county=args.county, by=args.by,
                           now=clock.now(), pages=PAGES)
    print(f"token {args.label} (shown once, keep it with the screen): {token}")
    print(f"open: /{args.view.split('?')[0]}?kiosk=1&token={token}")


def _run(args: argparse.Namespace) -> int:
    """List, or make one change to a user or a token (each change and its audit row in one transaction)."""
    url = db.resolve_url(args.db)
    if args.action == "list":
        with db.engine(url).connect() as conn:
            print(LISTS[args.command](conn).to_string(index=False, na_rep="—"))
        return 0
    subject = args.name if args.command == "user" else args.label
    if not subject:
        print(f"{args.command} {args.action} needs a {'NAME' if args.command == 'user' else 'LABEL'}",
              file=sys.stderr)
        return 2
    {"user": _user, "token": _token}[args.command](args, url)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.access", description=sys.modules["lib.access"].__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    parser.add_argument("--by", default=getpass.getuser(), help="who makes the change (the audit's 'by')")
    sub = parser.add_subparsers(dest="command", required=True)
    user = sub.add_parser("user", help="add, list, disable or enable users; set a password")
    user.add_argument("action", choices=["add", "list", "disable", "enable", "password"])
    user.add_argument("name", nargs="?")
    user.add_argument("--role")
    user.add_argument("--area")
    user.add_argument("--unit")
    user.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin"
                      " (without it the user signs in through the identity provider only)")
    token = sub.add_parser("token", help="add, list or revoke kiosk tokens")
    token.add_argument("action", choices=["add", "list", "revoke"])
    token.add_argument("label", nargs="?")
    token.add_argument("--view", default="overview", help="the page (and query) the screen opens, e.g. map?area=X")
    token.add_argument("--area", help="show only this area's units at unit level")
    for p in (user, token):
        p.add_argument("--county", help="confine to this county (its code); an area or unit is this county's. "
                                        "Required for --area/--unit once the store holds several counties")
        p.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        p.add_argument("--by", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "user" and args.action == "add" and not args.role:
        parser.error("user add needs --role")
    schema.upgrade(args.db)  # a store from before migration 0014 gets the access tables first
    try:
        return _run(args)
    except accounts.AccountError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
