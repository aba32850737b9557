"""The early-warning settings file (data/alerts.toml, or the file COCKPIT_ALERTS_FILE names), checked."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lib.alerts.detect import MovingPercentile
from lib.alerts.robots import KINDS, Channel
from lib.alerts.rules import Rule, parse
from lib.problems import InputError
from lib.store.db import ROOT

DEFAULT_FILE = ROOT / "data" / "alerts.toml"


@dataclass(frozen=True)
class Syndrome:
    code: str
    name_zh: str
    name_en: str
    method: MovingPercentile

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Settings:
    link_base: str
    quiet: tuple[dt.time, dt.time] | None
    retry_minutes: tuple[int, ...]
    renotify_days: int
    per_channel_per_minute: int
    ears_method: str
    min_sigma: float
    syndromes: tuple[Syndrome, ...]
    channels: tuple[Channel, ...]
    rules: tuple[Rule, ...] = ()

    def syndrome(self, code: str) -> Syndrome:
        return next(s for s in self.syndromes if s.code == code)

    def quiet_at(self, now: dt.datetime) -> bool:
        """Inside the quiet hours (which may run past midnight)?"""
        if self.quiet is None:
            return False
        start, end = self.quiet
        t = now.time()
        return start <= t < end if start < end else t >= start or t < end


def path() -> Path:
    return Path(os.environ.get("COCKPIT_ALERTS_FILE") or DEFAULT_FILE)


def load(file: Path | None = None) -> Settings:
    """The settings, or InputError naming every problem (a channel's missing secret included)."""
    file = file or path()
    doc = tomllib.loads(file.read_text(encoding="utf-8"))
    problems: list[str] = []
    raw = doc.get("settings", {})
    quiet = raw.get("quiet_hours", [])
    try:
        hours = tuple(dt.time.fromisoformat(t) for t in quiet)
    except ValueError:
        problems.append(f"settings.quiet_hours: {quiet!r} is not two HH:MM times")
        hours = ()
    syndromes = []
    for i, s in enumerate(doc.get("syndrome", []), 1):
        try:
            syndromes.append(Syndrome(s["code"], s["name_zh"], s["name_en"],
                                      MovingPercentile(percentile=float(s.get("percentile", 0.8)),
                                                       min_count=int(s.get("min_count", 3)))))
        except KeyError as missing:
            problems.append(f"syndrome {i}: {missing} is missing")
    channels = []
    for i, c in enumerate(doc.get("channel", []), 1):
        name, kind = c.get("name", f"channel {i}"), c.get("kind", "")
        url = c.get("url") or os.environ.get(c.get("url_env", ""), "")
        if kind not in KINDS:
            problems.append(f"channel {name!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if not url:
            problems.append(f"channel {name!r}: no url (set url, or the variable {c.get('url_env', 'url_env')})")
        secret = os.environ.get(c["secret_env"], "") if c.get("secret_env") else ""
        if c.get("secret_env") and not secret:
            problems.append(f"channel {name!r}: the variable {c['secret_env']} holding its secret is not set")
        counties = c.get("counties", [])
        if not (isinstance(counties, list) and all(isinstance(x, str) for x in counties)):
            problems.append(f"channel {name!r}: counties {counties!r} is not a list of county codes")
            counties = []
        channels.append(Channel(name, kind, url, secret, tuple(counties)))
    try:
        rules = parse(doc.get("rule", []), str(file))
    except InputError as bad:
        problems += bad.problems
        rules = ()
    if problems:
        raise InputError(file, problems)
    return Settings(link_base=raw.get("link_base", "").rstrip("/"), quiet=hours if len(hours) == 2 else None,
                    retry_minutes=tuple(raw.get("retry_minutes", [1, 5, 15, 60])),
                    renotify_days=int(raw.get("renotify_days", 3)),
                    per_channel_per_minute=int(raw.get("per_channel_per_minute", 20)),
                    ears_method=raw.get("ears_method", "C2"), min_sigma=float(raw.get("min_sigma", 0.5)),
                    syndromes=tuple(syndromes), channels=tuple(channels), rules=rules)


def syndrome_names(lang: str, file: Path | None = None) -> dict[str, str]:
    """Syndrome code → name in ``lang``, read without the channels (a page needs no robot secrets)."""
    doc = tomllib.loads((file or path()).read_text(encoding="utf-8"))
    return {s["code"]: s["name_zh" if lang == "zh" else "name_en"] for s in doc.get("syndrome", [])}
