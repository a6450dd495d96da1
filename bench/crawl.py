#!/usr/bin/env python3
"""Crawl throughput, incremental re-crawl and memory, side by side in one invocation.

A generated news site (bench/site.py: N pages of 60–120 KB, a sitemap and a feed) is
served on 127.0.0.1 by its own process. Then, in alternating rounds:

  (a) a bare Scrapy spider that only downloads the pages   (bench/bare_spider.py)
  (f) the same spider calling trafilatura with metadata      (the floor to beat)
  (b) `aitrack crawl` end to end into a new SQLite file, then a second crawl of the
      unchanged site into the same file (the incremental case)
  and, to show what each optimisation is worth, (b) again with extraction and tagging
  on the reactor thread (AITRACK_WORKERS=0) and with a commit per article
  (AITRACK_DB_BATCH=1)

All three use the same concurrency and no throttling (aitrack's politeness settings
are for other people's servers: AutoThrottle off and the per-domain limit raised here).
Throughput is pages per second of crawl time: from the spider's start to its close for
(a) and (f), and the run's own `duration_s` for (b), which also covers opening the
database and starting the worker pool. Whole-process wall times are reported too.

Memory: `aitrack crawl` of a 1,000-page and of a 10,000-page site, peak RSS of the
whole process tree (the crawl, the fork server and the workers, summed, sampled every
0.1 s).

    .venv/bin/python bench/crawl.py [--pages 2000] [--rounds 3] [--memory 1000,10000]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
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

from bench.site import start_site, stop_site  # noqa: E402

STAGES = ("download", "extract", "tag", "dedupe", "store", "commit")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue  # it ended between two reads
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        stack.extend(int(c) for c in children)
    return total / 1024


def run_measured(command: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run a command; return it, its wall seconds and its process tree's peak RSS (MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_mb(process.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    return result, wall, peak


def bare(mode: str, base: str, concurrency: int) -> dict[str, Any]:
    command = [PYTHON, str(BENCH / "bare_spider.py"), "--mode", mode]
    command += ["--sitemap", f"{base}/sitemap.xml", "--concurrency", str(concurrency)]
    result, wall, peak = run_measured(command)
    if result.returncode:
        raise RuntimeError(f"bare spider ({mode}) failed: {result.stderr[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return {**figures, "wall_s": wall, "tree_peak_rss_mb": peak}


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


def aitrack(base: str, db: Path, pages: int, concurrency: int, *settings: str) -> dict[str, Any]:
    """One `aitrack crawl` of the site into db; its figures from crawl_runs."""
    import sqlite_utils

    sources = write_sources(db.with_suffix(".yaml"), base, pages)
    command = [AITRACK, "crawl", "--quiet", "--sources", str(sources), "--db", str(db)]
    for name, value in (
        ("AUTOTHROTTLE_ENABLED", 0),
        ("CONCURRENT_REQUESTS", concurrency),
        ("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency),
        ("LOG_LEVEL", "WARNING"),
    ):
        command += ["-s", f"{name}={value}"]
    for setting in settings:
        command += ["-s", setting]
    result, wall, peak = run_measured(command)
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
        "wall_s": wall,
        "tree_peak_rss_mb": peak,
        "time_ms": source["time_ms"],
    }


def crawl_rounds(pages: int, rounds: int, concurrency: int, work: Path) -> dict[str, Any]:
    process, base = start_site(pages)
    try:
        runs: dict[str, list[dict[str, Any]]] = {
            "a": [],
            "f": [],
            "b": [],
            "b2": [],
            "b_inline": [],
            "b_unbatched": [],
        }
        for n in range(rounds):
            runs["a"].append(bare("download", base, concurrency))
            runs["f"].append(bare("trafilatura", base, concurrency))
            db = work / f"round{n}.db"
            runs["b"].append(aitrack(base, db, pages, concurrency))
            runs["b2"].append(aitrack(base, db, pages, concurrency))
            for key, setting in (
                ("b_inline", "AITRACK_WORKERS=0"),
                ("b_unbatched", "AITRACK_DB_BATCH=1"),
            ):
                runs[key].append(aitrack(base, work / f"{key}{n}.db", pages, concurrency, setting))
            a, f, b, b2 = (runs[k][-1] for k in ("a", "f", "b", "b2"))
            print(
                f"round {n + 1}: (a) {a['pages'] / a['seconds']:.0f} pages/s, "
                f"(f) {f['pages'] / f['seconds']:.1f}, (b) {b['bodies'] / b['seconds']:.1f} "
                f"({b['stored']} stored, {b['errors']} errors); second crawl "
                f"{b2['seconds']:.2f}s, {b2['bodies']} bodies",
                flush=True,
            )
    finally:
        stop_site(process)
    return summarise(runs, pages)


def summarise(runs: dict[str, list[dict[str, Any]]], pages: int) -> dict[str, Any]:
    def median(key: str, fn: Any) -> float:
        return statistics.median(fn(r) for r in runs[key])

    a = median("a", lambda r: r["pages"] / r["seconds"])
    f = median("f", lambda r: r["pages"] / r["seconds"])
    b = median("b", lambda r: r["bodies"] / r["seconds"])
    # Ratios per round (side by side), then their median.
    b_over_f = statistics.median(
        (rb["bodies"] / rb["seconds"]) / (rf["pages"] / rf["seconds"])
        for rb, rf in zip(runs["b"], runs["f"], strict=True)
    )
    b_over_a = statistics.median(
        (rb["bodies"] / rb["seconds"]) / (ra["pages"] / ra["seconds"])
        for rb, ra in zip(runs["b"], runs["a"], strict=True)
    )
    variants = {
        key: statistics.median(r["bodies"] / r["seconds"] for r in runs[key])
        for key in ("b_inline", "b_unbatched")
    }
    second = statistics.median(
        r2["wall_s"] / r1["wall_s"] for r1, r2 in zip(runs["b"], runs["b2"], strict=True)
    )
    stages = {
        stage: statistics.median(r["time_ms"].get(stage, 0.0) / r["bodies"] for r in runs["b"])
        for stage in STAGES
    }
    return {
        "pages": pages,
        "rounds": len(runs["a"]),
        "a_pages_per_s": a,
        "f_pages_per_s": f,
        "b_pages_per_s": b,
        "b_over_f": b_over_f,
        "b_over_a": b_over_a,
        "b_inline_pages_per_s": variants["b_inline"],
        "b_unbatched_pages_per_s": variants["b_unbatched"],
        # The writes' own cost per article, batched and not (store + commit stages).
        "write_ms": {
            key: statistics.median(
                (r["time_ms"].get("store", 0.0) + r["time_ms"].get("commit", 0.0)) / r["bodies"]
                for r in runs[key]
            )
            for key in ("b", "b_unbatched")
        },
        "b_stored": min(r["stored"] for r in runs["b"]),
        "b_errors": max(r["errors"] for r in runs["b"]),
        "wall_s": {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()},
        "incremental_wall_ratio": second,
        "incremental_run_s": statistics.median(r["seconds"] for r in runs["b2"]),
        "incremental_bodies": max(r["bodies"] for r in runs["b2"]),
        "incremental_pages": max(r["pages"] for r in runs["b2"]),
        "stage_ms_per_page": stages,
        "runs": runs,
    }


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
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aitrack-bench-") as tmp:
        figures: dict[str, Any] = {
            "throughput": crawl_rounds(args.pages, args.rounds, args.concurrency, Path(tmp))
        }
        if args.memory:
            sizes = [int(s) for s in args.memory.split(",")]
            figures["memory"] = memory(sizes, args.concurrency, Path(tmp))
    t = figures["throughput"]
    print(
        f"\n(a) {t['a_pages_per_s']:.0f} pages/s, (f) {t['f_pages_per_s']:.1f}, "
        f"(b) {t['b_pages_per_s']:.1f}; b/f {t['b_over_f']:.2f}, b/a {t['b_over_a']:.3f}\n"
        f"(b) with AITRACK_WORKERS=0 {t['b_inline_pages_per_s']:.1f}, with AITRACK_DB_BATCH=1 "
        f"{t['b_unbatched_pages_per_s']:.1f}\n"
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
