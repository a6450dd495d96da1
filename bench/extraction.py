#!/usr/bin/env python3
"""Extraction quality and speed: aitrack side by side with bare trafilatura 2.3.1 in both
of its modes (default, and `fast=True`), in the same run, on every page set we have.

Each page is given to the three extractors in one worker, in an order that rotates from
page to page, so that the noise of a shared machine falls on all three alike; the same
run yields the texts, the dates, the titles and the time each call took.

Figures, per set, test part first (bench/devsets.py: a fixed hash split of page ids;
rules are tuned on the development part only):

- `benchmark` (88 pages): body F1, precision and recall by the shared scorer's own
  functions (../shared/eval/score_extraction.py: word 4-grams, macro averages).
- `dates` (800 pages): share of pages whose day equals the label (the rule of
  ../shared/eval/score_dates.py).
- `trafilatura` (990 pages): its evaluation's snippets; precision = found "with"
  snippets / (those + found "without" snippets), recall = found "with" / all "with".
- `goose3` (51 pages): title exactly right (whitespace-normalised, any case; 8 pages
  have a title), and recall of the expected opening of the text (word 4-grams).
- `own`: our demo pages' titles (written by us, tuned on: not out of sample).

"2nd op" is the share of pages on which aitrack's safety net ran its second opinion
(pipelines/extract/evidence.py): the cost of the net is in aitrack's ms/page.

Baselines: `trafilatura.bare_extraction(html, url=url, with_metadata=True)`, with its
default options (comments included, tables included) and with `fast=True`. aitrack
turns comments off and runs trafilatura in fast mode on the pruned page.

    .venv/bin/python bench/extraction.py               # everything (a few minutes)
    .venv/bin/python bench/extraction.py --sets benchmark --limit 40
    .venv/bin/python bench/extraction.py --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from devsets import EVAL, SETS, Page  # noqa: E402

EXTRACTORS = ("aitrack", "trafilatura", "trafilatura-fast")
DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _scorer() -> Any:
    """The shared body scorer, imported from ../shared/eval (not copied)."""
    spec = importlib.util.spec_from_file_location("score_extraction", EVAL / "score_extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_aitrack(html: bytes, url: str) -> dict:
    from pipelines.extract import ExtractionError, extract_article

    with contextlib.suppress(ExtractionError):  # no article: empty, as the CLI's exit 1
        out = extract_article(html, url)
        return {
            "text": out.text,
            "published": out.published,
            "title": out.title,
            "how": out.provenance.get("text"),
        }
    return {"text": "", "published": None, "title": None}


def _run_trafilatura(html: bytes, url: str, fast: bool) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html.decode("utf-8", errors="replace"), url=url or None, with_metadata=True, fast=fast
    )
    if doc is None:
        return {"text": "", "published": None, "title": None}
    return {"text": doc.text or "", "published": doc.date, "title": doc.title}


RUNNERS = {
    "aitrack": _run_aitrack,
    "trafilatura": lambda html, url: _run_trafilatura(html, url, fast=False),
    "trafilatura-fast": lambda html, url: _run_trafilatura(html, url, fast=True),
}


def run_page(task: tuple[int, Page]) -> tuple[Page, dict[str, dict]]:
    n, page = task
    html = page.read()
    order = EXTRACTORS[n % 3 :] + EXTRACTORS[: n % 3]
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in order:
            start = time.perf_counter()
            try:
                result = RUNNERS[name](html, page.url)
            except Exception as exc:  # a crash is a miss, and is counted
                result = {"text": "", "published": None, "title": None, "error": repr(exc)}
            result["ms"] = (time.perf_counter() - start) * 1000
            results[name] = result
    return page, results


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _shingle_recall(expected: str, got: str, scorer: Any) -> float | None:
    truth = scorer.shingles(expected)
    if not truth:
        return None
    return sum((truth & scorer.shingles(got)).values()) / sum(truth.values())


def score_set(name: str, rows: list[tuple[Page, dict]], extractor: str, scorer: Any) -> dict:
    """The figures for one extractor on some pages of one set."""
    out: dict[str, Any] = {"pages": len(rows)}
    if not rows:
        return out
    outs = [r[extractor] for _, r in rows]
    out["ms"] = statistics.median(o["ms"] for o in outs)
    out["errors"] = sum("error" in o for o in outs)
    if extractor == "aitrack":  # how often the safety net's second opinion ran
        out["second_opinion"] = sum(o.get("how") in ("checked", "voted") for o in outs) / len(outs)
    if name == "benchmark":
        truth = {p.id: p.truth["body"] for p, _ in rows}
        preds = {p.id: r[extractor]["text"] for p, r in rows}
        metrics = scorer.score(truth, preds, n_bootstrap=0)
        out |= {k: metrics[k] for k in ("f1", "precision", "recall")}
    if name in ("benchmark", "dates"):
        dated = [(p, r[extractor]) for p, r in rows if p.truth.get("date")]
        if dated:
            days = [DAY.search(o["published"] or "") for _, o in dated]
            out["date_accuracy"] = sum(
                bool(d) and d.group(0) == p.truth["date"]
                for (p, _), d in zip(dated, days, strict=True)
            ) / len(dated)
    if name == "trafilatura":
        counts: Counter[str] = Counter()
        for page, r in rows:
            text = _norm(r[extractor]["text"])
            with_found = sum(_norm(w) in text for w in page.truth["with"]) if text else 0
            without_found = sum(_norm(w) in text for w in page.truth["without"]) if text else 0
            counts["tp"] += with_found
            counts["fn"] += len(page.truth["with"]) - with_found
            counts["fp"] += without_found
        p = counts["tp"] / ((counts["tp"] + counts["fp"]) or 1)
        r = counts["tp"] / ((counts["tp"] + counts["fn"]) or 1)
        out |= {"precision": p, "recall": r, "f1": 2 * p * r / ((p + r) or 1)}
    if name in ("goose3", "own"):
        titled = [(p, r[extractor]) for p, r in rows if p.truth.get("title")]
        if titled:
            out["title_accuracy"] = sum(
                _norm(o["title"]).casefold() == _norm(p.truth["title"]).casefold()
                for p, o in titled
            ) / len(titled)
            out["titled_pages"] = len(titled)
        recalls = [
            _shingle_recall(p.truth.get("opening", ""), r[extractor]["text"], scorer)
            for p, r in rows
        ]
        recalls = [x for x in recalls if x is not None]
        if recalls:
            out["recall"] = sum(recalls) / len(recalls)
    return out


def fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--limit", type=int, help="only the first N pages of each set")
    parser.add_argument("--part", choices=("dev", "test", "all"), default="all")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--pages", type=Path, help="write per-page outputs here (JSON)")
    args = parser.parse_args()
    if not EVAL.is_dir():
        raise SystemExit(f"no evaluation data at {EVAL}")
    names = [s for s in args.sets.split(",") if s]
    pages: list[Page] = []
    for name in names:
        found = [p for p in SETS[name]() if args.part in ("all", p.part)][: args.limit]
        if not found:
            print(f"{name}: no pages (see bench/devsets.py)", file=sys.stderr)
        pages.extend(found)
    scorer = _scorer()
    started = time.perf_counter()
    with Pool(args.jobs) as pool:
        done = list(pool.imap_unordered(run_page, enumerate(pages), chunksize=4))
    seconds = time.perf_counter() - started
    by_set: dict[str, list[tuple[Page, dict]]] = {}
    for page, results in done:
        by_set.setdefault(page.set, []).append((page, results))

    figures: dict[str, Any] = {}
    header = (
        f"{'set':<12} {'part':<5} {'extractor':<17} {'pages':>5} {'F1':>7} {'P':>7} {'R':>7} "
        f"{'date acc':>8} {'title acc':>9} {'ms/page':>8} {'2nd op':>6}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        rows = by_set.get(name, [])
        for part in ("test", "dev", "all"):
            subset = [r for r in rows if part == "all" or r[0].part == part]
            for extractor in EXTRACTORS:
                f = score_set(name, subset, extractor, scorer)
                figures.setdefault(name, {}).setdefault(part, {})[extractor] = f
                print(
                    f"{name:<12} {part:<5} {extractor:<17} {f['pages']:>5} "
                    f"{fmt(f.get('f1')):>7} {fmt(f.get('precision')):>7} "
                    f"{fmt(f.get('recall')):>7} {fmt(f.get('date_accuracy')):>8} "
                    f"{fmt(f.get('title_accuracy')):>9} {fmt(f.get('ms'), 1):>8} "
                    f"{fmt(f.get('second_opinion'), 2):>6}"
                )
        print()
    all_ms = {
        e: statistics.median(r[e]["ms"] for _, r in done) if done else None for e in EXTRACTORS
    }
    print(
        "median ms/page over all "
        f"{len(done)} pages: "
        + ", ".join(f"{e} {fmt(all_ms[e], 1)}" for e in EXTRACTORS)
        + f"; aitrack / trafilatura-fast = {all_ms['aitrack'] / all_ms['trafilatura-fast']:.2f}x"
        f" ({args.jobs} workers, {seconds:.0f} s, on a shared machine)"
    )
    errors = {e: sum("error" in r[e] for _, r in done) for e in EXTRACTORS}
    if any(errors.values()):
        print(f"crashes (scored as empty): {errors}")
    if args.json:
        bench = figures.get("benchmark", {}).get("all", {})
        dates = figures.get("dates", {}).get("all", {})
        summary = {
            e: {
                "f1": bench.get(e, {}).get("f1"),
                "precision": bench.get(e, {}).get("precision"),
                "recall": bench.get(e, {}).get("recall"),
                "date_accuracy": dates.get(e, {}).get("date_accuracy"),
                "ms_per_page": all_ms[e],
            }
            for e in EXTRACTORS
        }
        args.json.write_text(json.dumps(summary | {"sets": figures}, indent=2))
    if args.pages:
        args.pages.write_text(
            json.dumps(
                {f"{p.set}:{p.id}": {"part": p.part, "url": p.url} | r for p, r in done},
                ensure_ascii=False,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
