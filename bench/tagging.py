#!/usr/bin/env python3
"""Tagging quality on our labeled set, and its cost next to extraction.

Quality: every item of tests/fixtures/tagging/*.yaml lists the topics it must get and
the topics it must not get. Prints, per topic, recall of the expected tags and how often
a forbidden tag was assigned, then AI-relevance accuracy.

Cost: on pages of ../shared/eval/extraction whose article is 800-1,200 words, the time
to tag the extracted text against the time to extract it, measured alternately on the
same pages (median of per-page ratios).

    .venv/bin/python bench/tagging.py [--misses] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.extract import ExtractionError, extract_article  # noqa: E402
from pipelines.tagging import load_taxonomy, tag_text  # noqa: E402

LABELED = ROOT / "tests" / "fixtures" / "tagging"
EVAL = ROOT.parent / "shared" / "eval" / "extraction"


def load_items() -> list[dict]:
    items = []
    for path in sorted(LABELED.glob("*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


def quality(items: list[dict]) -> dict:
    slugs = [t.slug for t in load_taxonomy().topics]
    expected, got, forbidden, forbidden_hit, assigned, assigned_ok = (Counter() for _ in range(6))
    ai_right = 0
    misses = []
    for item in items:
        tags = tag_text(item["title"], item["body"])
        topics = {t.slug for t in tags.topics}
        ai_right += tags.is_ai == item["is_ai"]
        for slug in item["topics"]:
            expected[slug] += 1
            got[slug] += slug in topics
            if slug not in topics:
                misses.append((item["id"], f"missed {slug}"))
        for slug in item["not_topics"]:
            forbidden[slug] += 1
            if slug in topics:
                forbidden_hit[slug] += 1
                misses.append((item["id"], f"forbidden {slug}"))
        for slug in topics:
            assigned[slug] += 1
            assigned_ok[slug] += slug in item["topics"]
        if tags.is_ai != item["is_ai"]:
            misses.append((item["id"], f"is_ai {tags.is_ai} (relevance {tags.relevance})"))
    return {
        "slugs": slugs,
        "expected": expected,
        "got": got,
        "forbidden": forbidden,
        "forbidden_hit": forbidden_hit,
        "assigned": assigned,
        "assigned_ok": assigned_ok,
        "ai_accuracy": ai_right / len(items),
        "items": len(items),
        "misses": misses,
    }


def cost(limit_pages: int = 30) -> dict:
    truth = json.loads((EVAL / "ground-truth.json").read_text())
    pages = [
        (pid, v["url"])
        for pid, v in sorted(truth.items())
        if 800 <= len(v.get("articleBody", "").split()) <= 1200
    ][:limit_pages]
    ratios, extract_ms, tag_ms, words = [], [], [], []
    load_taxonomy()  # compiled once, as in a crawl
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pid, url in pages:
            html = gzip.decompress((EVAL / "html" / f"{pid}.html.gz").read_bytes())
            try:
                start = time.perf_counter()
                extracted = extract_article(html, url)
                e = time.perf_counter() - start
            except ExtractionError:
                continue
            start = time.perf_counter()
            tag_text(extracted.title or "", extracted.text)
            t = time.perf_counter() - start
            ratios.append(t / e)
            extract_ms.append(e * 1000)
            tag_ms.append(t * 1000)
            words.append(extracted.word_count)
    return {
        "pages": len(ratios),
        "ratio": statistics.median(ratios),
        "extract_ms": statistics.median(extract_ms),
        "tag_ms": statistics.median(tag_ms),
        "words": statistics.median(words),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the items it got wrong")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    items = load_items()
    q = quality(items)
    print(f"labeled items: {q['items']} (tests/fixtures/tagging)\n")
    print(
        f"{'topic':<12} {'expected':>8} {'recall':>7} {'forbidden':>9} {'assigned':>8} "
        f"{'precision':>9}"
    )
    for slug in q["slugs"]:
        exp, fb, asg = q["expected"][slug], q["forbidden"][slug], q["assigned"][slug]
        recall = q["got"][slug] / exp if exp else float("nan")
        fshare = q["forbidden_hit"][slug] / fb if fb else float("nan")
        precision = q["assigned_ok"][slug] / asg if asg else float("nan")
        print(f"{slug:<12} {exp:>8} {recall:>7.3f} {fshare:>9.3f} {asg:>8} {precision:>9.3f}")
    total_exp = sum(q["expected"].values())
    total_fb = sum(q["forbidden"].values())
    print(
        f"{'all':<12} {total_exp:>8} {sum(q['got'].values()) / total_exp:>7.3f} "
        f"{sum(q['forbidden_hit'].values()) / total_fb:>9.3f} "
        f"{sum(q['assigned'].values()):>8} "
        f"{sum(q['assigned_ok'].values()) / max(1, sum(q['assigned'].values())):>9.3f}"
    )
    print(f"\nAI-relevance accuracy: {q['ai_accuracy']:.3f}")
    print(
        "(recall: expected tags assigned; forbidden: share of must-not tags assigned;"
        " precision: assigned tags that were expected)"
    )
    if args.misses:
        for item_id, what in q["misses"]:
            print(f"  {item_id}: {what}")
    figures = {
        "recall": sum(q["got"].values()) / total_exp,
        "forbidden": sum(q["forbidden_hit"].values()) / total_fb,
        "ai_accuracy": q["ai_accuracy"],
        "items": q["items"],
    }
    if EVAL.is_dir():
        c = cost()
        figures["tag_over_extract"] = c["ratio"]
        print(
            f"\ncost on {c['pages']} pages of ~{c['words']:.0f} words: tagging "
            f"{c['tag_ms']:.2f} ms, extraction {c['extract_ms']:.1f} ms (medians); "
            f"tagging/extraction = {c['ratio']:.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
