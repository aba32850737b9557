"""KPI engine benchmark: the overview set at demo scale 1 and 10, cold and warm, SQLite and PostgreSQL.

The overview set is every indicator of sections A–E for the current month and for the year to date,
at county scope, per area and per facility. In the same run a naive baseline reads the raw event rows
of the same year into pandas and groups them (what a page would do without rollups).

Targets (issue #14): cold at scale 1 ≤ 150 ms, warm ≤ 50 ms; scale 10 ≤ 1.2 × scale 1; ≥ 50 × faster than
naive. ``first_ms`` is the first computation in the store (or after a change to the measures' code): it
computes and keeps the months' snapshots (lib.kpi.months); ``cold_ms`` is an engine in a new process
after that (a server's first page after a restart: nothing of the store in memory); ``warm_ms``
the median of repeats in one process with the store unchanged (engines share what an unchanged store
gives: lib.kpi.engine); ``moved_ms`` the same right after the live feed wrote 10 events (what a wall pays
while data flows: the running month read again, the closed months from memory).

    python -m benchmarks.kpi [--scales 1 10] [--backends sqlite postgresql] [--repeat 5]

Demo stores are built once and kept (SQLite under benchmarks/results/, PostgreSQL in schemas
bench_s1, bench_s10 of the test database) so reruns only measure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from benchmarks.stores import RESULTS, save
from lib import clock, demo, kpi
from lib.demo import feed
from lib.kpi.period import Period
from lib.store import db, schema

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECTIONS = ("A", "B", "C", "D", "E")


def store(backend: str, scale: int) -> str:
    """A demo store at this scale, built on first use."""
    if backend == "sqlite":
        RESULTS.mkdir(exist_ok=True)
        url = f"sqlite:///{RESULTS / f'demo_s{scale}.db'}"
    else:
        name = f"bench_s{scale}"
        with db.engine(PG).begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {name}"))
        url = f"{PG}?options=-csearch_path%3D{name}"
    schema.upgrade(url)
    with db.engine(url).connect() as conn:
        built = conn.execute(sa.text("SELECT count(*) FROM visit")).scalar_one() > 0
    if not built:
        started = time.perf_counter()
        demo.generate(db.engine(url), scale=scale)
        print(f"  built {backend} scale {scale} in {time.perf_counter() - started:.0f} s")
    return url


def overview(url: str, *, compare: bool = True) -> tuple[float, int]:
    """Seconds to compute the overview set with a fresh engine; and how many values it produced."""
    started = time.perf_counter()
    with db.engine(url).connect() as conn:
        engine = kpi.Engine(conn)
        codes = [c for c in engine.catalogue.index if engine.catalogue.loc[c, "section"] in SECTIONS]
        scopes = [kpi.Scope()] + [kpi.Scope("area", (a,)) for a in sorted(engine.units["area"].unique())]
        scopes += [kpi.Scope("facility", (c,)) for c in engine.units["code"]]
        n = sum(len(engine.compute(codes, scopes, Period(kind, engine.today), compare=compare))
                for kind in ("month", "ytd"))
    return time.perf_counter() - started, n


def cold(url: str, *, compare: bool) -> float:
    """Seconds of the overview set in a new Python process: nothing of the store in memory, timed after what
    a server does as it starts, its imports (the database driver's too) and the store check's connection
    (ui.first_start brings the store current before any page; it even computes the overview's default view,
    which this leaves out)."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.kpi", "--cold", url] + ([] if compare else ["--values"]),
                         check=True, capture_output=True, text=True).stdout
    return float(out.split()[-1])


def moved(url: str, *, compare: bool) -> float:
    """Seconds of the overview set right after the live feed wrote 10 events."""
    with db.engine(url).begin() as conn:
        feed.step(conn, clock.now(), np.random.default_rng(), 10)
    return overview(url, compare=compare)[0]


def naive(url: str, *, compare: bool = True) -> float:
    """Event figures from raw rows grouped in pandas (no rollups): the baseline. With ``compare`` it
    reads what the comparisons need too (last year, and the 2024 baseline of the in-county target)."""
    started = time.perf_counter()
    today = dt.date.today()
    year_start = dt.datetime(today.year - 2 if compare else today.year, 1, 1)
    with db.engine(url).connect() as conn:
        units = db.read_frame(conn, "SELECT f.id AS facility_id, a.code AS area, t.is_primary FROM facility f "
                                    "JOIN area a ON a.id = f.area_id JOIN tier t ON t.code = f.tier_code")
        frames = {
            name: db.read_frame(conn, sql, {"y": year_start}) for name, sql in {
                "visit": "SELECT facility_id, ts, kind, is_tcm, is_insured_resident, cost, fund_paid FROM visit "
                         "WHERE ts >= :y",
                "admission": "SELECT home_facility_id AS facility_id, admitted_at AS ts, in_county, cost, fund_paid "
                             "FROM admission WHERE admitted_at >= :y",
                "referral": "SELECT from_facility_id AS facility_id, sent_at AS ts, direction, accepted_at, "
                            "feedback_at FROM referral WHERE sent_at >= :y",
                "follow_up": "SELECT facility_id, due_date AS ts, done_date, due_date FROM follow_up "
                             "WHERE due_date >= :y",
            }.items()
        }
    month_start = pd.Timestamp(dt.date.today().replace(day=1))
    for frame in frames.values():
        frame["ts"] = pd.to_datetime(frame["ts"])
        frame["month"] = frame["ts"] >= month_start
        merged = frame.merge(units, on="facility_id")
        for keys in (["month"], ["month", "area"], ["month", "facility_id"]):
            merged.groupby(keys).agg("count")
            merged.groupby([*keys, "is_primary"]).size()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cold", metavar="URL", help=argparse.SUPPRESS)  # one timing in this new process
    parser.add_argument("--values", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cold:
        db.reachable(args.cold)  # a server at start has imported the driver and opened the store (its check)
        print(overview(args.cold, compare=not args.values)[0])
        return
    rows = []
    for backend in args.backends:
        for scale in args.scales:
            url = store(backend, scale)
            for compare in (True, False):
                first, n = overview(url, compare=compare)  # keeps the closed months' snapshots, if not yet kept
                new = statistics.median(cold(url, compare=compare) for _ in range(args.repeat))
                warm = statistics.median(overview(url, compare=compare)[0] for _ in range(args.repeat))
                live = statistics.median(moved(url, compare=compare) for _ in range(args.repeat))
                baseline = naive(url, compare=compare)
                rows.append({"backend": backend, "scale": scale, "comparisons": compare, "values": n,
                             "first_ms": round(first * 1000, 1), "cold_ms": round(new * 1000, 1),
                             "warm_ms": round(warm * 1000, 1), "moved_ms": round(live * 1000, 1),
                             "naive_ms": round(baseline * 1000, 1), "naive_over_cold": round(baseline / new, 1)})
                print(rows[-1])
    table = pd.DataFrame(rows)
    for (backend, compare), part in table.groupby(["backend", "comparisons"]):
        if {1, 10} <= set(part.scale):
            ratio = part.set_index("scale").cold_ms
            print(f"{backend}, comparisons={compare}: scale 10 / scale 1 (cold) = {ratio[10] / ratio[1]:.2f}")
    print(table.to_string(index=False))
    out = save("kpi", rows)
    print(f"saved {out}")


if __name__ == "__main__":
    main()
