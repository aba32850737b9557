"""A cluster of cases injected into a store, so anyone can watch an early-warning signal fire.

    python -m lib.demo outbreak --facility CODE --syndrome CODE --cases N [--days D] [--db URL]

The visits go in as another system's events would (lib.ingest.events: checked, rolled up, audited), spread
over the last ``days`` days up to now on the county's clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid

from lib import clock
from lib.ingest import events
from lib.store import db
from lib.store.models import AGE_BANDS, SEXES

SOURCE = "demo-outbreak"


def visits(facility: str, syndrome: str, cases: int, days: int, now: dt.datetime, seed: int = 0) -> list[dict]:
    """``cases`` visits at ``facility`` with ``syndrome``, at random times over the last ``days`` days."""
    rng = random.Random(seed)
    batch = uuid.uuid4().hex[:12]
    span = dt.timedelta(days=days).total_seconds()
    return [{"event": "visit", "source_system": SOURCE, "source_id": f"{batch}-{i}", "facility_code": facility,
             "ts": (now - dt.timedelta(seconds=rng.uniform(0, span))).isoformat(timespec="seconds"),
             "kind": "outpatient", "is_tcm": False, "is_insured_resident": True, "cost": 80.0, "fund_paid": 40.0,
             "syndrome": syndrome, "age_band": rng.choice(AGE_BANDS), "sex": rng.choice(SEXES)}
            for i in range(cases)]


def inject(url: str, facility: str, syndrome: str, cases: int, days: int = 3) -> int:
    """Write the cluster through the ingest path; returns the visits added. Refused like any event file."""
    records = visits(facility, syndrome, cases, days, clock.now())
    content = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    with db.engine(url).begin() as conn:
        batch = events.check(conn, "outbreak.jsonl", list(enumerate(records, 1)))
        done = events.apply(conn, batch, sha256=hashlib.sha256(content).hexdigest(), by="demo", channel="cli",
                            now=clock.now())
    return done.inserted
