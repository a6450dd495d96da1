"""Article rows: one per canonical URL, its revisions, tags, entities and finders.

Writes are idempotent: an article's row is keyed by the hash of its canonical URL, so a
re-run updates `last_seen_at` instead of adding a row, and a changed text is kept in
`article_revisions` before the row is overwritten. Call these inside a transaction (the
writer's batch); each opens a savepoint of its own, so an article is never half-stored.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

import sqlite_utils

from pipelines.dates import now_iso, to_utc
from pipelines.model import Article, Tagging
from pipelines.store.legal import write_article_legal
from pipelines.store.savepoint import savepoint
from pipelines.store.stories import Entity, place

# json.dumps(x, ensure_ascii=False) builds a new JSONEncoder on every call (only the
# default arguments use a shared one): five times an article in the writer. One encoder
# with the same settings gives the same text.
dumps_unicode = json.JSONEncoder(ensure_ascii=False).encode


@functools.lru_cache(maxsize=4096)  # the same few hundred entities, over and over
def entity_id(kind: str, name: str) -> str:
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:16]


def store_article(db: sqlite_utils.Database, item: Article, run_id: int | None = None) -> str:
    """Write one processed article atomically. Returns "new", "updated" or "unchanged".

    Side effects: upserts `articles` (and through triggers `articles_fts`), replaces the
    article's `article_topics`, `article_entities` and `article_legal_objects` (adding
    `legal_objects` and `deadlines` rows), appends to `article_revisions` when the stored
    text changes, records the source in `article_sources`, and puts the article in a
    story (pipelines.store.stories: `stories`, the `story_*` tables).
    `articles.source` stays the source that found the article first.
    """
    ex, tags = item.extracted, item.tagging
    assert ex is not None and tags is not None and item.id and item.canonical_url
    now = now_iso()
    day = ex.published[:10] if ex.published else None
    with savepoint(db, "article"):
        # The text only when it changed (a revision keeps it): most re-crawls do not.
        old = db.conn.execute(
            "select content_hash, first_seen_at, last_seen_at, last_changed_at, source "
            "from articles where id = ?",
            [item.id],
        ).fetchone()
        if old is None:
            outcome, first_seen, changed_at, finder = "new", now, now, item.source
        elif old[0] != item.content_hash:
            outcome, first_seen, changed_at, finder = "updated", old[1], now, old[4]
            db.conn.execute(
                "insert into article_revisions (article_id, seen_at, content_hash, title, body) "
                "select id, ?, content_hash, title, body from articles where id = ?",
                [old[2], item.id],
            )
        else:
            outcome, first_seen, changed_at, finder = "unchanged", old[1], old[3], old[4]
        upsert_row(
            db,
            "articles",
            {
                "id": item.id,
                "url": item.canonical_url,
                "canonical_url": ex.canonical_url,
                "source": finder,
                "title": ex.title,
                "author": ex.author,
                # The instant in UTC for ordering; the day as the publisher's readers saw it.
                "published_at": to_utc(ex.published),
                "published_day": day,
                "published_source": ex.published_source,
                "published_month": day[:7] if day else None,
                "updated_at": to_utc(ex.updated),
                "language": ex.language,
                "summary": ex.summary,
                "body": ex.text,
                "word_count": ex.word_count,
                **tag_columns(tags),
                "image": ex.image,
                "site_name": ex.site_name,
                "cluster_id": item.cluster_id,
                "content_hash": item.content_hash,
                "http_status": item.status,
                "etag": item.etag,
                "last_modified": item.last_modified,
                "first_seen_at": first_seen,
                "last_seen_at": now,
                "last_changed_at": changed_at,
                "crawl_run_id": run_id,
            },
            pk="id",
        )
        write_tags(db, item.id, tags)
        if item.legal is not None:  # None: processed before recognition existed
            write_article_legal(db, item.id, item.legal, item.deadlines, now)
        record_finder(db, item.id, item.source, now, run_id)
        item.story_id = place(
            db,
            item.id,
            item.fingerprint,
            day or first_seen[:10],
            story_entities(tags),
            changed=outcome != "unchanged",
        )
    return outcome


def story_entities(tags: Tagging) -> list[Entity]:
    """The article's entities as the story index keys them."""
    return [Entity(entity_id(e.kind, e.name), e.kind, e.name) for e in tags.entities]


def touch_article(db: sqlite_utils.Database, item: Article, run_id: int | None = None) -> None:
    """Record that an unchanged article (HTTP 304) was seen again, and by which source."""
    now = now_iso()
    with savepoint(db, "article"):
        cursor = db.execute(
            "update articles set last_seen_at = ?, http_status = ? where id = ?",
            [now, item.status, item.id],
        )
        if cursor.rowcount:
            record_finder(db, item.id or "", item.source, now, run_id)


def record_finder(
    db: sqlite_utils.Database, article_id: str, source: str, now: str, run_id: int | None
) -> None:
    """Add or refresh the (article, source) row of `article_sources`."""
    db.execute(
        "insert into article_sources (article_id, source, first_seen_at, last_seen_at, "
        "crawl_run_id) values (?, ?, ?, ?, ?) on conflict(article_id, source) do update set "
        "last_seen_at = excluded.last_seen_at, crawl_run_id = excluded.crawl_run_id",
        [article_id, source, now, now, run_id],
    )


def tag_columns(tags: Tagging) -> dict[str, Any]:
    """The columns of `articles` that tagging fills (the crawl and `aitrack retag`)."""
    return {
        "is_ai": int(tags.is_ai),
        "relevance": tags.relevance,
        "topics": json.dumps([t.slug for t in tags.topics]),
        "ai_method": tags.ai_method,
        "ai_evidence": dumps_unicode(tags.ai_evidence),
        "ai_passages": dumps_unicode(tags.ai_passages),
    }


def write_tags(db: sqlite_utils.Database, article_id: str, tags: Tagging) -> None:
    """Replace an article's topic and entity rows (call inside a transaction).

    Plain statements rather than sqlite-utils' insert(): it inspects the table before
    every call, which made up most of an article's write time (about 100 statements
    for an article with ten entities)."""
    db.execute("delete from article_topics where article_id = ?", [article_id])
    db.execute("delete from article_entities where article_id = ?", [article_id])
    db.conn.executemany(
        "insert into article_topics (article_id, topic, score, evidence, method, vote, passages)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                t.slug,
                t.score,
                dumps_unicode(t.evidence),
                t.method,
                t.vote,
                dumps_unicode(t.passages),
            )
            for t in tags.topics
        ],
    )
    entities = [(entity_id(e.kind, e.name), e) for e in tags.entities]
    db.conn.executemany(
        "insert or ignore into entities (id, kind, name) values (?, ?, ?)",
        [(eid, e.kind, e.name) for eid, e in entities],
    )
    db.conn.executemany(
        "insert into article_entities (article_id, entity_id, mentions) values (?, ?, ?)",
        [(article_id, eid, e.mentions) for eid, e in entities],
    )


def upsert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any], pk: str) -> None:
    """Insert a row, or update every given column of the row with the same key. Like
    sqlite-utils' upsert (the rowid, which the full-text index refers to, is kept), in
    one statement and without inspecting the table first."""
    columns = list(row)
    db.conn.execute(_upsert_sql(table, tuple(columns), pk), [row[c] for c in columns])


@functools.lru_cache(maxsize=16)
def _upsert_sql(table: str, columns: tuple[str, ...], pk: str) -> str:
    names = ", ".join(f"[{c}]" for c in columns)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != pk)
    return (
        f"insert into [{table}] ({names}) values ({', '.join('?' for _ in columns)}) "
        f"on conflict([{pk}]) do update set {updates}"
    )
