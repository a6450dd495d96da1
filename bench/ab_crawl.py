"""Crawl throughput of two commits side by side: `aitrack crawl` as it is now and as it
was at an earlier commit, against the same generated site, in alternating rounds.

A change that restructures the crawl (issue 13: one processing call per page, a writer
thread) should not cost pages per second. This runs the earlier commit from a temporary
git worktree, with this checkout's Python environment (the same pinned packages), so the
only difference between the two rows is the project's code.

    .venv/bin/python bench/ab_crawl.py --base d892d61 --pages 1000 --rounds 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crawl import aitrack  # noqa: E402
from bench.site import start_site, stop_site  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aitrack-ab-") as tmp:
        work = Path(tmp)
        old = work / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(old), args.base], cwd=ROOT, check=True
        )
        process, base = start_site(args.pages)
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
        try:
            for n in range(args.rounds):
                order = [("base", old), ("head", ROOT)]
                for name, code in order if n % 2 == 0 else reversed(order):
                    db = work / f"{name}-{n}.db"
                    runs[name].append(aitrack(base, db, args.pages, args.concurrency, code=code))
                print(
                    f"round {n + 1}: base {runs['base'][-1]['rate']:.1f}, "
                    f"head {runs['head'][-1]['rate']:.1f} pages/s",
                    flush=True,
                )
        finally:
            stop_site(process)
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT)
    base_rate = statistics.median(r["rate"] for r in runs["base"])
    head_rate = statistics.median(r["rate"] for r in runs["head"])
    stored = {name: {r["stored"] for r in rs} for name, rs in runs.items()}
    print(
        f"site of {args.pages} pages, median of {args.rounds} alternating rounds: "
        f"{args.base[:7]} {base_rate:.1f} pages/s, HEAD {head_rate:.1f} pages/s, "
        f"HEAD/base {head_rate / base_rate:.2f}; stored per run {stored}"
    )
    # CPU time per page (the whole process tree) and each stage's ms per page: on a
    # shared machine, less at the mercy of the other tenants than pages per second.
    for name, rs in runs.items():
        cpu = statistics.median(1000 * r["tree_cpu_s"] / max(r["bodies"], 1) for r in rs)
        stages = {
            stage: statistics.median(
                ms / max(r["bodies"], 1) for r in rs if (ms := r["time_ms"].get(stage)) is not None
            )
            for stage in rs[0]["time_ms"]
        }
        print(
            f"  {name}: {cpu:.1f} CPU ms/page; ms per page: "
            + ", ".join(f"{stage} {ms:.2f}" for stage, ms in stages.items())
        )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
