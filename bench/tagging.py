#!/usr/bin/env python3
"""Tagging quality on our labeled set, out of sample, and its cost next to extraction.

Quality, in two parts that never mix:
- the test part, tests/fixtures/tagging/*.yaml: held out, never tuned on; tagged with
  everything (the rules and the semantic layer over all of data/exemplars.yaml). Its
  items are about real events, and a development item may report the same event in
  other words (those list it in `shares_event_with`): the figure printed first leaves
  them out, then every item is counted;
- the development part, data/exemplars.yaml: 10-fold cross-validation (each item is
  tagged by a semantic layer fitted on the other nine tenths). The taxonomy was tuned on
  these items, so the rules' figures here are in-sample, and the thresholds were chosen
  on this part (bench/tagging_cv.py gives the figure with thresholds chosen inside it).
Every item lists the topics it must get and the topics it must not get. Printed per
part and per topic: recall of the expected tags, how often a forbidden tag was
assigned, precision, and for comparison the rules alone; then AI-relevance accuracy.

Ordinary pages: how many of bench/general_pages.py's test half (blogs, news and
institutions' pages with no AI policy in them, cut to a title and a lead) are called AI.

Cost: on pages of ../shared/eval/extraction whose article is 800-1,200 words, the time
to tag the extracted text (both layers) against the time to extract it, measured
alternately on the same pages (median of per-page ratios), after tagging 40 other pages
as a worker would have (the semantic layer remembers the words it has tokenized).

    .venv/bin/python bench/tagging.py [--misses] [--json out.json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
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

from bench.general_pages import leads  # noqa: E402
from pipelines.extract import ExtractionError, extract_article  # noqa: E402
from pipelines.semantic import EXEMPLARS_PATH  # noqa: E402
from pipelines.tagging import (  # noqa: E402
    load_classifier,
    load_taxonomy,
    rule_features,
    split_paragraphs,
    tag_text,
)

LABELED = ROOT / "tests" / "fixtures" / "tagging"
EVAL = ROOT.parent / "shared" / "eval" / "extraction"
WARM_PAGES = 40  # other pages tagged before the measured ones, as a worker would have
FOLDS = 10  # the development part's cross-validation


def load_test_parts() -> dict[str, list[dict]]:
    """Each held-out file's items, by file name (each file's header says when it was
    written). An item whose event a development item also reports lists it in
    `shares_event_with` (found by a review of each test item's most similar development
    items)."""
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(LABELED.glob("*.yaml"))
    }


def load_test_items() -> list[dict]:
    return [item for items in load_test_parts().values() for item in items]


def load_dev_items() -> list[dict]:
    return yaml.safe_load(EXEMPLARS_PATH.read_text(encoding="utf-8"))


def fold_of(item_id: str) -> int:
    """An item's fold, from a hash of its id: the same on every run and machine."""
    return int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % FOLDS


def quality(items: list[dict], cross_validate: bool = False, semantic: bool = True) -> dict:
    slugs = [t.slug for t in load_taxonomy().topics]
    classifier = load_classifier()
    fitted = {}
    if cross_validate and semantic:  # each fold's layer, fitted without that fold
        for fold in range(FOLDS):
            fitted[fold] = classifier.without({i["id"] for i in items if fold_of(i["id"]) == fold})
    expected, got, forbidden, forbidden_hit, assigned, assigned_ok = (Counter() for _ in range(6))
    methods: Counter[str] = Counter()
    ai_right = 0
    misses = []
    for item in items:
        own = fitted[fold_of(item["id"])] if fitted else classifier
        tags = tag_text(item["title"], item["body"], classifier=own, semantic=semantic)
        topics = {t.slug for t in tags.topics}
        methods.update(t.method for t in tags.topics if t.slug in item["topics"])
        ai_right += tags.is_ai == item["is_ai"]
        for slug in item["topics"]:
            expected[slug] += 1
            got[slug] += slug in topics
            if slug not in topics:
                misses.append((item["id"], f"missed {slug}"))
        for slug in item.get("not_topics", []):
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
        "methods": methods,
        "ai_accuracy": ai_right / len(items),
        "items": len(items),
        "misses": misses,
    }


def totals(q: dict) -> dict:
    exp, fb = sum(q["expected"].values()), sum(q["forbidden"].values())
    asg = sum(q["assigned"].values())
    return {
        "recall": sum(q["got"].values()) / exp,
        "forbidden": sum(q["forbidden_hit"].values()) / max(1, fb),
        "precision": sum(q["assigned_ok"].values()) / max(1, asg),
        "ai_accuracy": q["ai_accuracy"],
        "items": q["items"],
    }


def report(title: str, q: dict, rules: dict) -> None:
    print(f"{title}: {q['items']} items\n")
    print(
        f"{'topic':<12} {'expected':>8} {'recall':>7} {'forbidden':>9} {'assigned':>8} "
        f"{'precision':>9} {'rules recall':>12}"
    )

    def share(a: float, b: float) -> float:
        return a / b if b else float("nan")

    for slug in q["slugs"]:
        exp = q["expected"][slug]
        print(
            f"{slug:<12} {exp:>8} {share(q['got'][slug], exp):>7.3f} "
            f"{share(q['forbidden_hit'][slug], q['forbidden'][slug]):>9.3f} "
            f"{q['assigned'][slug]:>8} {share(q['assigned_ok'][slug], q['assigned'][slug]):>9.3f}"
            f" {share(rules['got'][slug], exp):>12.3f}"
        )
    t, r = totals(q), totals(rules)
    print(
        f"{'all':<12} {sum(q['expected'].values()):>8} {t['recall']:>7.3f} "
        f"{t['forbidden']:>9.3f} {sum(q['assigned'].values()):>8} {t['precision']:>9.3f} "
        f"{r['recall']:>12.3f}"
    )
    made = ", ".join(f"{m} {n}" for m, n in sorted(q["methods"].items()))
    print(
        f"\nAI-relevance accuracy: {t['ai_accuracy']:.3f} (rules alone {r['ai_accuracy']:.3f});"
        f" rules alone: forbidden {r['forbidden']:.3f}\nexpected tags found by: {made}\n"
    )


def cost(limit_pages: int = 30) -> dict:
    truth = json.loads((EVAL / "ground-truth.json").read_text())
    pages = [
        (pid, v["url"])
        for pid, v in sorted(truth.items())
        if 800 <= len(v.get("articleBody", "").split()) <= 1200
    ][:limit_pages]
    others = [(pid, v["url"]) for pid, v in sorted(truth.items()) if (pid, v["url"]) not in pages]
    ratios, extract_ms, tag_ms, rules_ms, worst, words = [], [], [], [], [], []
    classifier = load_classifier()  # as a worker
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # As in a worker that has tagged some pages: the semantic layer remembers the words
        # it has tokenized, and a word it meets for the first time costs more (docs/tagging.md).
        for pid, url in others[:WARM_PAGES]:
            html = gzip.decompress((EVAL / "html" / f"{pid}.html.gz").read_bytes())
            try:
                extracted = extract_article(html, url)
            except ExtractionError:
                continue
            tag_text(extracted.title or "", extracted.text)
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
            start = time.perf_counter()
            tag_text(extracted.title or "", extracted.text, semantic=False)
            rules_ms.append((time.perf_counter() - start) * 1000)
            # The worst case: the semantic layer runs on a page only when it names some
            # AI term, so time it on every page as if each did.
            features = rule_features(extracted.title or "", extracted.text)
            start = time.perf_counter()
            classifier.propose(split_paragraphs(extracted.title or "", extracted.text), features)
            semantic_ms = (time.perf_counter() - start) * 1000
            worst.append((rules_ms[-1] + semantic_ms) / (e * 1000))
            ratios.append(t / e)
            extract_ms.append(e * 1000)
            tag_ms.append(t * 1000)
            words.append(extracted.word_count)
    return {
        "pages": len(ratios),
        "ratio": statistics.median(ratios),
        "extract_ms": statistics.median(extract_ms),
        "tag_ms": statistics.median(tag_ms),
        "rules_ms": statistics.median(rules_ms),
        "worst_ratio": statistics.median(worst),
        "words": statistics.median(words),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the items it got wrong")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--dev-only", action="store_true", help="skip the test part (tuning)")
    args = parser.parse_args()
    figures: dict = {}
    parts = [("dev", load_dev_items(), True)]
    if not args.dev_only:
        tests = load_test_items()
        # First the items whose event no development item reports (a review marked the
        # others `shares_event_with`): the out-of-sample figure; then every test item;
        # then each file's share of both, in a line.
        fresh = [i for i in tests if not i.get("shares_event_with")]
        parts[:0] = [("test", fresh, False), ("test_all", tests, False)]
        for stem, items in load_test_parts().items():
            key = stem.replace("-", "_")
            fresh_here = [i for i in items if not i.get("shares_event_with")]
            parts[-1:-1] = [(f"{key}_new", fresh_here, False), (f"{key}_all", items, False)]
    for name, items, folds in parts:
        q = quality(items, cross_validate=folds)
        rules = quality(items, semantic=False)
        t = totals(q)
        if name in ("dev", "test", "test_all"):
            report(
                {
                    "dev": f"DEV part (data/exemplars.yaml, {FOLDS}-fold; rules and"
                    " thresholds tuned here)",
                    "test": "TEST, events not in the development part (held out,"
                    " tests/fixtures/tagging/*.yaml)",
                    "test_all": "TEST, every item (some report an event a development"
                    " item reports too)",
                }[name],
                q,
                rules,
            )
        else:
            print(
                f"{name}: {t['items']} items, recall {t['recall']:.3f}, forbidden "
                f"{t['forbidden']:.3f}, AI accuracy {t['ai_accuracy']:.3f}"
            )
        if args.misses:
            for item_id, what in q["misses"]:
                print(f"  {item_id}: {what}")
            print()
        prefix = {"test": "", "dev": "dev_"}.get(name, f"{name}_")
        figures.update({f"{prefix}{k}": v for k, v in t.items()})
        figures[f"{prefix}rules_recall"] = totals(rules)["recall"]
    print(
        "(recall: expected tags assigned; forbidden: share of must-not tags assigned;"
        " precision: assigned tags that were expected)"
    )
    pages = leads("test")
    if pages:
        called = sum(tag_text(title, lead).is_ai for title, lead in pages)
        by_rules = sum(tag_text(title, lead, semantic=False).is_ai for title, lead in pages)
        figures["ordinary_pages_called_ai"] = called / len(pages)
        print(
            f"\nordinary pages (bench/general_pages.py, test half, unlabeled): {called} of"
            f" {len(pages)} called AI ({called / len(pages):.3f}; the rules alone {by_rules});"
            " a few are about AI, so this bounds the false-AI rate from above"
        )
    if EVAL.is_dir():
        c = cost()
        figures["tag_over_extract"] = c["ratio"]
        print(
            f"\ncost on {c['pages']} pages of ~{c['words']:.0f} words: tagging "
            f"{c['tag_ms']:.2f} ms (the rules alone {c['rules_ms']:.2f} ms), extraction "
            f"{c['extract_ms']:.1f} ms (medians); tagging/extraction = {c['ratio']:.3f}; "
            f"with the semantic layer on every page = {c['worst_ratio']:.3f}"
        )
        figures["tag_over_extract_worst"] = c["worst_ratio"]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
