#!/usr/bin/env python3
"""Database scale: full-text search latency through Datasette at 10k, 100k and 1M articles.

Builds synthetic databases with the project's own schema (pipelines.store.open_db) and
realistic rows: bodies made of the demo site's paragraphs, with names, places, figures
and case numbers drawn from long-tailed pools so the vocabulary grows with the corpus as
real news does; body lengths lognormal (median about 550 words); three years of
publication dates, stored roughly in publication order as a crawl finds them. Then it
serves each database with Datasette exactly as `aitrack serve` does, and times a fixed
set of journalists' queries against the canned `search` query over HTTP.

Prints, per size: rows, file size, bytes per article, build time (or "cached"), p50 and
p95 of the search, and the ratio of the p95 at 1M to the p95 at 10k (issue: at most 5x).
It also checks each search answer against an exhaustive newest-first search and reports
how many of the newest 100 matches it returned: 100% unless more than 2,000 matches were
stored after one of them (see the `search` query in data/datasette/metadata.yaml). The
articles table's own search (?_search=), which finds and counts every match, is timed
too, for information.

    .venv/bin/python bench/dbscale.py                  # builds on the first run, then cached
    .venv/bin/python bench/dbscale.py --sizes 10000 --rounds 3
    .venv/bin/python bench/dbscale.py --rebuild --json /tmp/dbscale.json

Databases are cached in bench/.cache/dbscale/ (about 9 GB in all, 8 GB of it for 1M
articles), named with GENERATOR_VERSION: bump it whenever the generator changes.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import random
import re
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from lxml import html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers import DATA  # noqa: E402
from crawlers.cli import datasette_command, datasette_metadata  # noqa: E402

GENERATOR_VERSION = 3  # 3: the unstemmed index articles_fts_words (migration m005)
CACHE = ROOT / "bench" / ".cache" / "dbscale"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SEED = 20260801

# What journalists type: one common word, two words (AND), phrases, OR, NOT, a prefix,
# a place, a rare surname, and a typo that matches nothing. Fixed, and none of them is
# treated specially; the surname was picked for being rare in the generated text (about
# 1 article in 10,000), as a person's name is in real news.
QUERIES = (
    "copyright",
    "union strike",
    '"AI Act"',
    '"facial recognition"',
    "OpenAI OR Anthropic",
    "regulat*",
    '"fair use" training',
    "deepfake election",
    "chatbot NOT OpenAI",
    "Colorado",
    "Moreau",
    "copywright",
)
# The articles table's own search (?_search=) also counts and facets every match, so it
# is slow at scale by design; it is timed for information on a few of the queries.
TABLE_QUERIES = ("copyright", '"AI Act"', "regulat*", "Moreau")
EXACT_TOP = 100  # the search query's LIMIT: how many newest matches a journalist sees


# -- text ---------------------------------------------------------------------------------


@dataclass
class DemoArticle:
    """One article of the demo site: its text, and the tags the test manifests give it."""

    lead: str  # the first paragraph without its dateline
    paragraphs: list[str]
    words: list[int]
    is_ai: bool
    topics: list[str]


DATELINE = re.compile(r"^[A-Z][A-Z .,'-]+ — ")


def demo_articles() -> list[DemoArticle]:
    """The demo site's articles (tests/fixtures/demo lists them), page furniture left out."""
    articles = []
    for manifest in sorted((ROOT / "tests" / "fixtures" / "demo").glob("*.json")):
        for entry in json.loads(manifest.read_text(encoding="utf-8")):
            page = html.fromstring((DATA / "demo" / "site" / entry["path"][1:]).read_bytes())
            clutter = entry.get("clutter", [])
            paragraphs = [
                text
                for p in page.xpath("//article//p")
                if len((text := " ".join(p.text_content().split())).split()) >= 12
                and not any(c in text for c in clutter)
            ]
            articles.append(_demo_article(paragraphs, entry["is_ai"], entry["topics"]))
    wire = (DATA / "demo" / "wire-story.txt").read_text(encoding="utf-8").split("\n\n")
    articles.append(_demo_article([p.strip() for p in wire[1:]], True, ["regulation"]))
    return articles


def _demo_article(paragraphs: list[str], is_ai: bool, topics: list[str]) -> DemoArticle:
    return DemoArticle(
        lead=DATELINE.sub("", paragraphs[0]),
        paragraphs=paragraphs,
        words=[len(p.split()) for p in paragraphs],
        is_ai=is_ai,
        topics=topics,
    )


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = [
    *_words("James Maria Wei Aisha Carlos Priya Olga Kwame Sofia Mohammed Elena Hiroshi Fatima"),
    *_words("David Ana Chen Amara Lucas Ingrid Rahul Grace Tomasz Yuki Omar Laura Kofi Nadia"),
    *_words("Hannah Arjun Zainab Mateo Leila Samuel Chloe Ibrahim Marta Daniel Mei Joseph Amina"),
    *_words("Andrei Rosa Thomas Ngozi Diego Sara Viktor Emma Kenji Lucia Michael Noor Paolo"),
]
# Real surnames and places, mixed at random ranks into long tails of made-up ones.
REAL_SURNAMES = [
    *_words("Smith Garcia Nguyen Okafor Kowalczyk Haddad Schmidt Rossi Tanaka Kim Patel Silva"),
    *_words("Johnson Ivanova Mensah Dubois Andersen Lopez Novak Murphy Cohen Yilmaz Fernandes"),
    *_words("Brennan Takahashi Nakamura Osei Moreau Larsen Kaur Hughes Petrov Alvarez Reyes"),
    *_words("Bianchi Mwangi Lindqvist Farouk Castillo Sato Byrne Adeyemi Halvorsen Quispe"),
]
REAL_PLACES = [
    *_words("Washington Brussels London Sacramento Denver Albany Austin Paris Berlin Dublin"),
    *_words("Tokyo Seoul Ottawa Toronto Sydney Nairobi Lagos Delhi Singapore Chicago Atlanta"),
]
ONSETS = [*_words("b br c ch d dr f g gr h j k kr l m n p pr r s sh st t tr v w z")]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"]
CODAS = ["", "", "n", "r", "l", "s", "m", "k", "t", "nd", "rk", "st"]
SURNAME_ENDS = ["", "", "", "son", "ski", "ez", "ova", "stein", "ford", "ley", "ini", "enko"]
PLACE_ENDS = ["ton", "ville", "burg", "field", "port", "haven", "dale", "wick", "stad", "mouth"]
ORG_KINDS = [
    *_words("Labs Partners Group Holdings Systems Analytics Media LLP Institute Foundation"),
    *_words("Capital Robotics Health Logistics Studios Insurance Bank University Union Council"),
]
ROLES = [
    "a partner",
    "the general counsel",
    "a senior analyst",
    "the chief executive",
    "a policy director",
    "a researcher",
    "an organizer",
    "a professor of law",
]
MONTHS = [*_words("January February March April May June July August September October")]
MONTHS += ["November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Sentences of the kind that make real articles differ: who said it, where, how much.
TEMPLATES = (
    "{first} {last}, a spokesperson for {org}, said the company would respond by {month} {day}.",
    "The complaint, filed in {place} as case No. {case}, names {n} defendants including {org}.",
    "{org} said it employs {n} people in {place} and expects revenue of {money} this year.",
    '"We have not seen the final text," said {first} {last}, who advises {org} on compliance.',
    "{first} {last} of the {place} office of {org} declined to comment.",
    "The vote in {place} was {n} to {m}, according to {first} {last}, a council member.",
    "A hearing is scheduled for {month} {day}, {year}, before Judge {first} {last}.",
    "Shares of {org} rose {pct} percent on {weekday} after the announcement.",
    "{org} and {org2} signed the agreement in {place} on {weekday}, people familiar with it said.",
    "The settlement of {money} covers roughly {n} claimants, said {first} {last}, a lawyer "
    "at {org}.",
    "About {pct} percent of the {n} members who voted approved the contract, {org} said.",
    "{first} {last}, {role} at {org}, has written about the issue since {year}.",
    "Documents reviewed by reporters show {org} paid {money} to {org2} in {year}.",
    "Officials in {place} said the pilot would cover {n} residents by {month}.",
)


def _syllables(rnd: random.Random, low: int, high: int) -> str:
    return "".join(
        rnd.choice(ONSETS) + rnd.choice(VOWELS) + rnd.choice(CODAS)
        for _ in range(rnd.randint(low, high))
    )


def _ranked(rnd: random.Random, count: int, ending: list[str], real: list[str]) -> list[str]:
    """`count` distinct names, most common first: made-up ones, and `real` at random ranks."""
    names: dict[str, None] = dict.fromkeys(real)
    while len(names) < count:
        names[(_syllables(rnd, 1, 2) + rnd.choice(ending)).capitalize()] = None
    made_up = list(names)[len(real) :]
    for name in real:
        made_up.insert(rnd.randrange(len(made_up)), name)
    return made_up


class TextMaker:
    """Titles and bodies for synthetic articles.

    Names, places and organisations are drawn log-uniformly from long ranked pools (a few
    are everywhere, most are rare), and figures and case numbers at random, so that the
    vocabulary keeps growing with the corpus as real news does.
    """

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.articles = demo_articles()
        surnames = _ranked(rnd, 150_000, SURNAME_ENDS, REAL_SURNAMES)
        places = _ranked(rnd, 20_000, PLACE_ENDS, REAL_PLACES)
        orgs = [f"{rnd.choice(surnames[:20_000])} {rnd.choice(ORG_KINDS)}" for _ in range(30_000)]
        r = rnd.random

        def zipf(pool: list[str]) -> Any:
            size = len(pool)
            return lambda: pool[int(size ** r()) - 1]  # P(rank i) ~ 1/i

        self.slots: dict[str, Any] = {
            "first": zipf(FIRST_NAMES),
            "last": zipf(surnames),
            "org": zipf(orgs),
            "org2": zipf(orgs),
            "place": zipf(places),
            "n": lambda: str(int(5000 ** r())),
            "m": lambda: str(int(5000 ** r())),
            "money": lambda: f"${int(r() * 999) + 1}.{int(r() * 10)} million",
            "pct": lambda: f"{r() * 95 + 0.5:.1f}",
            "case": lambda: f"{int(r() * 9) + 1}:{int(r() * 9) + 18}-cv-{int(r() * 99999):05d}",
            "month": lambda: MONTHS[int(r() * 12)],
            "day": lambda: str(int(r() * 28) + 1),
            "year": lambda: str(int(r() * 12) + 2015),
            "weekday": lambda: WEEKDAYS[int(r() * 7)],
            "role": lambda: ROLES[int(r() * len(ROLES))],
        }
        self.templates = [
            (t, tuple(f for _, f, _, _ in string.Formatter().parse(t) if f)) for t in TEMPLATES
        ]

    def sentence(self) -> str:
        template, fields = self.templates[int(self.rnd.random() * len(self.templates))]
        return template.format(**{f: self.slots[f]() for f in fields})

    def body(self, primary: DemoArticle, words: int) -> tuple[str, int]:
        """About `words` words: a dateline, the primary story's paragraphs in order, then
        background from other stories; a detail sentence in some paragraphs."""
        r, articles = self.rnd.random, self.articles
        out = [f"{self.slots['place']().upper()} — {primary.lead}"]
        total, story, i = primary.words[0], primary, 1
        while total < words:
            if i >= len(story.paragraphs):
                story = articles[int(r() * len(articles))]
                i = int(r() * len(story.paragraphs))
            text = story.paragraphs[i]
            total += story.words[i]
            i += 1
            if r() < 0.3:
                extra = self.sentence()
                text = f"{text} {extra}"
                total += extra.count(" ") + 1
            out.append(text)
        return "\n\n".join(out), total

    def title(self, primary: DemoArticle) -> str:
        """A headline-sized opening of one of the story's paragraphs, sometimes with a name."""
        r = self.rnd.random
        words = primary.paragraphs[int(r() * len(primary.paragraphs))].split()
        head = " ".join(words[: int(r() * 7) + 7]).rstrip(",.;:—")
        u = r()
        if u < 0.2:
            head = f"{self.slots['org']()}: {head}"
        elif u < 0.35:
            head = f"{head} in {self.slots['place']()}"
        return head[0].upper() + head[1:]


def summary_of(body: str) -> str:
    """The lead paragraph, cut to 45 words, as the extractor falls back to."""
    words = body.split("\n\n", 1)[0].split()
    return " ".join(words[:45]) + ("…" if len(words) > 45 else "")


# -- rows ---------------------------------------------------------------------------------

START = datetime(2023, 6, 1, tzinfo=UTC)
SPAN_S = 3 * 365 * 86400
PUBLISHED_SOURCES = ("feed", "sitemap", "listing", "api", "jsonld", "meta", "url", "text")
ZONES = {"US": -5, "GB": 0, "EU": 1}  # the publisher's day is the day in its own zone
SLUG = re.compile(r"[^a-z0-9]+")


def load_topics() -> dict[str, tuple[str, str, list[str]]]:
    """slug -> (name, description, evidence phrases) from data/taxonomy.yaml."""
    spec = yaml.safe_load((DATA / "taxonomy.yaml").read_text(encoding="utf-8"))["topics"]
    return {
        slug: (t["name"], t.get("description", ""), [k.rstrip("*") for k in t.get("terms", {})])
        for slug, t in spec.items()
    }


def crawl_schedule(n: int, rnd: random.Random) -> list[tuple[float, float]]:
    """(published, first seen) offsets in seconds, in the order a crawl stores them.

    Most articles are found within hours; some a week late; a few come from a sitemap's
    back catalogue months later. So rowid follows publication time, but not exactly.
    """
    out = []
    for _ in range(n):
        published = rnd.uniform(0, SPAN_S)
        u = rnd.random()
        if u < 0.90:
            delay = rnd.expovariate(1 / (6 * 3600))
        elif u < 0.98:
            delay = rnd.uniform(1, 14) * 86400
        else:
            delay = rnd.uniform(30, 365) * 86400
        out.append((published, published + delay))
    out.sort(key=lambda pair: pair[1])
    return out


def site_of(url: str) -> str:
    """https://host of a source's start URL, under which its articles live."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def iso(offset_s: float) -> str:
    return (START + timedelta(seconds=int(offset_s))).isoformat()


def article_rows(
    n: int, sources: list[dict[str, Any]], topics: dict[str, tuple[str, str, list[str]]]
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(articles row, article_topics rows) for n articles, in crawl order."""
    rnd = random.Random(SEED)
    r = rnd.random
    text = TextMaker(rnd)
    stories = text.articles
    cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(sources))))
    recent: deque[tuple[Any, ...]] = deque(maxlen=200)  # wire copies: a story stored lately
    for i, (published, seen) in enumerate(crawl_schedule(n, rnd)):
        source = rnd.choices(sources, cum_weights=cum_weights)[0]  # a few sources publish most
        if recent and r() < 0.03:
            title, summary, body, words, content_hash, cluster, story = rnd.choice(recent)
        else:
            story = stories[int(r() * len(stories))]
            words = min(2500, max(150, int(rnd.lognormvariate(math.log(550), 0.55))))
            body, _ = text.body(story, words)
            words = body.count(" ") + body.count("\n\n") + 1  # single spaces: exact
            title, summary = text.title(story), summary_of(body)
            content_hash = hashlib.sha256(body.encode()).hexdigest()[:32]
            cluster = None
        when = START + timedelta(seconds=int(published))
        url = f"{source['site']}/{when:%Y/%m/%d}/{SLUG.sub('-', title.lower())[:60]}-{i}"
        article_id = hashlib.sha256(url.encode()).hexdigest()[:16]
        if cluster is None:
            cluster = article_id
            recent.append((title, summary, body, words, content_hash, cluster, story))
        local = when + timedelta(hours=ZONES.get(source["jurisdiction"][:2], 0))
        day = f"{local:%Y-%m-%d}"
        u = r()
        published_at = None if u < 0.01 else day if u < 0.07 else when.isoformat()
        if published_at is None:
            day = None
        chosen = story.topics if r() < 0.9 else rnd.sample(list(topics), int(r() * 3))
        changed = seen + (r() * 30 * 86400 if r() < 0.05 else 0)
        row = (
            article_id,
            url,
            source["name"],
            title,
            f"{text.slots['first']()} {text.slots['last']()}",
            published_at,
            day,
            PUBLISHED_SOURCES[int(r() * 8)] if published_at else None,
            day[:7] if day else None,
            summary,
            body,
            words,
            int(story.is_ai),
            round(0.5 + r() / 2 if story.is_ai else r() / 2, 3),
            json.dumps(chosen),
            cluster,
            content_hash,
            iso(seen),
            iso(max(changed, seen + 3600)),
            iso(changed),
            int(seen // 86400) + 1,
            source["slug"],
        )
        tags = [
            (
                article_id,
                slug,
                round(7 + r() * 20, 2),
                json.dumps(rnd.sample(topics[slug][2], 3)),
            )
            for slug in chosen
        ]
        yield row, tags


ARTICLE_INSERT = """insert into articles (id, url, site_name, title, author, published_at,
  published_day, published_source, published_month, summary, body, word_count, is_ai,
  relevance, topics, cluster_id, content_hash, first_seen_at, last_seen_at, last_changed_at,
  crawl_run_id, source, language, http_status) values
  (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'en', 200)"""


# -- building -----------------------------------------------------------------------------


def db_path(n: int) -> Path:
    return CACHE / f"articles_g{GENERATOR_VERSION}_{n}.db"


def facts_path(n: int) -> Path:
    return db_path(n).with_suffix(".json")


def schema_of(conn: Any) -> list[tuple[str, str, str]]:
    return sorted(
        (r[0], r[1], r[2] or "") for r in conn.execute("select type, name, sql from sqlite_master")
    )


def build(n: int) -> dict[str, Any]:
    """Build the database of n articles (in a temporary file, renamed when complete)."""
    return build_index(build_load(n))


def build_load(n: int) -> dict[str, Any]:
    """First half of a build: the schema, then the rows, committed; FTS left empty.

    The triggers would index each article in FTS as it is stored; one 'rebuild' after the
    load is faster. build_index() restores them from their own SQL, and check_schema()
    compares the result with the migrations' schema."""
    tmp = db_path(n).with_suffix(".building")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    started = time.time()
    conn, sources, topics = create_db(tmp)
    triggers = conn.execute(
        "select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'articles'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f"drop trigger [{name}]")
    spent = load_articles(conn, n, sources, topics)
    conn.commit()
    conn.close()
    return {
        "articles": n,
        "started": started,
        "triggers": [sql for _, sql in triggers],
        "load_s": round(time.time() - started, 1),
        **spent,
    }


def build_index(loaded: dict[str, Any]) -> dict[str, Any]:
    """Second half: the FTS index and triggers, WAL as in production, the schema checked,
    the file renamed into place, and the exhaustive answers to QUERIES recorded."""
    import sqlite3

    n = loaded["articles"]
    path = db_path(n)
    tmp = path.with_suffix(".building")
    conn = sqlite3.connect(tmp, isolation_level=None)
    for pragma in ("journal_mode = off", "synchronous = off", "cache_size = -1000000"):
        conn.execute(f"pragma {pragma}")
    started = time.perf_counter()
    conn.execute("begin")
    # FTS5 writes a segment each time its pending terms reach 'hashsize' (1 MB by default,
    # or at each commit), then merges segments. A bigger hash for this one rebuild makes
    # fewer, larger segments and takes about a third less time; the setting is removed
    # again, so the database's FTS configuration is the migrations' own. Measured at 100k
    # articles: 5 segments instead of 14 (12 for writes committed 50 articles at a time,
    # as a crawl does), and the same search latency within 1 ms.
    conn.execute("insert into articles_fts (articles_fts, rank) values ('hashsize', 64000000)")
    conn.execute("insert into articles_fts (articles_fts) values ('rebuild')")
    conn.execute("delete from articles_fts_config where k = 'hashsize'")
    # The unstemmed index of the site's prefix searches and "did you mean" (m005).
    conn.execute(
        "insert into articles_fts_words (articles_fts_words, rank) values ('hashsize', 64000000)"
    )
    conn.execute("insert into articles_fts_words (articles_fts_words) values ('rebuild')")
    conn.execute("delete from articles_fts_words_config where k = 'hashsize'")
    for sql in loaded["triggers"]:
        conn.execute(sql)
    conn.execute(
        "update sources set articles_total = (select count(*) from articles a "
        "where a.source = sources.slug), last_run_at = ?, last_success_at = ?",
        [iso(SPAN_S), iso(SPAN_S)],
    )
    conn.execute("commit")
    fts_s = time.perf_counter() - started
    conn.execute("pragma journal_mode = wal")  # as open_db leaves every real database
    check_schema(conn)
    conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    tmp.rename(path)
    facts = {
        "articles": n,
        "generator_version": GENERATOR_VERSION,
        **{k: v for k, v in loaded.items() if k.endswith("_s")},
        "fts_s": round(fts_s, 1),
        "queries": exact_answers(path),
        "build_s": round(time.time() - loaded["started"], 1),
    }
    facts_path(n).write_text(json.dumps(facts, indent=1))
    return facts


def build_all(sizes: list[int]) -> dict[int, dict[str, Any]]:
    """Build the databases on the two cores, largest first.

    Loading keeps both cores busy (one process generates rows, one stores them); the FTS
    rebuild that follows uses one. So the smaller databases are built while the largest
    one's index is rebuilt, not while it is loaded."""
    largest, *rest = sorted(sizes, reverse=True)
    built = {}
    with ProcessPoolExecutor(max_workers=2) as pool:
        indexing = pool.submit(build_index, pool.submit(build_load, largest).result())
        for n in rest:
            built[n] = pool.submit(build, n).result()
            print(f"  {n:>9,} articles built in {built[n]['build_s']:.0f} s", flush=True)
        built[largest] = indexing.result()
        print(f"  {largest:>9,} articles built in {built[largest]['build_s']:.0f} s")
    return built


def create_db(path: Path) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """The project's schema (open_db's migrations) with the real sources and topics, set
    up for a bulk load: no journal, no fsync, no foreign-key lookups (the generator is
    consistent), a big page cache."""
    from crawlers.sources import load_sources
    from pipelines.store import open_db, sync_sources

    db = open_db(path)
    sources = load_sources(DATA / "sources.yaml")
    sync_sources(db, sources)
    topics = load_topics()
    db["topics"].insert_all(
        [{"slug": s, "name": t[0], "description": t[1]} for s, t in topics.items()], pk="slug"
    )
    conn = db.conn
    conn.execute("pragma journal_mode = delete")  # out of WAL first
    for pragma in ("journal_mode = off", "synchronous = off", "foreign_keys = off"):
        conn.execute(f"pragma {pragma}")
    conn.execute("pragma cache_size = -1000000")
    conn.execute("pragma temp_store = memory")
    days = SPAN_S // 86400 + 400  # one crawl a day, and late finds after the span
    conn.executemany(
        "insert into crawl_runs (id, started_at, finished_at, status, sources_count) "
        "values (?, ?, ?, 'ok', ?)",
        [(d + 1, iso(d * 86400), iso(d * 86400 + 600), len(sources)) for d in range(days)],
    )
    source_rows = [
        {"slug": s.slug, "name": s.name, "site": site_of(s.urls[0]), "jurisdiction": s.jurisdiction}
        for s in sources
    ]
    return conn, source_rows, topics


BATCH = 5_000
TOPIC_INSERT = "insert into article_topics (article_id, topic, score, evidence) values (?, ?, ?, ?)"


def produce(n: int, sources: list[dict[str, Any]], topics: dict[str, Any], queue: Any) -> None:
    """Generate the rows in batches for load_articles (in a second process)."""
    batch = []
    for item in article_rows(n, sources, topics):
        batch.append(item)
        if len(batch) == BATCH:
            queue.put(batch)
            batch = []
    queue.put(batch)
    queue.put(None)


def load_articles(
    conn: Any, n: int, sources: list[dict[str, Any]], topics: dict[str, Any]
) -> dict[str, float]:
    """Store the articles while another process generates the next batches (generating
    is the slower half: this way it is the only one). Returns the seconds spent waiting
    for rows and storing them."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=8)
    producer = context.Process(target=produce, args=(n, sources, topics, queue), daemon=True)
    producer.start()
    wait = store = 0.0
    while True:
        t0 = time.perf_counter()
        batch = queue.get()
        t1 = time.perf_counter()
        if batch is None:
            break
        conn.executemany(ARTICLE_INSERT, [row for row, _ in batch])
        conn.executemany(TOPIC_INSERT, [tag for _, tags in batch for tag in tags])
        wait, store = wait + t1 - t0, store + time.perf_counter() - t1
    producer.join()
    if producer.exitcode:
        raise RuntimeError(f"the row generator failed (exit status {producer.exitcode})")
    return {"wait_s": round(wait, 1), "store_s": round(store, 1)}


def check_schema(conn: Any) -> None:
    """The built schema (and FTS configuration) must be exactly what the migrations make."""
    from pipelines.store import open_db

    with tempfile.TemporaryDirectory() as tmp:
        fresh = open_db(Path(tmp) / "fresh.db")
        expected = schema_of(fresh.conn), fts_config(fresh.conn)
        fresh.close()
    if (schema_of(conn), fts_config(conn)) != expected:
        raise RuntimeError("built schema differs from the migrations' schema")


def fts_config(conn: Any) -> list[tuple[Any, ...]]:
    return conn.execute("select * from articles_fts_config order by k").fetchall()


def exact_answers(path: Path) -> dict[str, dict[str, Any]]:
    """Per query: how many articles match, and the ids of the newest 100 (exhaustively).

    Computed straight in SQLite, once per database, to check what the site answers."""
    import sqlite3

    conn = sqlite3.connect(path)
    out = {}
    for q in QUERIES:
        rows = conn.execute(
            "select a.id from articles_fts join articles a on a.rowid = articles_fts.rowid "
            "where articles_fts match ? order by a.published_at desc, a.rowid desc",
            [q],
        ).fetchall()
        out[q] = {"matches": len(rows), "newest": [r[0] for r in rows[:EXACT_TOP]]}
    conn.close()
    return out


def cached_facts(n: int) -> dict[str, Any] | None:
    """The facts of a database built earlier by this generator, or None to build it."""
    try:
        facts = json.loads(facts_path(n).read_text())
    except (OSError, ValueError):
        return None
    if not db_path(n).exists() or facts.get("generator_version") != GENERATOR_VERSION:
        return None
    if set(facts.get("queries", {})) != set(QUERIES):  # the queries changed, not the data
        facts["queries"] = exact_answers(db_path(n))
        facts_path(n).write_text(json.dumps(facts, indent=1))
    return facts


# -- measuring ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """`aitrack serve`'s Datasette over one database, on a free port of 127.0.0.1."""

    def __init__(self, path: Path) -> None:
        self.name = "aitrack"  # served as aitrack whatever the file (aitrack_guard.py)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        fd, self.metadata = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(datasette_metadata(path), fh)
        self.log = (CACHE / f"{self.name}.datasette.log").open("wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            datasette_command(path, self.metadata, "127.0.0.1", self.port),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def wait(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.flush()
                log = (CACHE / f"{self.name}.datasette.log").read_text(errors="replace")
                raise RuntimeError(f"Datasette exited: {log[-2000:]}")
            try:
                urllib.request.urlopen(self.base + "/-/versions.json", timeout=2).read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Datasette did not answer in time")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.unlink(self.metadata)
        self.log.close()

    def get(self, path: str) -> tuple[float, int, Any]:
        """(milliseconds, HTTP status, parsed JSON or None) of one request."""
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as response:
                body, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read(), exc.code
        ms = (time.perf_counter() - start) * 1000
        return ms, status, json.loads(body) if status == 200 else None


def search_path(db: str, q: str) -> str:
    return f"/{db}/search.json?" + urllib.parse.urlencode({"q": q, "_shape": "array"})


def page_search_path(q: str) -> str:
    """The site's own search (/search.json), the one the search box uses."""
    return "/search.json?" + urllib.parse.urlencode({"q": q})


def table_search_path(db: str, q: str) -> str:
    return f"/{db}/articles.json?" + urllib.parse.urlencode({"_search": q, "_size": 50})


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(path: Path, facts: dict[str, Any], rounds: int, table_rounds: int) -> dict[str, Any]:
    site = Site(path)
    try:
        site.wait()
        timings: list[float] = []
        per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
        errors = 0
        recall: dict[str, float] = {}
        for q in QUERIES:  # warm-up, and the answer checked against the exhaustive one
            _, status, rows = site.get(search_path(site.name, q))
            errors += status != 200
            newest = facts["queries"][q]["newest"]
            got = {r["id"] for r in rows or []}
            recall[q] = len(got & set(newest)) / len(newest) if newest else 1.0
        for _ in range(rounds):  # interleaved, so noise spreads over all queries
            for q in QUERIES:
                ms, status, _ = site.get(search_path(site.name, q))
                errors += status != 200
                timings.append(ms)
                per_query[q].append(ms)
        page: list[float] = []
        for q in QUERIES:  # warm-up
            errors += site.get(page_search_path(q))[1] != 200
        for _ in range(rounds):
            for q in QUERIES:
                ms, status, _ = site.get(page_search_path(q))
                errors += status != 200
                page.append(ms)
        table = [  # no warm-up round: the canned query's rounds warmed the index
            site.get(table_search_path(site.name, q))[0]
            for _ in range(table_rounds)
            for q in TABLE_QUERIES
        ]
    finally:
        site.close()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "max_ms": round(max(timings), 1),
        "errors": errors,
        "requests": len(timings),
        "per_query_p50_ms": {q: round(statistics.median(v), 1) for q, v in per_query.items()},
        "newest_100_found": recall,
        "page_search_p50_ms": round(statistics.median(page), 1),
        "page_search_p95_ms": round(percentile(page, 95), 1),
        "table_search_p50_ms": round(statistics.median(table), 1) if table else None,
        "table_search_p95_ms": round(percentile(table, 95), 1) if table else None,
    }


# -- report -------------------------------------------------------------------------------


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    raise AssertionError


def print_report(results: list[dict[str, Any]], ratio: float | None) -> None:
    print(
        f"\n{'articles':>10} {'db size':>9} {'B/article':>9} {'build':>9} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'table p50/p95 ms':>17}"
    )
    for r in results:
        build = "cached" if r["cached"] else f"{r['build_s']:.0f} s"
        table = f"{r['table_search_p50_ms']}/{r['table_search_p95_ms']}"
        print(
            f"{r['articles']:>10,} {human_bytes(r['db_bytes']):>9} {r['bytes_per_article']:>9,} "
            f"{build:>9} {r['p50_ms']:>7} {r['p95_ms']:>7} {r['errors']:>6} {table:>17}"
        )
    print("\nper query: matches / p50 ms / newest 100 found")
    print(f"  {'query':<24}" + "".join(f"{r['articles']:>26,}" for r in results))
    for q in QUERIES:
        cells = "".join(
            f"{r['matches'][q]:>10,} {r['per_query_p50_ms'][q]:>7} {r['newest_100_found'][q]:>6.0%}"
            for r in results
        )
        print(f"  {q:<24}{cells}")
    if ratio is not None:
        verdict = "ok" if ratio <= 5 else "FAILS the issue's limit of 5x"
        print(f"\np95 at 1M / p95 at 10k: {ratio:.2f} ({verdict})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--rebuild", action="store_true", help="ignore cached databases")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the queries")
    parser.add_argument(
        "--table-rounds", type=int, default=1, help="timed rounds of the table search"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)

    facts = {n: None if args.rebuild else cached_facts(n) for n in sizes}
    todo = sorted((n for n in sizes if facts[n] is None), reverse=True)
    if todo:
        print(f"building {', '.join(f'{n:,}' for n in todo)} articles...", flush=True)
        for n, built in build_all(todo).items():
            facts[n] = built | {"fresh": True}
    results = []
    for n in sizes:
        f = facts[n]
        assert f is not None
        path = db_path(n)
        size = path.stat().st_size
        measured = measure(path, f, args.rounds, args.table_rounds)
        results.append(
            {
                "articles": n,
                "db_bytes": size,
                "bytes_per_article": round(size / n),
                "build_s": f["build_s"],
                "cached": not f.get("fresh"),
                "matches": {q: f["queries"][q]["matches"] for q in QUERIES},
                **measured,
            }
        )
        print(
            f"  {n:>9,} articles measured: p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms"
            f"; /search.json p50 {measured['page_search_p50_ms']} ms,"
            f" p95 {measured['page_search_p95_ms']} ms",
            flush=True,
        )
    by_size = {r["articles"]: r for r in results}
    ratio = None
    if 10_000 in by_size and 1_000_000 in by_size:
        ratio = round(by_size[1_000_000]["p95_ms"] / by_size[10_000]["p95_ms"], 2)
    print_report(results, ratio)
    page_ratio = round(results[-1]["page_search_p95_ms"] / results[0]["page_search_p95_ms"], 2)
    print(
        f"/search.json p95 at {results[-1]['articles']:,} / at {results[0]['articles']:,}: "
        f"{page_ratio:.2f} ({'ok' if page_ratio <= 3 else 'FAILS the limit of 3x'})"
    )
    elapsed = time.perf_counter() - started
    print(f"\ndbscale finished in {elapsed:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "sizes": results,
                    "p95_ratio_1m_10k": ratio,  # None unless both sizes were measured
                    "p95_ratio_largest_smallest": round(
                        results[-1]["p95_ms"] / results[0]["p95_ms"], 2
                    ),
                    "page_search_p95_ratio_largest_smallest": page_ratio,
                    "queries": list(QUERIES),
                    "rounds": args.rounds,
                    "elapsed_s": round(elapsed, 1),
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
