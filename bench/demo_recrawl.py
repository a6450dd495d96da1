#!/usr/bin/env python3
"""Incremental cost: a first crawl of the demo web into an empty database, then a second
crawl of the unchanged site, side by side in one invocation, three rounds.

Prints, per round, the wall time of each whole `aitrack demo --no-serve` process and the
run's own duration (crawl_runs.duration_s, which leaves out interpreter start-up), the
article bodies the second crawl downloaded, and the medians and ratios.

    .venv/bin/python bench/demo_recrawl.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
AITRACK = [str(ROOT / ".venv" / "bin" / "aitrack"), "demo", "--no-serve", "--quiet"]


def crawl(db: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    subprocess.run([*AITRACK, "--db", str(db)], check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - start
    run = next(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc"))
    return wall, run


def main() -> int:
    rounds = []
    for n in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            first_wall, first = crawl(db)
            second_wall, second = crawl(db)
            bodies = sum(s["bodies"] for s in json.loads(second["stats"])["sources"].values())
            rounds.append(
                (
                    first_wall,
                    first["duration_s"],
                    second_wall,
                    second["duration_s"],
                    bodies,
                    second["not_modified"],
                )
            )
            print(
                f"round {n + 1}: first {first_wall:.2f}s (run {first['duration_s']:.2f}s, "
                f"{first['pages_fetched']} pages, {first['articles_new']} new); second "
                f"{second_wall:.2f}s (run {second['duration_s']:.2f}s, "
                f"{second['pages_fetched']} pages, {second['not_modified']} not modified, "
                f"{bodies} article bodies)"
            )
    med = [statistics.median(r[i] for r in rounds) for i in range(4)]
    print(
        f"\nmedians: first crawl {med[0]:.2f}s wall / {med[1]:.2f}s run; "
        f"second crawl {med[2]:.2f}s wall / {med[3]:.2f}s run"
    )
    print(
        f"second/first: {med[2] / med[0]:.2f} of the process wall time, "
        f"{med[3] / med[1]:.2f} of the run's own time; "
        f"article bodies re-fetched: {max(r[4] for r in rounds)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
