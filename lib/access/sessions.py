"""A signed-in session's clock: it ends ``settings.session`` after sign-in or ``settings.idle`` after the
last page run, whichever comes first. The app keeps one per browser session; nothing here is Streamlit's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from lib.access.settings import Settings


@dataclass(frozen=True)
class Session:
    name: str  # the user's name (re-read from the store on every run: a disabled user is out at once)
    started: dt.datetime
    last_seen: dt.datetime
    via: str = "password"  # password | oidc

    def expired(self, now: dt.datetime, settings: Settings) -> bool:
        return now - self.started > settings.session or now - self.last_seen > settings.idle

    def touched(self, now: dt.datetime) -> Session:
        return replace(self, last_seen=now)


def start(name: str, now: dt.datetime, via: str = "password") -> Session:
    return Session(name, now, now, via)
