"""Event ingest throughput with rollups maintained, and the time to refuse a file above the size limit.

    python -m benchmarks.ingest [--events 20000] [--batch 1000] [--backends sqlite postgresql]

Each file of ``--batch`` visits and referrals (JSON lines, as a hospital system exports them) goes the
whole way: parsed, checked against its schema and the registry, written through lib.events.write with
the rollups updated in the same transaction, audited. Prints events per second per backend, then the
same files sent again (all unchanged), and the milliseconds to refuse a 45 MB file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import tempfile
import time
from pathlib import Path

from benchmarks.stores import BACKENDS, fresh, save
from lib.ingest import events, table
from lib.ingest.problems import Refused
from lib.store import bootstrap, db


def _files(codes: list[str], count: int, batch: int) -> list[bytes]:
    rng = random.Random(7)
    lines = []
    for i in range(count):
        unit = rng.choice(codes)
        when = f"2026-10-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+08:00"
        if i % 10:
            record = {"event": "visit", "source_system": "HIS", "source_id": str(i), "facility_code": unit,
                      "home_facility_code": rng.choice(codes), "ts": when, "kind": "outpatient",
                      "is_tcm": rng.random() < 0.2, "is_insured_resident": True, "cost": 80.0, "fund_paid": 40.0}
        else:
            record = {"event": "referral", "source_system": "HIS", "source_id": f"r{i}", "from_facility_code": unit,
                      "to_facility_code": codes[0], "direction": "up", "disease_group": "stroke", "sent_at": when}
        lines.append(json.dumps(record))
    return ["\n".join(lines[i:i + batch]).encode() for i in range(0, count, batch)]


def _load_all(url: str, files: list[bytes]) -> float:
    start = time.perf_counter()
    for n, content in enumerate(files):
        records = events.parse(f"{n}.jsonl", content)
        with db.engine(url).begin() as conn:
            batch = events.check(conn, f"{n}.jsonl", records)
            events.apply(conn, batch, sha256=str(n), by="bench", channel="cli", now=bench_now())
    return time.perf_counter() - start


def bench_now() -> object:
    import datetime as dt

    return dt.datetime(2026, 11, 1, 9)


def _refuse_large_ms() -> float:
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "big.csv"
        with big.open("wb") as fh:
            fh.write(b"x" * (45 * 1024 * 1024))
        start = time.perf_counter()
        with contextlib.suppress(Refused):
            table.read_path(big)
        return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS))
    args = parser.parse_args()
    rows = []
    for backend in args.backends:
        with fresh(backend, "ingest") as url:
            bootstrap.load_reference(url)
            bootstrap.bring_current(url)
            with db.engine(url).connect() as conn:
                codes = [c for (c,) in conn.exec_driver_sql("SELECT code FROM facility ORDER BY id")]
            files = _files(codes, args.events, args.batch)
            first = _load_all(url, files)
            again = _load_all(url, files)
            rows.append({"backend": backend, "events": args.events, "batch": args.batch,
                         "events_per_s": round(args.events / first), "resent_per_s": round(args.events / again)})
        print(rows[-1], flush=True)
    refuse_ms = _refuse_large_ms()
    print(f"refuse a 45 MB file: {refuse_ms:.1f} ms")
    print(f"saved {save('ingest', {'rows': rows, 'refuse_45mb_ms': refuse_ms})}")


if __name__ == "__main__":
    main()
