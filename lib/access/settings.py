"""Sign-in settings: data/access.toml, the switch overridable by COCKPIT_AUTH=on|off for one run."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lib.store import db

SETTINGS = db.ROOT / "data" / "access.toml"
ENV = "COCKPIT_AUTH"


@dataclass(frozen=True)
class Settings:
    enabled: bool = False
    session: dt.timedelta = dt.timedelta(hours=8)
    idle: dt.timedelta = dt.timedelta(minutes=30)
    max_failures: int = 5
    failure_window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    watermark: bool = True


def load(path: Path = SETTINGS) -> Settings:
    """The file's settings (defaults for what it leaves out), with COCKPIT_AUTH deciding ``enabled`` if set."""
    raw = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    enabled = bool(raw.get("enabled", False))
    switch = os.environ.get(ENV, "").strip().lower()
    if switch in ("on", "1", "true", "yes"):
        enabled = True
    elif switch in ("off", "0", "false", "no"):
        enabled = False
    return Settings(
        enabled=enabled,
        session=dt.timedelta(hours=float(raw.get("session_hours", 8))),
        idle=dt.timedelta(minutes=float(raw.get("idle_minutes", 30))),
        max_failures=int(raw.get("max_failures", 5)),
        failure_window=dt.timedelta(minutes=float(raw.get("failure_window_minutes", 15))),
        lockout=dt.timedelta(minutes=float(raw.get("lockout_minutes", 15))),
        watermark=bool(raw.get("watermark", True)),
    )
