"""The county's clock: "today", month ends and the live counters follow the county's time zone, whatever
the server's clock zone (issue #11 item 6).

The convention for timestamps: every event time in the store is the county's wall-clock time, naive (as
hospital and insurance systems export them), so an event at 23:51 on the last day of a month belongs to
that month whichever server reads it. Every seed county keeps Beijing time (Asia/Shanghai); a county
elsewhere sets ``COCKPIT_TZ``. The zone comes from the tzdata package when the system has none.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


def zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("COCKPIT_TZ", DEFAULT_ZONE))


def now() -> dt.datetime:
    """The county's wall-clock time now, naive like the store's timestamps, to the second."""
    return dt.datetime.now(zone()).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """The county's date now (not the server's: at 00:30 in the county a UTC server is still on yesterday)."""
    return now().date()
