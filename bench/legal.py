#!/usr/bin/env python3
"""Legal identifier recognition: precision and recall on the labeled set of
tests/fixtures/legal/ (held-out test part first, then the development part).

A found identifier counts when its (kind, canonical id) is among the sentence's marks;
each sentence is a set, so a repeat within one sentence counts once.

    .venv/bin/python bench/legal.py [--errors] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.legal import recognise  # noqa: E402

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


def score(items: list[Item]) -> dict[str, Any]:
    tp = fp = fn = 0
    errors = []
    for item in items:
        found = {(m.kind, m.id) for m in recognise(item.text, item.published)}
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
        f = figures[part]
        label = "held-out test" if part == "test" else "development"
        print(
            f"{label}: {f['sentences']} sentences ({f['negatives']} look-alikes), "
            f"{f['marks']} marks: precision {f['precision']:.3f}, recall {f['recall']:.3f}"
        )
    print("targets (held-out): precision >= 0.97, recall >= 0.93")
    if args.errors:  # the development part only: the test part is not for tuning
        for error in figures["dev"]["errors"]:
            print(f"- {error['text']}\n  extra {error['extra']} missed {error['missed']}")
    if args.json:
        summary = {p: {k: v for k, v in f.items() if k != "errors"} for p, f in figures.items()}
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
