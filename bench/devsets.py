"""The page sets bench/extraction.py measures on, and their fixed development/test split.

Every set is split by a hash of each page's id: a page is in the test part when the first
byte of the SHA-256 of its id is odd. The split does not depend on the extractor, the
order of files or the date, so it never moves; rules are tuned on the development part
only, and the test part is reported first.

Sets (none of their pages is committed; third-party pages stay outside the repository or
in the git-ignored `bench/.cache/`):

- `benchmark`: the shared half of scrapinghub's article-extraction-benchmark
  (../shared/eval/extraction, 88 pages, whole expected bodies; MIT).
- `dates`: htmldate's evaluation pages (../shared/eval/dates, 800 pages, day labels).
- `trafilatura`: trafilatura's own evaluation corpus (tests/evaldata.json with
  tests/eval and tests/cache, 990 pages, snippets that must and must not appear;
  Apache-2.0), taken from a git checkout of adbar/trafilatura (commit pinned below).
- `own`: our demo site's pages, with the titles their manifests expect (ours, tuned on).
- `goose3`: goose3's content test pages (tests/data/content: expected title and the
  opening of the expected text; Apache-2.0), from a git checkout of goose3/goose3.

    .venv/bin/python bench/devsets.py /path/to/trafilatura.git /path/to/goose3.git
materialises the last two into bench/.cache/devsets/ (git archive of the pinned commits).
"""

from __future__ import annotations

import gzip
import hashlib
import html as html_lib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
CACHE = ROOT / "bench" / ".cache" / "devsets"
PINNED = {
    "trafilatura": (
        "e90b0ef51ab026fdb905fb6c5b3c84dd3d784fd5",
        ["tests/eval", "tests/cache", "tests/evaldata.json"],
    ),
    "goose3": ("c5a8902eed0c4592a1ff5ec51a0277cf73a3aca7", ["tests/data/content"]),
}


@dataclass
class Page:
    set: str
    id: str
    url: str
    path: Path
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def part(self) -> str:
        return split(self.id)

    def read(self) -> bytes:
        data = self.path.read_bytes()
        if self.truth.get("demo"):  # demo pages carry a placeholder for their host
            data = data.replace(b"{{BASE}}", b"http://demo.aitrack.test")
        return gzip.decompress(data) if self.path.suffix == ".gz" else data


def split(page_id: str) -> str:
    """'test' or 'dev', fixed by the page's id."""
    return "test" if hashlib.sha256(page_id.encode()).digest()[0] % 2 else "dev"


def benchmark() -> Iterator[Page]:
    truth = json.loads((EVAL / "extraction/ground-truth.json").read_text())
    for pid in sorted(truth):
        yield Page(
            "benchmark",
            pid,
            truth[pid]["url"],
            EVAL / f"extraction/html/{pid}.html.gz",
            {"body": truth[pid]["articleBody"]},
        )


def dates() -> Iterator[Page]:
    labels = json.loads((EVAL / "dates/labels.json").read_text())
    for pid in sorted(labels):
        yield Page(
            "dates",
            pid,
            labels[pid]["url"],
            EVAL / f"dates/html/{pid}.html.gz",
            {"date": labels[pid]["date"]},
        )


def trafilatura_eval() -> Iterator[Page]:
    here = CACHE / "trafilatura" / "tests"
    if not (here / "evaldata.json").is_file():
        return
    data = json.loads((here / "evaldata.json").read_text(encoding="utf-8"))
    for url in sorted(data):
        item = data[url]
        candidates = (here / "cache" / item["file"], here / "eval" / item["file"])
        path = next((p for p in candidates if p.is_file()), None)
        if path is not None:
            yield Page(
                "trafilatura", url, url, path, {"with": item["with"], "without": item["without"]}
            )


def goose3() -> Iterator[Page]:
    here = CACHE / "goose3" / "tests" / "data" / "content"
    for spec in sorted(here.glob("*.json")):
        page = spec.with_suffix(".html")
        if not page.is_file():
            continue
        data = json.loads(spec.read_text(encoding="utf-8"))
        expected = data.get("expected") or {}
        title = expected.get("title")
        yield Page(
            "goose3",
            spec.stem,
            data.get("url") or "",
            page,
            {
                "title": html_lib.unescape(title) if title else None,
                "opening": expected.get("cleaned_text") or "",
            },
        )


def own() -> Iterator[Page]:
    """Our own demo pages (tests/fixtures/demo manifests): titles. Rules were written
    with these pages in view, so they are no out-of-sample evidence."""
    site = ROOT / "data" / "demo" / "site"
    for manifest in sorted((ROOT / "tests" / "fixtures" / "demo").glob("*.json")):
        for entry in json.loads(manifest.read_text(encoding="utf-8")):
            path = site / entry["path"].lstrip("/")
            if path.is_file() and entry.get("title"):
                yield Page(
                    "own",
                    entry["path"],
                    "http://demo.aitrack.test" + entry["path"],
                    path,
                    {"title": entry["title"], "demo": True},
                )


SETS = {
    "benchmark": benchmark,
    "dates": dates,
    "trafilatura": trafilatura_eval,
    "goose3": goose3,
    "own": own,
}


def materialise(name: str, git_dir: Path) -> None:
    commit, paths = PINNED[name]
    target = CACHE / name
    target.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "--git-dir", str(git_dir), "archive", commit, *paths],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    materialise("trafilatura", Path(sys.argv[1]))
    materialise("goose3", Path(sys.argv[2]))
