"""The outbox: every message owed to a channel is a row until the endpoint takes it.

A signal is queued once per channel (a unique key), so a second check never sends it again; a message
that fails waits ``retry_minutes`` (growing) before the next try, so an endpoint that is down gets each
message exactly once when it comes back; quiet hours hold messages back; no channel gets more than its
robot's limit a minute. Each message is marked sent in the transaction that sends it: nothing is lost,
and only a crash between the endpoint's answer and the commit could send one twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lib import i18n
from lib.alerts import robots
from lib.alerts.config import Settings
from lib.alerts.rules import Breach
from lib.store import counties
from lib.store.models import AlertOutbox, AlertSignal, Area, County, Facility

LANG = "zh"  # the county's groups read Chinese


def message(conn: Connection, signal_id: int, settings: Settings) -> tuple[robots.Message, str]:
    """The signal as the group reads it (the township named, the syndrome, count against threshold, a link),
    and the code of the county it was raised in."""
    s, f, a, c = AlertSignal, Facility, Area, County
    row = conn.execute(sa.select(s, f.name_zh, f.code, a.code.label("area"), c.code.label("county"))
                       .join(f, f.id == s.facility_id).join(a, a.id == f.area_id).join(c, c.id == f.county_id)
                       .where(s.id == signal_id)).one()
    syndrome = settings.syndrome(row.syndrome)
    method = i18n.t(f"alerts.method.{row.method}", LANG)
    lines = (i18n.t("alerts.message.count", LANG, syndrome=syndrome.name(LANG), count=i18n.fmt_number(row.count, LANG),
                    threshold=i18n.fmt_number(row.threshold, LANG, 1), method=method),
             i18n.t("alerts.message.expected", LANG, expected=i18n.fmt_number(row.expected, LANG, 1),
                    day=i18n.fmt_datetime(row.day, LANG)),
             i18n.t("alerts.message.respond", LANG))
    link = link_to(conn, settings, f"map?area={row.area}", row.county)
    return robots.Message(i18n.t("alerts.message.title", LANG, place=row.name_zh), lines, link), row.county


def breach_message(conn: Connection, breach: Breach, settings: Settings) -> robots.Message:
    """A broken rule as the group reads it: the county and the rule's name, what broke, a link to the
    county's overview."""
    return robots.Message(i18n.t("alerts.rule.title", LANG, county=breach.county.name(LANG), rule=breach.rule.name),
                          breach.lines[LANG], link_to(conn, settings, "", breach.county.code))


def link_to(conn: Connection, settings: Settings, view: str, county: str) -> str:
    """The app's address of ``view`` (``page?query``) for ``county``: the county named in the query once the
    store holds several (a lone county's links stay as they always were); "" without a ``link_base``."""
    if not settings.link_base:
        return ""
    if len(counties.listed(conn)) > 1:
        view += ("&" if "?" in view else "?") + f"{counties.PARAM}={county}"
    return f"{settings.link_base}/{view}"


def enqueue(conn: Connection, signal_ids: list[int], settings: Settings, now: dt.datetime) -> int:
    """Queue each signal for each channel; returns how many messages were queued."""
    return sum(queue(conn, f"signal:{i}", *message(conn, i, settings), settings, now) for i in signal_ids)


def queue(conn: Connection, topic: str, text: robots.Message, county: str, settings: Settings,
          now: dt.datetime) -> int:
    """Queue ``text`` about ``topic`` in ``county`` for every channel that takes that county's alerts and has
    not had it; returns how many were queued."""
    o = AlertOutbox
    had = set(conn.execute(sa.select(o.channel).where(o.topic == topic)).scalars())
    rows = [{"topic": topic, "channel": c.name, "title": text.title, "body": "\n".join(text.lines),
             "link": text.link, "created_at": now, "attempts": 0, "next_try_at": now, "last_error": ""}
            for c in settings.channels if c.name not in had and c.takes(county)]
    if rows:
        conn.execute(sa.insert(o), rows)
    return len(rows)


def deliver(engine: Engine, settings: Settings, now: dt.datetime,
            send: Callable[[robots.Channel, robots.Message], None] = robots.send) -> dict[str, int]:
    """Send what is due; returns counts of sent and failed messages."""
    done = {"sent": 0, "failed": 0}
    if settings.quiet_at(now):
        return done
    o = AlertOutbox
    for channel in settings.channels:
        with engine.connect() as conn:
            due = conn.execute(sa.select(o.id, o.title, o.body, o.link, o.attempts)
                               .where(o.channel == channel.name, o.sent_at.is_(None), o.next_try_at <= now)
                               .order_by(o.id).limit(settings.per_channel_per_minute)).all()
        for row in due:
            with engine.begin() as conn:
                try:
                    send(channel, robots.Message(row.title, tuple(row.body.split("\n")), row.link))
                except robots.SendError as err:
                    wait = settings.retry_minutes[min(row.attempts, len(settings.retry_minutes) - 1)]
                    conn.execute(sa.update(o).where(o.id == row.id).values(
                        attempts=row.attempts + 1, next_try_at=now + dt.timedelta(minutes=wait), last_error=str(err)))
                    done["failed"] += 1
                    break  # the endpoint is down: the rest of its queue waits for the next run
                conn.execute(sa.update(o).where(o.id == row.id).values(sent_at=now, attempts=row.attempts + 1))
                done["sent"] += 1
    return done
