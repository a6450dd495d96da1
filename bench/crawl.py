#!/usr/bin/env python3
"""Crawl throughput, incremental re-crawl and memory, side by side in one invocation.

A generated news site (bench/site.py: N pages of 60–120 KB, a sitemap and a feed) is
served on 127.0.0.1 by its own process. Then, in rounds (each round runs every row;
odd rounds in reverse order, so drift in the machine's load falls on all rows alike):

  (a)  a bare Scrapy spider that only downloads the pages     (bench/bare_spider.py)
  (f1) the same spider calling trafilatura with its default options plus metadata,
       on the reactor thread: one process
  (f2) the same with exactly the options aitrack passes to trafilatura (fast=True, ...):
       one process
  (f3) as (f2), but each page handed to a pool of worker processes, as many as aitrack
       starts (one per core): the multi-process baseline
  (b)  `aitrack crawl` end to end into a new SQLite file (its worker pool + the reactor),
       then a second crawl of the unchanged site into the same file (incremental)
  (b0) (b) with extraction and tagging on the reactor thread (AITRACK_WORKERS=0)
  (b1) (b) with a commit per article (AITRACK_DB_BATCH=1)

The headline ratio is (b) over the strongest (fastest) trafilatura baseline, and the
target (≥ 1.2) is checked against that one.

All use the same concurrency and no throttling (aitrack's politeness settings are for
other people's servers: AutoThrottle off and the per-domain limit raised here).
Throughput is pages per second of crawl time: from the spider's start to its close for
the baselines, and the run's own `duration_s` for (b), which also covers opening the
database and starting the worker pool. Whole-process wall times, and the CPU time of
the whole process tree (start-up included, sampled every 0.1 s), are reported too.

Memory: `aitrack crawl` of a 1,000-page and of a 10,000-page site, peak RSS of the
whole process tree (the crawl, the fork server and the workers, summed, sampled every
0.1 s).

    .venv/bin/python bench/crawl.py [--pages 2000] [--rounds 3] [--memory 1000,10000]
        [--json out.json]
    .venv/bin/python bench/crawl.py --quick    # smoke run: 200 pages, 1 round, no memory
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
AITRACK = str(ROOT / ".venv" / "bin" / "aitrack")
sys.path.insert(0, str(ROOT))

from bench.bare_trafilatura import describe  # noqa: E402
from bench.site import start_site, stop_site  # noqa: E402
from pipelines.offload import worker_count  # noqa: E402

# "store" is the writer thread's time per article: duplicate lookup, write and its
# share of the batch commit.
STAGES = ("download", "extract", "tag", "legal", "story", "store")
# What `aitrack crawl` starts by default (AITRACK_WORKERS=auto): one per core, 0 on one.
WORKERS = worker_count(None)
BARE = "bare Scrapy + trafilatura.bare_extraction"
# Each row: key -> (what it is, in the table's words; how it runs). A baseline runs
# bench/bare_spider.py with those arguments; an aitrack row is `aitrack crawl -s ...`.
BASELINES: dict[str, tuple[str, list[str]]] = {
    "a": ("(a) bare Scrapy, download only; 1 process", ["--mode", "download"]),
    "f1": (
        f"(f1) {BARE}, default options ({describe('default')}); 1 process, 1 core",
        ["--mode", "trafilatura", "--options", "default"],
    ),
    "f2": (
        f"(f2) {BARE}, aitrack's options ({describe('aitrack')}); 1 process, 1 core",
        ["--mode", "trafilatura", "--options", "aitrack"],
    ),
}
if WORKERS:
    BASELINES["f3"] = (
        f"(f3) {BARE}, aitrack's options, in {WORKERS} worker processes + the reactor (as aitrack)",
        ["--mode", "trafilatura", "--options", "aitrack", "--workers", str(WORKERS)],
    )
AITRACK_ROWS: dict[str, tuple[str, list[str]]] = {
    "b": (
        f"(b) `aitrack crawl` end to end; {WORKERS} worker processes + the reactor"
        if WORKERS
        else "(b) `aitrack crawl` end to end; 1 process (one core: no workers)",
        [],
    ),
    "b0": (
        "(b0) `aitrack crawl` without worker processes (AITRACK_WORKERS=0); 1 process, 1 core",
        ["AITRACK_WORKERS=0"],
    ),
    "b1": (
        "(b1) `aitrack crawl` with a commit per article (AITRACK_DB_BATCH=1); workers as (b)",
        ["AITRACK_DB_BATCH=1"],
    ),
}


TICK = os.sysconf("SC_CLK_TCK")


def tree_sample(pid: int, cpu: dict[int, float]) -> float:
    """Resident memory of a process and all its descendants, in MB (Linux /proc); also
    records each one's CPU seconds so far (user + system, its own) into cpu."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            stat = Path(f"/proc/{current}/stat").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # it ended between two reads
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        cpu[current] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        stack.extend(int(c) for c in children)
    return total / 1024


def run_measured(
    command: list[str], cwd: Path = ROOT
) -> tuple[subprocess.CompletedProcess[str], float, float, float]:
    """Run a command; return it, its wall seconds, its process tree's peak RSS (MB) and
    the tree's CPU seconds (each process's as last sampled, summed)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_sample(process.pid, cpu))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return result, wall, peak, sum(cpu.values())


def bare(args: list[str], base: str, concurrency: int) -> dict[str, Any]:
    command = [PYTHON, str(BENCH / "bare_spider.py"), *args]
    command += ["--sitemap", f"{base}/sitemap.xml", "--concurrency", str(concurrency)]
    result, wall, peak, cpu = run_measured(command)
    if result.returncode:
        raise RuntimeError(f"bare spider ({args}) failed: {result.stderr[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        **figures,
        "rate": figures["pages"] / figures["seconds"],
        "wall_s": wall,
        "tree_cpu_s": cpu,
        "tree_peak_rss_mb": peak,
    }


def write_sources(path: Path, base: str, pages: int) -> Path:
    path.write_text(
        "sources:\n"
        "  - slug: bench-news\n"
        "    name: Generated bench site\n"
        "    kind: sitemap\n"
        f'    urls: ["{base}/sitemap.xml"]\n'
        f"    max_pages: {pages + 100}\n"
        "    publisher: bench/site.py\n"
        "    category: news\n"
        "    jurisdiction: US\n"
        "    verified: high\n"
        "    notes: bench/site.py\n",
        encoding="utf-8",
    )
    return path


def crawl_arguments(sources: Path, db: Path, concurrency: int) -> list[str]:
    """`aitrack crawl`'s arguments for a bench run: the site's sources into db, at the
    bench's concurrency, unthrottled and quiet."""
    arguments = ["--quiet", "--sources", str(sources), "--db", str(db)]
    for name, value in (
        ("AUTOTHROTTLE_ENABLED", 0),
        ("CONCURRENT_REQUESTS", concurrency),
        ("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency),
        ("LOG_LEVEL", "WARNING"),
    ):
        arguments += ["-s", f"{name}={value}"]
    return arguments


def aitrack(
    base: str,
    db: Path,
    pages: int,
    concurrency: int,
    *settings: str,
    code: Path | None = None,
) -> dict[str, Any]:
    """One `aitrack crawl` of the site into db; its figures from crawl_runs. With `code`,
    the project's packages are taken from that checkout (`python -m` from it) instead of
    this one: bench/ab_crawl.py compares two commits so."""
    import sqlite_utils

    sources = write_sources(db.with_suffix(".yaml"), base, pages)
    program = [AITRACK] if code is None else [sys.executable, "-m", "crawlers.cli"]
    command = [*program, "crawl", *crawl_arguments(sources, db, concurrency)]
    for setting in settings:
        command += ["-s", setting]
    result, wall, peak, cpu = run_measured(command, code or ROOT)
    if result.returncode:
        raise RuntimeError(f"aitrack crawl failed ({result.returncode}): {result.stderr[-3000:]}")
    database = sqlite_utils.Database(db)
    run = next(database.query("select * from crawl_runs order by id desc limit 1"))
    source = json.loads(run["stats"])["sources"]["bench-news"]
    database.close()
    return {
        "pages": run["pages_fetched"],
        "bodies": source["bodies"],
        "stored": run["articles_new"] + run["articles_updated"],
        "errors": run["errors"],
        "seconds": run["duration_s"],
        "rate": source["bodies"] / run["duration_s"] if run["duration_s"] else 0.0,
        "wall_s": wall,
        "tree_cpu_s": cpu,
        "tree_peak_rss_mb": peak,
        "time_ms": source["time_ms"],
    }


def crawl_rounds(pages: int, rounds: int, concurrency: int, work: Path) -> dict[str, Any]:
    process, base = start_site(pages)
    order = [*BASELINES, *AITRACK_ROWS]
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in [*order, "b2"]}
    try:
        for n in range(rounds):
            for key in order if n % 2 == 0 else reversed(order):
                if key in BASELINES:
                    runs[key].append(bare(BASELINES[key][1], base, concurrency))
                    continue
                db = work / f"{key}-{n}.db"
                runs[key].append(aitrack(base, db, pages, concurrency, *AITRACK_ROWS[key][1]))
                if key == "b":  # the incremental case: the unchanged site, the same file
                    runs["b2"].append(aitrack(base, db, pages, concurrency))
            b, b2 = runs["b"][-1], runs["b2"][-1]
            print(
                f"round {n + 1}: "
                + ", ".join(f"({k}) {runs[k][-1]['rate']:.1f}" for k in order)
                + f" pages/s; (b) {b['stored']} stored, {b['errors']} errors; "
                f"second crawl {b2['seconds']:.2f}s, {b2['bodies']} bodies",
                flush=True,
            )
    finally:
        stop_site(process)
    return summarise(runs, pages)


def summarise(runs: dict[str, list[dict[str, Any]]], pages: int) -> dict[str, Any]:
    """Medians over rounds; ratios are taken per round (side by side), then their median."""

    def ratio(top: str, bottom: str) -> float:
        pairs = zip(runs[top], runs[bottom], strict=True)
        return statistics.median(t["rate"] / b["rate"] for t, b in pairs)

    labels = {k: label for k, (label, _) in (BASELINES | AITRACK_ROWS).items()}
    rows = {
        key: {
            "label": labels.get(key, key),
            "pages_per_s": statistics.median(r["rate"] for r in runs[key]),
            # CPU of the whole process tree (start-up included) per page it extracted.
            "cpu_ms_per_page": statistics.median(
                1000 * r["tree_cpu_s"] / max(r.get("bodies", r["pages"]), 1) for r in runs[key]
            ),
            "wall_s": statistics.median(r["wall_s"] for r in runs[key]),
        }
        for key in runs
        if key != "b2" and runs[key]
    }
    extractors = [k for k in BASELINES if k != "a"]
    strongest = max(extractors, key=lambda k: rows[k]["pages_per_s"])
    return {
        "pages": pages,
        "rounds": len(runs["b"]),
        "workers": WORKERS,
        "rows": rows,
        "strongest": strongest,
        # (b) and (b0) against every baseline, and (b) against the fastest one.
        "b_over": {k: ratio("b", k) for k in BASELINES},
        "b0_over": {k: ratio("b0", k) for k in BASELINES},
        "b_over_strongest": ratio("b", strongest),
        # The writes' own cost per article, batched and not (the writer's "store" stage,
        # its share of each commit included).
        "write_ms": {
            key: statistics.median(r["time_ms"].get("store", 0.0) / r["bodies"] for r in runs[key])
            for key in ("b", "b1")
        },
        "b_stored": min(r["stored"] for r in runs["b"]),
        "b_errors": max(r["errors"] for r in runs["b"]),
        "incremental_wall_ratio": ratio_of_walls(runs["b"], runs["b2"]),
        "incremental_run_s": statistics.median(r["seconds"] for r in runs["b2"]),
        "incremental_bodies": max(r["bodies"] for r in runs["b2"]),
        "incremental_pages": max(r["pages"] for r in runs["b2"]),
        "stage_ms_per_page": {
            stage: statistics.median(r["time_ms"].get(stage, 0.0) / r["bodies"] for r in runs["b"])
            for stage in STAGES
        },
        "runs": runs,
    }


def ratio_of_walls(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> float:
    return statistics.median(
        r2["wall_s"] / r1["wall_s"] for r1, r2 in zip(first, second, strict=True)
    )


def memory(sizes: list[int], concurrency: int, work: Path) -> dict[str, Any]:
    peaks = {}
    for size in sizes:
        process, base = start_site(size)
        try:
            figures = aitrack(base, work / f"memory{size}.db", size, concurrency)
        finally:
            stop_site(process)
        if figures["stored"] < size * 0.99:
            raise RuntimeError(f"memory run stored {figures['stored']} of {size}")
        peaks[size] = figures["tree_peak_rss_mb"]
        print(
            f"memory: {size} pages, peak RSS {peaks[size]:.0f} MB "
            f"({figures['bodies'] / figures['seconds']:.1f} pages/s)",
            flush=True,
        )
    low, high = min(sizes), max(sizes)
    return {"peak_rss_mb": peaks, "ratio": peaks[high] / peaks[low]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--memory", default="1000,10000", help="page counts; '' to skip")
    parser.add_argument("--quick", action="store_true", help="200 pages, 1 round, no memory")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.rounds, args.memory = 200, 1, ""
    with tempfile.TemporaryDirectory(prefix="aitrack-bench-") as tmp:
        figures: dict[str, Any] = {
            "throughput": crawl_rounds(args.pages, args.rounds, args.concurrency, Path(tmp))
        }
        if args.memory:
            sizes = [int(s) for s in args.memory.split(",")]
            figures["memory"] = memory(sizes, args.concurrency, Path(tmp))
    t = figures["throughput"]
    print(f"\nsite of {t['pages']} pages, median of {t['rounds']} rounds")
    for key, row in t["rows"].items():
        against = ""
        if key in t["b_over"]:
            against = f"; (b) {t['b_over'][key]:.2f}x this, (b0) {t['b0_over'][key]:.2f}x"
        print(
            f"{row['pages_per_s']:7.1f} pages/s {row['cpu_ms_per_page']:6.1f} CPU ms/page  "
            f"{row['label']}{against}"
        )
    print(
        f"(b) / strongest baseline ({t['strongest']}): {t['b_over_strongest']:.2f}\n"
        f"second crawl: {t['incremental_wall_ratio']:.3f} of the first's wall time, "
        f"{t['incremental_bodies']} bodies re-fetched\n"
        "ms per page: " + ", ".join(f"{k} {v:.2f}" for k, v in t["stage_ms_per_page"].items())
    )
    if "memory" in figures:
        print(f"memory ratio: {figures['memory']['ratio']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
