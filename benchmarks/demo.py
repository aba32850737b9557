"""Demo generator benchmark: seconds to build the demo store, per stage, and rows per table.

Target (issue #2): under 60 s at scale 1 on SQLite.

    python -m benchmarks.demo [--scale 1] [--backends sqlite postgresql]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.stores import fresh, save
from lib.demo import generate
from lib.store import db


def build(url: str, scale: float) -> dict:
    """Generate into ``url``, timing the stages the generator reports (the commit is the last one)."""
    marks: list[tuple[float, str]] = []
    started = time.perf_counter()
    rows = generate(db.engine(url), scale=scale, progress=lambda f, m, **_: marks.append((time.perf_counter(), m)))
    total = time.perf_counter() - started
    stages: dict[str, float] = {}
    for (at, message), (after, _) in zip(marks, [*marks[1:], (started + total, "")], strict=True):
        stages[message] = stages.get(message, 0.0) + after - at
    return {"seconds": round(total, 1), "rows": rows, "stages": {k: round(v, 1) for k, v in stages.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--backends", nargs="+", default=["sqlite"])
    args = parser.parse_args()
    results = {}
    for backend in args.backends:
        with fresh(backend, "demo") as url:
            results[backend] = build(url, args.scale)
    first = next(iter(results.values()))
    width = max(map(len, [*first["stages"], *first["rows"]])) + 2
    print(f"demo at scale {args.scale:g}")
    print(" " * width + "".join(f"{b:>14}" for b in results))
    for stage in first["stages"]:
        print(f"{stage:<{width}}" + "".join(f"{r['stages'].get(stage, 0):>13.1f}s" for r in results.values()))
    print(f"{'total':<{width}}" + "".join(f"{r['seconds']:>13.1f}s" for r in results.values()))
    for table in sorted(first["rows"]):
        print(f"{table:<{width}}" + "".join(f"{r['rows'][table]:>14,}" for r in results.values()))
    print(f"{'all rows':<{width}}" + "".join(f"{sum(r['rows'].values()):>14,}" for r in results.values()))
    print(f"saved {save('demo', {'scale': args.scale, 'results': results})}")


if __name__ == "__main__":
    main()
