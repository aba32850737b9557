"""The monthly pack (issue #17 item 7): when a month's scores are published, its briefing (the meeting's
opening slide in plain sentences) and a link go to the configured groups, as DHIS2's push analysis does
by e-mail. The runner looks for published versions not yet sent, so publishing needs no hook.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import i18n
from lib.alerts import outbox, robots
from lib.alerts.config import Settings
from lib.scoring import narrative, snapshot
from lib.store.models import AlertOutbox, County, ScoreSnapshot

LOOK_BACK_DAYS = 40  # versions published since then are still news


def topic(month: dt.date, version: int, county: str) -> str:
    """The outbox topic of a county's published version: a pack is sent once per channel."""
    return f"pack:{county}:{month:%Y-%m}:v{version}"


def queue_new(conn: Connection, settings: Settings, now: dt.datetime, lang: str = outbox.LANG) -> int:
    """Queue every recently published version not yet sent to every channel; returns messages queued."""
    if not settings.channels:
        return 0
    s = ScoreSnapshot
    recent = conn.execute(sa.select(s.month, s.version, County.code).join(County, County.id == s.county_id)
                          .where(s.published_at >= now - dt.timedelta(days=LOOK_BACK_DAYS))
                          .order_by(County.id, s.month, s.version)).all()
    queued = 0
    for month, version, code in recent:
        month = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month))
        key = topic(month, version, code)
        sent_to = set(conn.execute(sa.select(AlertOutbox.channel).where(AlertOutbox.topic == key)).scalars())
        if {c.name for c in settings.channels if c.takes(code)} <= sent_to:
            continue
        scores = snapshot.load(conn, month, version, county=code)
        title = i18n.t("alerts.pack.title", lang, county=scores.county(lang), month=i18n.fmt_month(month, lang),
                       v=version)
        link = outbox.link_to(conn, settings, f"meeting?period={month:%Y-%m}", code)
        text = robots.Message(title, tuple(narrative.opening(scores, lang)), link)
        queued += outbox.queue(conn, key, text, code, settings, now)
    return queued
