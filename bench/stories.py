#!/usr/bin/env python3
"""Stories: pairwise quality on our labeled set, and what clustering costs.

Quality. tests/fixtures/stories/test.yaml is held out (never tuned on) and reported
first; dev.yaml is the development part the thresholds of pipelines/stories/match.py
were chosen on. Each part's articles go, in publication order, through the same code
as a crawl (tagging, fingerprint, `store_article` with its story placement) into a fresh
database; two articles are predicted one story when they end in the same story. Over
every pair of a part: pairwise precision, recall and F1, then recall per kind of
positive pair (rewrite, copy) and false merges per kind of hard negative (follow_up,
same_topic: pairs with an item of that kind).

Cost, two figures:
- share: per article, the fingerprint (in the worker) and the placement (in the
  writer) against the rest of processing (extraction and tagging) and of writing, on
  the demo's pages; target at most +20 %.
- scale: the time to look a new article up in a database of 10k stored articles
  against 100k and, with `--million`, 1M (synthetic rows in the tables the lookup
  reads, 100 articles a day; the 1M build takes 4 to 9 minutes, most of it writing 31M
  index rows); target at most 2x at 1M.

    .venv/bin/python bench/stories.py [--quick] [--million] [--misses] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.dedupe import content_hash  # noqa: E402
from pipelines.model import Article, Extracted  # noqa: E402
from pipelines.process import process_page  # noqa: E402
from pipelines.store import open_db, store_article, sync_topics  # noqa: E402
from pipelines.store.stories import Entity, find_match  # noqa: E402
from pipelines.stories.signature import NUM_PERM, fingerprint  # noqa: E402
from pipelines.tagging import load_taxonomy, tag_text  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "stories"
DEMO = ROOT / "data" / "demo" / "site"


# -- the labeled set ------------------------------------------------------------------


def load_part(name: str) -> list[dict]:
    """A part's items, copies made from their originals with their clutter and edits."""
    items = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))
    by_id = {item["id"]: item for item in items}
    for item in items:
        if "copy_of" in item:
            original = by_id[item["copy_of"]]
            body = original["body"]
            for old, new in item.get("edits", []):
                assert old in body, f"{name}: {item['id']}: edit {old!r} not in its original"
                body = body.replace(old, new)
            item["title"] = item.get("title", original["title"])
            item["body"] = "\n\n".join(p for p in (item["intro"], body, item["outro"]) if p)
    return items


def cluster(items: list[dict], db_path: Path) -> dict[str, int]:
    """Store the items in publication order as a crawl would; their story ids."""
    db = open_db(db_path)
    sync_topics(db, load_taxonomy())
    for outlet in sorted({item["outlet"] for item in items}):
        db.execute("insert into sources (slug, name) values (?, ?)", [outlet, outlet.title()])
    for item in sorted(items, key=lambda i: (i["published"], i["id"])):
        url = f"https://{item['outlet']}.example/{item['id']}"
        article = Article(url=url, source=item["outlet"], fetched_at="", status=200, html="")
        article.id, article.canonical_url = item["id"], url
        article.extracted = Extracted(
            url=url, title=item["title"], published=item["published"], text=item["body"]
        )
        article.tagging = tag_text(item["title"], item["body"])
        article.content_hash = content_hash(item["body"])
        article.fingerprint = fingerprint(item["title"], item["body"])
        with db.conn:
            store_article(db, article)
    stories = dict(db.execute("select id, story_id from articles").fetchall())
    db.close()
    return stories


def score(items: list[dict], stories: dict[str, int], misses: bool) -> dict:
    kinds = {item["id"]: item.get("kind", "rewrite") for item in items}
    event = {item["id"]: item["event"] for item in items}
    tp = fp = fn = 0
    positives: dict[str, list[int]] = {"rewrite": [0, 0], "copy": [0, 0]}
    negatives: dict[str, list[int]] = {"follow_up": [0, 0], "same_topic": [0, 0]}
    for a, b in combinations(sorted(event), 2):
        same, predicted = event[a] == event[b], stories[a] == stories[b]
        tp += same and predicted
        fp += predicted and not same
        fn += same and not predicted
        if same:
            kind = "copy" if "copy" in (kinds[a], kinds[b]) else "rewrite"
            positives[kind][0] += 1
            positives[kind][1] += predicted
        else:
            for kind in {kinds[a], kinds[b]} & set(negatives):
                negatives[kind][0] += 1
                negatives[kind][1] += predicted
        if misses and same != predicted:
            print(f"    {'missed' if same else 'merged'}: {a} / {b}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "articles": len(items),
        "pairs": len(items) * (len(items) - 1) // 2,
        "positive_pairs": tp + fn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "recall_by_kind": {k: f"{v[1]}/{v[0]}" for k, v in positives.items()},
        "merged_by_kind": {k: f"{v[1]}/{v[0]}" for k, v in negatives.items()},
        "stories": len(set(stories.values())),
        "events": len(set(event.values())),
    }


def quality(misses: bool) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for part in ("test", "dev"):  # the held-out part first
            items = load_part(part)
            out[part] = score(items, cluster(items, Path(tmp) / f"{part}.db"), misses)
            f = out[part]
            label = "held-out test" if part == "test" else "development"
            print(
                f"  {label}: {f['articles']} articles, {f['pairs']} pairs "
                f"({f['positive_pairs']} same-story): precision {f['precision']:.3f}, "
                f"recall {f['recall']:.3f}, F1 {f['f1']:.3f}; recall by kind "
                f"{f['recall_by_kind']}, false merges {f['merged_by_kind']}"
            )
    return out


# -- the cost --------------------------------------------------------------------------


def demo_pages() -> list[tuple[str, str]]:
    pages = []
    for path in sorted(DEMO.rglob("*.html")):
        html = path.read_text(encoding="utf-8", errors="replace")
        if "<article" in html or "<main" in html:
            pages.append((f"http://demo.aitrack.test/{path.relative_to(DEMO)}", html))
    return pages


def share(rounds: int) -> dict:
    """Fingerprint and placement time against the rest of an article's processing."""
    pages = demo_pages()
    process_ms: list[float] = []
    story_ms: list[float] = []
    write_ms: list[float] = []
    place_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            db = open_db(Path(tmp) / f"share{round_}.db")
            db.execute("insert into sources (slug, name) values ('demo', 'Demo')")
            sync_topics(db, load_taxonomy())
            for url, html in pages:
                item = Article(url=url, source="demo", fetched_at="", status=200, html=html)
                try:
                    item = process_page(item)
                except ValueError:
                    continue
                process_ms.append(item.timings["extract"] + item.timings["tag"])
                story_ms.append(item.timings["story"])
                start = time.perf_counter()
                with db.conn:
                    store_article(db, item)
                write_ms.append((time.perf_counter() - start) * 1000)
                # The placement alone, measured again on the same database: the lookup
                # of an article already indexed (it finds itself and is skipped).
                entities = [
                    Entity(str(i), e.kind, e.name) for i, e in enumerate(item.tagging.entities)
                ]
                assert item.fingerprint is not None
                start = time.perf_counter()
                find_match(db, item.id or "", item.fingerprint, item.extracted.published, entities)
                place_ms.append((time.perf_counter() - start) * 1000)
            db.close()
    base = statistics.fmean(process_ms) + statistics.fmean(write_ms) - statistics.fmean(place_ms)
    added = statistics.fmean(story_ms) + statistics.fmean(place_ms)
    return {
        "articles": len(story_ms),
        "process_ms": round(statistics.fmean(process_ms), 2),
        "fingerprint_ms": round(statistics.fmean(story_ms), 3),
        "write_ms": round(statistics.fmean(write_ms), 3),
        "lookup_ms": round(statistics.fmean(place_ms), 3),
        "added_pct": round(100 * added / base, 1),
    }


PER_DAY = 100  # stored articles a day: the synthetic store grows by days, not density
RECENT_DAYS = 30  # new articles are dated within the last month of the store
ENTITIES = 2_000


def day_of(n: int) -> str:
    return (date(2000, 1, 1) + timedelta(days=n // PER_DAY)).isoformat()


def fill(db, n: int, start: int, rng: random.Random) -> None:
    """Synthetic stored articles in the tables the lookup reads: PER_DAY articles a day
    (a tracker grows by days; the same-event window then holds as many at 1M as at
    10k), 16 band keys, 3 entities out of ENTITIES and 12 names each, a signature and an
    `articles` row with its story. Band keys are written in ascending order, which only
    makes the build fast: lookups are random keys all the same."""
    batch = 20_000
    for lo in range(start, start + n, batch):
        hi = min(lo + batch, start + n)
        arts, bands, ents, sigs = [], [], [], []
        vectors = np.random.default_rng(lo).standard_normal((hi - lo, 256)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for i in range(lo, hi):
            aid, day = f"s{i:015x}", day_of(i)
            arts.append((aid, f"u{i}", "bench", f"t{i}", "b", "h", day, i + 1, "original"))
            bands.extend(((i << 4) + band, aid) for band in range(16))
            chosen = {f"e{rng.randrange(ENTITIES)}" for _ in range(3)}
            chosen |= {f"n:w{rng.randrange(50_000)}" for _ in range(12)}
            ents.extend((e, day, aid) for e in chosen)
            sigs.append((aid, day, rng.randbytes(NUM_PERM * 4), vectors[i - lo].tobytes()))
        with db.conn:
            db.conn.executemany(
                "insert into articles (id, url, source, title, body, content_hash, "
                "published_day, story_id, story_relation) values (?,?,?,?,?,?,?,?,?)",
                arts,
            )
            db.conn.executemany("insert into story_bands values (?, ?)", bands)
            db.conn.executemany("insert into story_entities values (?, ?, ?)", sorted(ents))
            db.conn.executemany(
                "insert into story_signatures (article_id, day, minhash, vector) values (?,?,?,?)",
                sigs,
            )


def lookup_ms(db, probes: list, stored: int, rng: random.Random) -> float:
    """Median time to find the story of a new article (the writer's lookup). Each probe
    is dated within the store's last RECENT_DAYS, as a crawl's new articles are: their
    time window holds as many stored articles at 1M as at 10k; their band keys are
    random, so those reads go anywhere in the index."""
    times = []
    recent = min(stored, RECENT_DAYS * PER_DAY)
    for _ in range(3):
        for fp, entities in probes:
            day = day_of(stored - 1 - rng.randrange(recent))
            start = time.perf_counter()
            find_match(db, "probe", fp, day, entities)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def scale(sizes: list[int]) -> dict:
    rng = random.Random(17)
    probes = []
    for n in range(200):
        body = " ".join(f"w{rng.randrange(5000)}" for _ in range(400))
        fp = fingerprint(f"Title {n}", body)
        fp.names = [f"w{rng.randrange(50_000)}" for _ in range(12)]
        entities = [Entity(f"e{rng.randrange(ENTITIES)}", "org", f"E{n}") for _ in range(3)]
        probes.append((fp, entities))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "scale.db")
        db.execute("insert into sources (slug, name) values ('bench', 'Bench')")
        db.conn.execute("PRAGMA synchronous = OFF")
        db.conn.execute("PRAGMA cache_size = -262144")  # 256 MB: the build, not the lookup
        # The full-text triggers and the articles' indexes serve pages, not the lookup
        # (it reads `articles` by its key): off for the build, which they would slow.
        for kind, name in db.execute(
            "select type, name from sqlite_master where (type = 'trigger') or "
            "(type = 'index' and tbl_name = 'articles' and sql is not null)"
        ).fetchall():
            db.execute(f"drop {kind} [{name}]")
        stored = 0
        for size in sizes:
            started = time.perf_counter()
            fill(db, size - stored, stored, rng)
            stored = size
            built = time.perf_counter() - started
            db.conn.execute("PRAGMA optimize")
            ms = lookup_ms(db, probes, stored, rng)
            out[str(size)] = {"lookup_ms": round(ms, 3), "build_s": round(built, 1)}
            print(f"  {size:>9,} stored: {ms:.3f} ms per lookup (filled in {built:.0f} s)")
        db.close()
    first, last = out[str(sizes[0])]["lookup_ms"], out[str(sizes[-1])]["lookup_ms"]
    out["ratio"] = round(last / first, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round of the share")
    parser.add_argument(
        "--million", action="store_true", help="scale up to 1M stored articles (minutes)"
    )
    parser.add_argument("--misses", action="store_true", help="print every wrong pair")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures: dict = {}
    print("Pairwise quality (held-out part first):")
    figures["quality"] = quality(args.misses)
    print("Share of per-article processing (demo pages):")
    figures["share"] = share(1 if args.quick else 3)
    s = figures["share"]
    print(
        f"  fingerprint {s['fingerprint_ms']:.3f} ms + lookup {s['lookup_ms']:.3f} ms against "
        f"extract+tag {s['process_ms']:.2f} ms and write {s['write_ms']:.2f} ms: "
        f"+{s['added_pct']:.1f} % (target <= 20 %)"
    )
    print("Lookup cost as the store grows:")
    sizes = [10_000, 100_000, 1_000_000] if args.million else [10_000, 100_000]
    figures["scale"] = scale(sizes)
    print(f"  {sizes[-1]:,} against 10,000: {figures['scale']['ratio']:.2f}x (target <= 2x)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
