#!/usr/bin/env python3
"""Legal identifier recognition, and deadlines found in sentences: precision and recall
on the labeled sets of tests/fixtures/legal/ (held-out test parts first).

A found identifier counts when its (kind, canonical id) is among the sentence's marks;
each sentence is a set, so a repeat within one sentence counts once. A found deadline
counts when its object, kind and day are all marked.

    .venv/bin/python bench/legal.py [--errors] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.legal import recognise  # noqa: E402
from pipelines.legal.article import article_legal  # noqa: E402

LABELED = ROOT / "tests" / "fixtures" / "legal"
PARTS = ("test", "dev")  # held-out first


@dataclass
class Item:
    text: str
    published: str | None
    expected: set[tuple[str, str]] = field(default_factory=set)


def load(path: Path) -> list[Item]:
    """The blocks of a labeled file (format in tests/fixtures/legal/README.md)."""
    items = []
    for n, block in enumerate(path.read_text(encoding="utf-8").split("\n\n"), 1):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        if not lines:
            continue
        published = lines.pop(0)[1:].strip() if lines[0].startswith("@") else None
        texts = [line for line in lines if not line.startswith("= ")]
        if len(texts) != 1:
            raise ValueError(f"{path.name}: block {n}: expected one sentence line")
        marks = set()
        for line in lines:
            if line.startswith("= "):
                kind, _, id = line[2:].partition(" ")
                marks.add((kind, id.strip()))
        items.append(Item(texts[0], published, marks))
    return items


def found_ids(item: Item) -> set[tuple[str, str]]:
    return {(m.kind, m.id) for m in recognise(item.text, item.published)}


def found_deadlines(item: Item) -> set[tuple[str, str]]:
    """Deadlines as marked: ("object_kind", "object_id | deadline_kind | day")."""
    _, deadlines = article_legal("", None, item.text, item.published)
    return {(d.object_kind, f"{d.object_id} | {d.kind} | {d.date}") for d in deadlines}


def score(
    items: list[Item], find: Callable[[Item], set[tuple[str, str]]] = found_ids
) -> dict[str, Any]:
    tp = fp = fn = 0
    errors = []
    for item in items:
        found = find(item)
        tp += len(found & item.expected)
        fp += len(found - item.expected)
        fn += len(item.expected - found)
        if found != item.expected:
            errors.append(
                {
                    "text": item.text,
                    "extra": sorted(found - item.expected),
                    "missed": sorted(item.expected - found),
                }
            )
    return {
        "sentences": len(items),
        "marks": tp + fn,
        "negatives": sum(1 for i in items if not i.expected),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the development errors")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = {part: score(load(LABELED / f"{part}.txt")) for part in PARTS}
    for part in PARTS:
        figures[f"deadlines_{part}"] = score(
            load(LABELED / f"deadlines_{part}.txt"), found_deadlines
        )
    for key, label in (
        ("test", "identifiers, held-out test"),
        ("dev", "identifiers, development"),
        ("deadlines_test", "deadlines in sentences, held-out test"),
        ("deadlines_dev", "deadlines in sentences, development"),
    ):
        f = figures[key]
        print(
            f"{label}: {f['sentences']} items ({f['negatives']} without any), "
            f"{f['marks']} marks: precision {f['precision']:.3f}, recall {f['recall']:.3f}"
        )
    print("targets (identifiers, held-out): precision >= 0.97, recall >= 0.93")
    if args.errors:  # the development parts only: the test parts are not for tuning
        for key in ("dev", "deadlines_dev"):
            for error in figures[key]["errors"]:
                print(f"- {error['text']}\n  extra {error['extra']} missed {error['missed']}")
    if args.json:
        summary = {p: {k: v for k, v in f.items() if k != "errors"} for p, f in figures.items()}
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
