"""Early warning runner: judge today's counts, raise new signals, queue their messages and any newly
published month's pack, and send what is due.

    python -m lib.alerts check [--day YYYY-MM-DD] [--db URL] [--lang zh|en]   # once
    python -m lib.alerts run [--every SECONDS] [--db URL]                      # every minute, until stopped

Run it beside the app: a second process, or a systemd unit (README, "Early warning").
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence

from lib import clock, i18n
from lib.alerts import breaches, config, outbox, pack, robots, rules, syndromic
from lib.problems import InputError
from lib.store import bootstrap, db


def check(url: str, settings: config.Settings, day: dt.date | None = None) -> dict[str, object]:
    """One pass: judge ``day`` (today on the county's clock), raise, queue (signals, monthly packs), keep and
    queue the rules' breaches, deliver."""
    now = clock.now()
    day = day or now.date()
    engine = db.engine(url)
    with engine.begin() as conn:
        findings = syndromic.evaluate(conn, day, settings)
        raised = syndromic.raise_signals(conn, findings, settings, now)
        packs = pack.queue_new(conn, settings, now)
        broken = rules.evaluate(conn, settings.rules, now)
        breaches.record(conn, broken, now)
        queued = outbox.enqueue(conn, raised, settings, now) + packs + sum(
            outbox.queue(conn, b.topic, outbox.breach_message(conn, b, settings), b.county.code, settings, now)
            for b in broken)
    return {"day": day.isoformat(), "findings": len(findings), "raised": len(raised), "breaches": len(broken),
            "queued": queued, "packs": packs, **outbox.deliver(engine, settings, now)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.alerts", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("check", "run"))
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL or data/cockpit.db)")
    parser.add_argument("--day", type=dt.date.fromisoformat, help="judge this day instead of today")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between checks (run)")
    parser.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    args = parser.parse_args(argv)
    try:
        settings = config.load()
    except InputError as err:
        print(err, file=sys.stderr)
        return 2
    url = db.resolve_url(args.db)
    down = False
    while True:
        try:
            bootstrap.bring_current(url)
            print(i18n.t("alerts.cli.checked", args.lang, **check(url, settings, args.day)), flush=True)
            down = False
        except db.UNREACHABLE:
            if not down:  # once per outage, straight to the groups: the outbox lives in the store that is down
                say_unreachable(settings)
            down = True
            print(i18n.t("alerts.unreachable", args.lang), file=sys.stderr, flush=True)
            if args.command == "check":
                return 1
        if args.command == "check":
            return 0
        time.sleep(args.every)


def say_unreachable(settings: config.Settings) -> None:
    """Tell every channel the store cannot be reached (best effort: a failure here is only printed)."""
    text = robots.Message(i18n.t("alerts.unreachable.title", outbox.LANG),
                          (i18n.t("alerts.unreachable", outbox.LANG),), settings.link_base)
    for channel in settings.channels:
        try:
            robots.send(channel, text)
        except robots.SendError as err:
            print(err, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
