"""Feed benchmark: events a second the write path sustains (lib.demo.feed.step through lib.events.record and
update, one transaction per step, rollups kept current), on SQLite and PostgreSQL.

Each run starts from a small demo store (so updates touch real rollup rows) and takes ``--steps`` steps of
``batch`` new events, the clock advancing a minute a step so open events are progressed as well.

    python -m benchmarks.feed [--steps 200] [--batches 1 10 100] [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np

from benchmarks.stores import BACKENDS, fresh, save
from lib.demo import feed, generate
from lib.store import db

DEMO_SCALE = 0.05
START = dt.datetime.combine(dt.date.today(), dt.time(9, 0))  # a busy morning hour


def measure(url: str, batch: int, steps: int) -> dict:
    rng = np.random.Generator(np.random.PCG64(batch))
    engine = db.engine(url)
    with engine.connect() as conn:
        world = feed.load_world(conn, START)
    new = updated = 0
    started = time.perf_counter()
    for i in range(steps):
        with engine.begin() as conn:
            counts = feed.step(conn, START + dt.timedelta(minutes=i), rng, batch, world)
        new += sum(v for k, v in counts.items() if not k.startswith("updated:"))
        updated += sum(v for k, v in counts.items() if k.startswith("updated:"))
    seconds = time.perf_counter() - started
    return {"batch": batch, "steps": steps, "new": new, "updated": updated, "seconds": round(seconds, 2),
            "events_per_s": round(new / seconds, 1), "writes_per_s": round((new + updated) / seconds, 1),
            "ms_per_step": round(seconds / steps * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    args = parser.parse_args()
    rows = []
    for backend in args.backends:
        for batch in args.batches:
            with fresh(backend, "feed") as url:
                generate(db.engine(url), scale=DEMO_SCALE, today=START.date() - dt.timedelta(days=1))
                rows.append({"backend": backend, **measure(url, batch, args.steps)})
            print(rows[-1], flush=True)
    columns = list(rows[0])
    print(" ".join(f"{c:>12}" for c in columns))
    for row in rows:
        print(" ".join(f"{row[c]!s:>12}" for c in columns))
    print(f"saved {save('feed', {'demo_scale': DEMO_SCALE, 'rows': rows})}")


if __name__ == "__main__":
    main()
