#!/usr/bin/env python3
"""The scaled-out crawl: 1 worker against 2, and the single writer's articles per second.

The bench site (bench/site.py) with 1,000 pages over 8 hosts (127.0.0.1-8, a process
each), a redis-server of our own on loopback, and in rounds (odd rounds in reverse
order, so drift in the machine's load falls on both rows alike):

  (w1) `aitrack enqueue`, then one `aitrack crawl --frontier` pinned to core 0 with
       `taskset`, extraction and tagging inline (AITRACK_WORKERS=0)
  (w2) the same with two workers, pinned to cores 0 and 1

Pages/s is the articles put on the stream per second, between the first and the last
article entry (Redis stamps each stream entry with its time): a worker's start-up (imports,
the semantic layer) is not crawl time. Each row checks that the stream holds every
page of the site.

  (f)  once, after the rounds: two pinned workers, one killed with SIGKILL when a third
       of the pages are on the stream and started again; then `aitrack ingest` killed
       with SIGKILL when a third are stored and started again: every page must be
       stored exactly once (no revision, one finder row each)

  (i)  `aitrack ingest`'s work on the last row's stream, into a new SQLite file: the
       entries read, stored through the BatchWriter, committed and acknowledged, per
       second of wall time (in this process, Pipelines' own Ingest class), after which
       the file must hold every page exactly once.

The machine is shared: each figure is printed with the 1-minute load average at its
start.

    .venv/bin/python bench/scale.py [--pages 1000] [--hosts 8] [--rounds 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale_harness import (  # noqa: E402
    FAST,
    start_hosts,
    start_redis,
    stop_hosts,
    stop_redis,
    write_sources,
)
from pipelines.ingest import Ingest  # noqa: E402
from pipelines.store import open_db, sync_sources, sync_topics  # noqa: E402
from pipelines.stream import INDEX_VALIDATORS, STORED, STREAM, connect  # noqa: E402

AITRACK = [str(ROOT / ".venv" / "bin" / "python"), "-m", "crawlers.cli"]
TARGET_RATIO, TARGET_INGEST = 1.7, 500.0


def load() -> float:
    return round(os.getloadavg()[0], 2)


def machine_busy() -> float:
    """CPU seconds every core has spent busy since boot (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's ended children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def startup_cpu(url: str, sources: Path) -> float:
    """CPU seconds of a worker that finds nothing to do: its start-up and exit, which
    each row's workers pay once each and which is not crawl work."""
    client = connect(url)
    for key in client.scan_iter("aitrack:*:requests"):
        client.delete(key)
    client.close()
    before = children_cpu()
    subprocess.run(
        ["taskset", "-c", "0", *AITRACK, "crawl", "--frontier", url, "--sources", str(sources)]
        + ["-s", "AITRACK_WORKERS=0", *FAST],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return children_cpu() - before


def crawl_row(url: str, sources: Path, workers: int, concurrency: int) -> dict[str, Any]:
    """Enqueue, run `workers` pinned workers to the end; pages/s from the stream."""
    client = connect(url)
    # A first crawl each time: what an earlier row stored or validated is forgotten
    # (otherwise the sitemaps answer 304 and there is nothing to crawl).
    client.delete(STREAM, STORED, INDEX_VALIDATORS)
    subprocess.run(
        [*AITRACK, "enqueue", "--frontier", url, "--sources", str(sources)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    settings = ["-s", "AITRACK_WORKERS=0", *FAST]
    settings += ["-s", f"CONCURRENT_REQUESTS={concurrency}"]
    settings += ["-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"]
    row: dict[str, Any] = {"workers": workers, "load_before": load()}
    cpu_before, busy_before = children_cpu(), machine_busy()
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            ["taskset", "-c", str(core), *AITRACK, "crawl", "--frontier", url]
            + ["--sources", str(sources), *settings],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for core in range(workers)
    ]
    said = []
    for process in processes:
        _, err = process.communicate(timeout=1800)
        if process.returncode:
            raise RuntimeError(f"a worker failed: {err[-2000:]}")
        said.append(err.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - started
    row["worker_cpu_s"] = children_cpu() - cpu_before
    # What the rest of the machine took meanwhile (other people's work, and our site
    # servers and Redis), in cores: the load average lags; this is the row's own.
    others = machine_busy() - busy_before - row["worker_cpu_s"]
    row["other_cores"] = round(others / row["wall_s"], 2)
    # Article entries only: each worker's report (its last entry) is not a page.
    stamps = [
        int(entry_id.split(b"-")[0]) / 1000
        for entry_id, fields in client.xrange(STREAM)
        if fields.get(b"kind") != b"report"
    ]
    row["articles"] = len(stamps)
    row["crawl_s"] = stamps[-1] - stamps[0]
    row["pages_per_s"] = row["articles"] / row["crawl_s"]
    # Pages per CPU-second of the workers, start-up included: what load from others
    # does not change much, unlike pages per second.
    row["pages_per_cpu_s"] = row["articles"] / row["worker_cpu_s"]
    row["per_worker"] = [int(re.search(r"(\d+) articles to ingest", s).group(1)) for s in said]
    row["load_after"] = load()
    client.close()
    return row


def ingest_row(url: str, sources_file: Path, db_path: Path, expected: set[str]) -> dict[str, Any]:
    """Store the stream as it stands into a new file; articles/s and the exactly-once check."""
    from crawlers.sources import load_sources

    db = open_db(db_path)
    sync_sources(db, load_sources(sources_file))
    from pipelines.tagging import load_taxonomy

    sync_topics(db, load_taxonomy())
    db.close()
    client = connect(url)
    entries = int(client.xlen(STREAM))
    row: dict[str, Any] = {"entries": entries, "load_before": load()}
    ingest = Ingest(client, db_path, batch_size=500)
    started, cpu = time.perf_counter(), time.process_time()
    report = ingest.run(until_done=True, block_ms=50)
    ingest.close()
    row["seconds"] = time.perf_counter() - started
    row["cpu_s"] = time.process_time() - cpu
    row["articles_per_cpu_s"] = report.stored / row["cpu_s"]
    row["articles_per_s"] = report.stored / row["seconds"]
    row["load_after"] = load()
    with sqlite3.connect(db_path) as conn:
        urls = [r[0] for r in conn.execute("select url from articles")]
        revisions = conn.execute("select count(*) from article_revisions").fetchone()[0]
    row["exactly_once"] = sorted(urls) == sorted(expected) and revisions == 0
    client.close()
    return row


def faults_row(url: str, sources: Path, db_path: Path, expected: set[str]) -> dict[str, Any]:
    """The acceptance's faults on the full bench site: two pinned workers, one killed with
    SIGKILL mid-crawl and started again; then an ingest killed with SIGKILL part way and
    started again. Every page must then be stored exactly once."""
    client = connect(url)
    client.delete(STREAM, STORED, INDEX_VALIDATORS)
    subprocess.run(
        [*AITRACK, "enqueue", "--frontier", url, "--sources", str(sources)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    # Leases of 5 s: the killed worker's requests come back soon.
    settings = ["-s", "AITRACK_WORKERS=0", "-s", "AITRACK_LEASE_SECONDS=5", *FAST]

    def worker(core: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["taskset", "-c", str(core), *AITRACK, "crawl", "--frontier", url]
            + ["--sources", str(sources), *settings],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    row: dict[str, Any] = {"load_before": load()}
    workers = [worker(0), worker(1)]
    wait_until(lambda: client.xlen(STREAM) >= len(expected) // 3)
    row["worker_killed_at"] = int(client.xlen(STREAM))
    workers[0].kill()
    workers[0].wait()
    workers[0] = worker(0)
    for process in workers:
        process.wait(timeout=1800)
    ingest = [*AITRACK, "ingest", "--frontier", url, "--sources", str(sources)]
    ingest += ["--db", str(db_path), "--batch", "50"]
    first = subprocess.Popen(ingest, cwd=ROOT, stderr=subprocess.DEVNULL)
    wait_until(lambda: stored_count(db_path) >= len(expected) // 3)
    first.kill()
    first.wait()
    row["ingest_killed_at"] = stored_count(db_path)
    subprocess.run([*ingest, "--until-done"], cwd=ROOT, check=True, capture_output=True)
    with sqlite3.connect(db_path) as conn:
        urls = [r[0] for r in conn.execute("select url from articles")]
        revisions = conn.execute("select count(*) from article_revisions").fetchone()[0]
        finders = conn.execute("select count(*) from article_sources").fetchone()[0]
    row["exactly_once"] = (
        sorted(urls) == sorted(expected) and revisions == 0 and finders == len(expected)
    )
    row["load_after"] = load()
    client.close()
    return row


def wait_until(condition: Any, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


def stored_count(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=5) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8, help="requests per source")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--no-faults", dest="faults", action="store_false", help="skip the SIGKILL row"
    )
    args = parser.parse_args()
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        print("bench/scale.py needs taskset and two cores", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="aitrack-scale-"))
    redis, url = start_redis(tmp / "redis")
    sites: list[subprocess.Popen[str]] = []
    try:
        sites, bases = start_hosts(args.pages, args.hosts)
        sources = write_sources(tmp / "sources.yaml", bases, args.pages // args.hosts + 1)
        expected: set[str] = set()
        for base in bases:
            sitemap = urlopen(f"{base}/sitemap.xml", timeout=30).read().decode()
            expected.update(re.findall(r"<loc>([^<]+)</loc>", sitemap))
        startup = startup_cpu(url, sources)
        print(f"a worker's start-up and exit: {startup:.2f} CPU s", flush=True)
        rows: dict[str, list[dict[str, Any]]] = {"w1": [], "w2": []}
        ingests = []
        for n in range(args.rounds):
            for key in ("w1", "w2") if n % 2 == 0 else ("w2", "w1"):
                row = crawl_row(url, sources, int(key[1]), args.concurrency)
                if row["articles"] != len(expected):
                    raise RuntimeError(f"{key}: {row['articles']} of {len(expected)} on the stream")
                print(f"{key} round {n + 1}: {json.dumps(row)}", flush=True)
                rows[key].append(row)
            # The stream of this round's last row, stored into a new file.
            ingests.append(ingest_row(url, sources, tmp / f"round{n}.db", expected))
            print(f"ingest round {n + 1}: {json.dumps(ingests[-1])}", flush=True)
        faults = faults_row(url, sources, tmp / "faults.db", expected) if args.faults else None
        if faults:
            print(f"faults: {json.dumps(faults)}", flush=True)
    finally:
        stop_hosts(sites)
        stop_redis(redis)
        shutil.rmtree(tmp, ignore_errors=True)
    w1 = statistics.median(r["pages_per_s"] for r in rows["w1"])
    w2 = statistics.median(r["pages_per_s"] for r in rows["w2"])
    rate = statistics.median(r["articles_per_s"] for r in ingests)
    cpu1 = statistics.median(r["pages_per_cpu_s"] for r in rows["w1"])
    cpu2 = statistics.median(r["pages_per_cpu_s"] for r in rows["w2"])
    ingest_cpu = statistics.median(r["articles_per_cpu_s"] for r in ingests)
    # CPU ms per page of crawl work: the workers' CPU less their start-ups. On idle
    # cores a CPU-bound worker's pages/s is 1000 / this, so 2 workers over 1 would be
    # twice the ratio of these; a projection, printed as one, not a measurement.
    ms = {
        key: statistics.median(
            (r["worker_cpu_s"] - r["workers"] * startup) * 1000 / r["articles"] for r in rows[key]
        )
        for key in ("w1", "w2")
    }
    figures = {
        "pages": len(expected),
        "hosts": args.hosts,
        "w1_pages_per_s": w1,
        "w2_pages_per_s": w2,
        "ratio": w2 / w1,
        "ingest_articles_per_s": rate,
        "w1_pages_per_cpu_s": cpu1,
        "w2_pages_per_cpu_s": cpu2,
        "ingest_articles_per_cpu_s": ingest_cpu,
        "load": [r["load_before"] for k in ("w1", "w2") for r in rows[k]],
        "startup_cpu_s": startup,
        "cpu_ms_per_page": ms,
        "projected_ratio": 2 * ms["w1"] / ms["w2"],
        "exactly_once": all(r["exactly_once"] for r in ingests),
        "faults": faults,
        "rows": rows,
        "ingests": ingests,
    }
    print(
        f"\n1 worker: {w1:.1f} pages/s; 2 workers: {w2:.1f} pages/s; ratio {w2 / w1:.2f} "
        f"(target >= {TARGET_RATIO}); ingest {rate:.0f} articles/s (target >= "
        f"{TARGET_INGEST:.0f}); exactly once: {figures['exactly_once']}; load average "
        + ", ".join(str(x) for x in figures["load"])
        + "; cores taken by everything else during the rows: "
        + ", ".join(str(r["other_cores"]) for k in ("w1", "w2") for r in rows[k])
        + (
            f"\nSIGKILLed worker and ingest: exactly once: {faults['exactly_once']}"
            if faults
            else ""
        )
        + f"\nper CPU-second: 1 worker {cpu1:.1f} pages, 2 workers {cpu2:.1f} pages; "
        f"ingest {ingest_cpu:.0f} articles"
        f"\ncrawl CPU ms per page (start-ups of {startup:.1f} s each taken out): 1 worker "
        f"{ms['w1']:.1f}, 2 workers {ms['w2']:.1f}: on idle cores 2 workers would do "
        f"{2 * ms['w1'] / ms['w2']:.2f}x one (projected, not measured)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
