#!/usr/bin/env python3
"""`make bench`: every benchmark in one invocation, and one table of their figures.

Runs, one after the other so that they do not share the two cores:
  bench/crawl.py       throughput: aitrack against bare Scrapy + trafilatura in both
                       modes and on a process pool; stages, incremental, memory
  bench/dbscale.py     FTS search latency through Datasette at 10k, 100k and 1M articles
  bench/extraction.py  body F1 and date accuracy (shared scorers), next to trafilatura
  bench/tagging.py     topic recall, forbidden tags, AI-relevance accuracy
  bench/legal.py       legal identifier precision and recall (held-out part first)
  bench/stories.py     stories: pairwise precision/recall/F1 (held-out first), the
                       share of per-article time, lookup cost at 10k and 1M stored
  bench/scale.py       the scaled-out crawl: 1 vs 2 pinned workers, ingest articles/s
                       (needs redis-server and taskset; skipped without them)

Then prints the table as Markdown (docs/performance.md holds the latest), with the
acceptance targets of issue 8 beside the figures they apply to.

    .venv/bin/python bench/all.py [--pages 2000] [--rounds 3] [--quick] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def run_part(script: str, out: Path, *args: str) -> tuple[dict[str, Any], float]:
    """Run one bench script with --json; its figures and its wall time."""
    print(f"== bench/{script} {' '.join(args)}", flush=True)
    start = time.perf_counter()
    subprocess.run([PYTHON, str(ROOT / "bench" / script), *args, "--json", str(out)], check=True)
    return json.loads(out.read_text()), time.perf_counter() - start


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024**2:.0f} GiB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "**NOT MET**"


def stories_rows(st: dict[str, Any]) -> list[tuple[str, str, str]]:
    """bench/stories.py's figures as rows of the table."""
    rows: list[tuple[str, str, str]] = []
    q, share, scale = st["quality"], st["share"], st["scale"]
    rows.append(
        (
            "Stories, pairwise (held-out test part; dev)",
            f"P {q['test']['precision']:.3f}, R {q['test']['recall']:.3f}, "
            f"F1 {q['test']['f1']:.3f} on {q['test']['pairs']} pairs; dev F1 "
            f"{q['dev']['f1']:.3f}",
            f"F1 ≥ 0.9: {verdict(q['test']['f1'] >= 0.9)}",
        )
    )
    rows.append(
        (
            "Stories: added per-article time",
            f"+{share['added_pct']:.1f} % (fingerprint {share['fingerprint_ms']:.2f} ms, "
            f"lookup {share['lookup_ms']:.2f} ms)",
            f"≤ 20 %: {verdict(share['added_pct'] <= 20)}",
        )
    )
    largest = max(int(k) for k in scale if k.isdigit())
    rows.append(
        (
            f"Stories: lookup at {largest:,} / 10k stored",
            f"{scale['ratio']:.2f}× ({scale[str(largest)]['lookup_ms']:.3f} ms against "
            f"{scale['10000']['lookup_ms']:.3f} ms)",
            f"≤ 2: {verdict(scale['ratio'] <= 2)}" if largest >= 1_000_000 else "",
        )
    )
    return rows


def table(figures: dict[str, Any]) -> str:
    t, m = figures["crawl"]["throughput"], figures["crawl"].get("memory")
    d, x, g = figures.get("dbscale"), figures.get("extraction"), figures.get("tagging")
    legal = figures.get("legal")
    rows = [
        (
            "Crawl throughput",
            f"site of {t['pages']} pages, median of {t['rounds']} rounds (every row in each "
            "round, order alternating); CPU: whole process tree, start-up included",
            "",
        )
    ]
    for key, row in t["rows"].items():
        figure = f"{row['pages_per_s']:.1f} pages/s, {row['cpu_ms_per_page']:.1f} CPU ms/page"
        if key in t["b_over"]:
            figure += f"; (b) {t['b_over'][key]:.2f}× this, (b0) {t['b0_over'][key]:.2f}×"
        if key == "b1":
            figure += (
                f"; writing an article takes {t['write_ms']['b1']:.2f} ms against "
                f"{t['write_ms']['b']:.2f} ms batched"
            )
        note = {"b0": "what the pool is worth", "b1": "what batching is worth"}.get(key, "")
        rows.append((row["label"], figure, "strongest baseline" if key == t["strongest"] else note))
    ratio = t["b_over_strongest"]
    rows += [
        (
            f"(b) / strongest baseline ({t['strongest']})",
            f"{ratio:.2f}",
            f"≥ 1.2: {verdict(ratio >= 1.2)}",
        ),
        (
            "(b) stored, errors",
            f"{t['b_stored']} stored, {t['b_errors']} errors",
            verdict(t["b_stored"] >= t["pages"] and t["b_errors"] == 0),
        ),
    ]
    stages = t["stage_ms_per_page"]
    rows.append(
        (
            "Where the time goes (ms per page)",
            ", ".join(f"{k} {v:.2f}" for k, v in stages.items()),
            "download: summed latency; extract, tag, legal: timed in the workers",
        )
    )
    rows.append(
        (
            "Incremental: second crawl / first (wall)",
            f"{t['incremental_wall_ratio']:.3f} ({t['incremental_run_s']:.2f} s run, "
            f"{t['incremental_bodies']} bodies re-fetched, {t['incremental_pages']} requests)",
            f"≤ 0.10: {verdict(t['incremental_wall_ratio'] <= 0.10)}",
        )
    )
    if d:
        for size in d["sizes"]:
            rows.append(
                (
                    f"FTS search, {size['articles']:,} articles",
                    f"p50 {size['p50_ms']:.1f} ms, p95 {size['p95_ms']:.1f} ms, "
                    f"{size['bytes_per_article'] / 1024:.1f} KB/article",
                    "",
                )
            )
        if d.get("p95_ratio_1m_10k") is not None:
            ratio = d["p95_ratio_1m_10k"]
            rows.append(("FTS p95 1M / 10k", f"{ratio:.2f}", f"≤ 5: {verdict(ratio <= 5)}"))
        else:
            ratio = d["p95_ratio_largest_smallest"]
            rows.append(("FTS p95 largest / smallest", f"{ratio:.2f}", ""))
    if m:
        peaks = ", ".join(f"{int(n):,} pages {mb:.0f} MB" for n, mb in m["peak_rss_mb"].items())
        rows.append(
            (
                "Peak RSS (crawl + workers)",
                f"{peaks}; ratio {m['ratio']:.2f}",
                f"≤ 1.5: {verdict(m['ratio'] <= 1.5)}",
            )
        )
    if x:
        for name, row in x.items():
            if name == "sets":  # per set and part, in bench/extraction.py's own table
                continue
            dates = row.get("date_accuracy")
            rows.append(
                (
                    f"Extraction quality: {row.get('label', name)}",
                    f"F1 {row['f1']:.4f}, date accuracy "
                    + (f"{dates:.3f}" if dates is not None else "n/a (no metadata asked for)")
                    + f", {row['ms_per_page']:.1f} ms/page",
                    "",
                )
            )
    if g:
        rows.append(
            (
                "Tagging quality (held out, events not in dev; dev 10-fold)",
                f"recall {g['recall']:.3f}, forbidden {g['forbidden']:.3f}, "
                f"AI accuracy {g['ai_accuracy']:.3f}; dev recall {g['dev_recall']:.3f}, "
                f"forbidden {g['dev_forbidden']:.3f}"
                + (
                    f"; cost {g['tag_over_extract']:.3f} of extraction"
                    if "tag_over_extract" in g
                    else ""
                ),
                "recall ≥ 0.93, forbidden ≤ 0.02, AI ≥ 0.97, cost < 0.3",
            )
        )
    if legal:
        held, dev = legal["test"], legal["dev"]
        rows.append(
            (
                "Legal identifiers (held-out test part; dev)",
                f"precision {held['precision']:.3f}, recall {held['recall']:.3f} on "
                f"{held['sentences']} "
                f"sentences; dev precision {dev['precision']:.3f}, recall {dev['recall']:.3f}"
                + (
                    f"; deadlines in sentences: precision {dl['precision']:.3f}, recall "
                    f"{dl['recall']:.3f} on {dl['marks']}"
                    if (dl := legal.get("deadlines_test"))
                    else ""
                ),
                f"precision ≥ 0.97, recall ≥ 0.93: "
                f"{verdict(held['precision'] >= 0.97 and held['recall'] >= 0.93)}",
            )
        )
    if figures.get("stories"):
        rows += stories_rows(figures["stories"])
    sc = figures.get("scale")
    if sc:
        load = ", ".join(str(x) for x in sc["load"])
        rows.append(
            (
                f"Scale-out: 2 workers / 1 worker, each pinned to a core ({sc['pages']} pages, "
                f"{sc['hosts']} hosts; load average {load})",
                f"{sc['ratio']:.2f} ({sc['w2_pages_per_s']:.1f} vs {sc['w1_pages_per_s']:.1f} "
                f"pages/s; per CPU-second {sc['w2_pages_per_cpu_s']:.1f} vs "
                f"{sc['w1_pages_per_cpu_s']:.1f}; projected on idle cores "
                f"{sc['projected_ratio']:.2f})",
                f"≥ 1.7: {verdict(sc['ratio'] >= 1.7)}",
            )
        )
        rows.append(
            (
                "Scale-out: the single writer (aitrack ingest)",
                f"{sc['ingest_articles_per_s']:.0f} articles/s "
                f"({sc['ingest_articles_per_cpu_s']:.0f} per CPU-second); exactly once: "
                f"{sc['exactly_once']}",
                f"≥ 500: {verdict(sc['ingest_articles_per_s'] >= 500)}",
            )
        )
        if sc.get("faults"):
            rows.append(
                (
                    "Scale-out: a worker and then the ingest killed with SIGKILL, restarted",
                    f"every page exactly once: {sc['faults']['exactly_once']}",
                    f"exactly once: {verdict(sc['faults']['exactly_once'])}",
                )
            )
    lines = ["| measure | figure | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the harness")
    parser.add_argument("--json", type=Path, help="also write all figures here")
    args = parser.parse_args()
    started = time.perf_counter()
    figures: dict[str, Any] = {"machine": machine()}
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="aitrack-bench-") as tmp:
        out = Path(tmp)
        crawl_args = ["--pages", str(args.pages), "--rounds", str(args.rounds)]
        db_args: list[str] = []
        if args.quick:
            crawl_args = ["--pages", "200", "--rounds", "1", "--memory", "100,300"]
            db_args = ["--sizes", "1000,3000"]
        figures["crawl"], seconds["crawl"] = run_part("crawl.py", out / "c.json", *crawl_args)
        figures["dbscale"], seconds["dbscale"] = run_part("dbscale.py", out / "d.json", *db_args)
        if (ROOT.parent / "shared" / "eval").is_dir():
            figures["extraction"], seconds["extraction"] = run_part("extraction.py", out / "x.json")
        else:
            print("no ../shared/eval: extraction quality skipped", file=sys.stderr)
        figures["tagging"], seconds["tagging"] = run_part("tagging.py", out / "g.json")
        figures["legal"], seconds["legal"] = run_part("legal.py", out / "l.json")
        story_args = ["--quick"] if args.quick else ["--million"]
        figures["stories"], seconds["stories"] = run_part("stories.py", out / "s.json", *story_args)
        if shutil.which("redis-server") and shutil.which("taskset"):
            scale_args = ["--pages", "200", "--rounds", "1"] if args.quick else []
            figures["scale"], seconds["scale"] = run_part("scale.py", out / "s.json", *scale_args)
        else:
            print("no redis-server or taskset: the scale-out bench skipped", file=sys.stderr)
    figures["seconds"] = seconds | {"total": time.perf_counter() - started}
    print(f"\nmachine: {figures['machine']}")
    print(
        f"bench time: {figures['seconds']['total'] / 60:.1f} min ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
        + ")\n"
    )
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
