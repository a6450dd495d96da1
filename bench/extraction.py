#!/usr/bin/env python3
"""Extraction quality and speed: aitrack extract side by side with bare trafilatura.

Bare trafilatura runs in both of bench/bare_trafilatura.py's modes: its defaults with
metadata, as a user would call it, and exactly the options aitrack passes (fast=True, no
metadata, ...), so that the speed comparison is between like calls too. The second asks
for no metadata, so it has no date accuracy.

Runs the shared scorers (../shared/eval/score_extraction.py for article bodies,
score_dates.py for publication dates) over both extractors in the same invocation, then
times both extractors in-process on the same pages, alternating which goes first on
each page so that machine noise falls on both alike. Prints one table.

The scorers run a command per page; here that command posts the page with curl to
bench/extract_service.py, whose workers call what `aitrack extract` and
bench/bare_trafilatura.py call (a Python start per page made this take 10 minutes).

    .venv/bin/python bench/extraction.py            # everything (about a minute)
    .venv/bin/python bench/extraction.py --limit 50 # a quick look
    .venv/bin/python bench/extraction.py --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
PY = sys.executable
# name (the service's path) -> what it is, in the table's words
EXTRACTORS = {
    "aitrack": "aitrack",
    "trafilatura": "trafilatura, default options (with_metadata=True)",
    "trafilatura-aitrack-options": "trafilatura, aitrack's options (fast=True, ...)",
}
NO_DATES = {"trafilatura-aitrack-options"}  # with_metadata=False: it looks for none
DATES_LINE = re.compile(r"accuracy=([\d.]+)\s+coverage=([\d.]+)\s+precision=([\d.]+)")


def score_bodies(cmd: str, limit: int | None, jobs: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    args = [
        PY,
        str(EVAL / "score_extraction.py"),
        "--cmd",
        cmd,
        "--field",
        "text",
        "--json",
        str(out),
        "-j",
        str(jobs),
        "--n-bootstrap",
        "200",
    ]
    if limit:
        args += ["--limit", str(limit)]
    subprocess.run(args, check=True, capture_output=True)
    metrics = json.loads(out.read_text())
    out.unlink()
    return metrics


def score_dates(cmd: str, limit: int | None, jobs: int) -> dict:
    args = [PY, str(EVAL / "score_dates.py"), "--cmd", cmd, "--field", "published", "-j", str(jobs)]
    if limit:
        args += ["--limit", str(limit)]
    result = subprocess.run(args, check=True, capture_output=True, text=True)
    match = DATES_LINE.search(result.stdout)
    if not match:
        raise SystemExit(f"score_dates.py printed no figures:\n{result.stdout}{result.stderr}")
    return dict(zip(("accuracy", "coverage", "precision"), map(float, match.groups()), strict=True))


def time_in_process(limit: int | None) -> dict[str, float]:
    """Median ms per page for each extractor, same pages, alternating order."""
    sys.path.insert(0, str(ROOT))
    from bench.bare_trafilatura import body_text
    from pipelines.extract import ExtractionError, extract_article

    def ours(html: bytes, url: str) -> None:
        with contextlib.suppress(ExtractionError):  # the baseline does not raise either
            extract_article(html, url)

    def bare(html: bytes, url: str) -> None:
        body_text(html.decode("utf-8", "replace"), url, "default")

    def bare_same_options(html: bytes, url: str) -> None:
        body_text(html.decode("utf-8", "replace"), url, "aitrack")

    pages = []
    truth = json.loads((EVAL / "extraction/ground-truth.json").read_text())
    for pid in sorted(truth)[:limit]:
        pages.append((EVAL / f"extraction/html/{pid}.html.gz", truth[pid]["url"]))
    labels = json.loads((EVAL / "dates/labels.json").read_text())
    for pid in sorted(labels)[:limit]:
        pages.append((EVAL / f"dates/html/{pid}.html.gz", labels[pid]["url"]))
    order = [
        ("aitrack", ours),
        ("trafilatura", bare),
        ("trafilatura-aitrack-options", bare_same_options),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in order}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n, (path, url) in enumerate(pages):
            html = gzip.decompress(path.read_bytes())
            for name, fn in order if n % 2 else reversed(order):
                start = time.perf_counter()
                fn(html, url)
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()} | {
        "pages": len(pages)
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N pages of each set")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not EVAL.is_dir():
        raise SystemExit(f"no evaluation data at {EVAL}")
    sys.path.insert(0, str(ROOT / "bench"))
    from extract_service import command, start_service, stop_service

    server, pool, base = start_service(args.jobs)
    rows = {}
    try:
        for name in EXTRACTORS:
            print(f"scoring {name} ...", file=sys.stderr)
            cmd = command(base, name)
            rows[name] = {
                "body": score_bodies(cmd, args.limit, args.jobs),
                "dates": None if name in NO_DATES else score_dates(cmd, args.limit, args.jobs),
            }
    finally:
        stop_service(server, pool)
    print("timing in-process ...", file=sys.stderr)
    speed = time_in_process(args.limit)
    print()
    print(
        f"{'extractor':<28} {'body F1':>8} {'prec':>7} {'recall':>7} {'date acc':>9} "
        f"{'date cov':>9} {'ms/page':>8}"
    )
    for name, row in rows.items():
        body, dates = row["body"], row["dates"] or {"accuracy": None, "coverage": None}
        date_figures = "".join(
            f" {dates[k]:>9.4f}" if dates[k] is not None else f" {'n/a':>9}"
            for k in ("accuracy", "coverage")
        )
        print(
            f"{name:<28} {body['f1']:>8.4f} {body['precision']:>7.4f} {body['recall']:>7.4f}"
            f"{date_figures} {speed[name]:>8.1f}"
        )
    a, t = rows["aitrack"], rows["trafilatura"]
    print(
        f"\nbody pages: {a['body']['n_pages']} (F1 ±{a['body']['f1_std']:.4f} bootstrap); "
        f"speed measured on {speed['pages']} pages, alternating order"
    )
    print(
        f"aitrack - trafilatura: body F1 {a['body']['f1'] - t['body']['f1']:+.4f}, "
        f"date accuracy {a['dates']['accuracy'] - t['dates']['accuracy']:+.4f}, "
        f"time ratio {speed['aitrack'] / speed['trafilatura']:.2f}x; against trafilatura with "
        f"aitrack's options: body F1 "
        f"{a['body']['f1'] - rows['trafilatura-aitrack-options']['body']['f1']:+.4f}, "
        f"time ratio {speed['aitrack'] / speed['trafilatura-aitrack-options']:.2f}x"
    )
    if args.json:
        figures = {
            name: {
                "label": EXTRACTORS[name],
                "f1": row["body"]["f1"],
                "precision": row["body"]["precision"],
                "recall": row["body"]["recall"],
                "date_accuracy": row["dates"]["accuracy"] if row["dates"] else None,
                "date_coverage": row["dates"]["coverage"] if row["dates"] else None,
                "ms_per_page": speed[name],
            }
            for name, row in rows.items()
        }
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
