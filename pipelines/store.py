"""SQLite storage through sqlite-utils: the schema of docs/schema.md, atomic per article.

Writes are idempotent: an article's row is keyed by the hash of its canonical URL, so a
re-run updates `last_seen_at` instead of adding a row, and a changed text is kept in
`article_revisions` before the row is overwritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from crawlers.items import Article
from crawlers.sources import Source
from pipelines.dates import now_iso, to_utc
from pipelines.tagging import Taxonomy
from pipelines.timing import WriterStage, add_time

migrations = Migrations("aitrack")


@migrations()
def m001_initial_schema(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "slug": str,
            "name": str,
            "kind": str,
            "url": str,
            "urls": str,
            "publisher": str,
            "category": str,
            "jurisdiction": str,
            "language": str,
            "verified": str,
            "notes": str,
            "enabled": int,
            "disabled_reason": str,
            "last_run_at": str,
            "last_success_at": str,
            "last_error_at": str,
            "last_error": str,
            "consecutive_failures": int,
            "articles_total": int,
        },
        pk="slug",
        defaults={"consecutive_failures": 0, "articles_total": 0, "enabled": 1},
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "sources_file": str,
            "sources_count": int,
            "pages_fetched": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "duplicates": int,
            "errors": int,
            "stats": str,
        },
        pk="id",
    )
    db["articles"].create(
        {
            "id": str,
            "url": str,
            "canonical_url": str,
            "source": str,
            "title": str,
            "author": str,
            "published_at": str,
            "published_day": str,
            "published_source": str,
            "published_month": str,
            "updated_at": str,
            "language": str,
            "summary": str,
            "body": str,
            "word_count": int,
            "is_ai": int,
            "relevance": float,
            "topics": str,
            "image": str,
            "site_name": str,
            "cluster_id": str,
            "content_hash": str,
            "http_status": int,
            "etag": str,
            "last_modified": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "last_changed_at": str,
            "crawl_run_id": int,
        },
        pk="id",
        not_null={"url", "source", "body", "content_hash"},
        foreign_keys=[("source", "sources", "slug"), ("crawl_run_id", "crawl_runs", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["cluster_id"])
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["source", "published_at"])
    db["articles"].enable_fts(["title", "summary", "body"], tokenize="porter", create_triggers=True)
    db["topics"].create({"slug": str, "name": str, "description": str}, pk="slug")
    db["article_topics"].create(
        {"article_id": str, "topic": str, "score": float, "evidence": str},
        pk=("article_id", "topic"),
        foreign_keys=[("article_id", "articles", "id"), ("topic", "topics", "slug")],
    )
    db["article_topics"].create_index(["topic"])
    db["entities"].create({"id": str, "kind": str, "name": str}, pk="id")
    db["entities"].create_index(["kind", "name"], unique=True)
    db["article_entities"].create(
        {"article_id": str, "entity_id": str, "mentions": int},
        pk=("article_id", "entity_id"),
        foreign_keys=[("article_id", "articles", "id"), ("entity_id", "entities", "id")],
    )
    db["article_entities"].create_index(["entity_id"])
    db["article_revisions"].create(
        {
            "id": int,
            "article_id": str,
            "seen_at": str,
            "content_hash": str,
            "title": str,
            "body": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_revisions"].create_index(["article_id"])


@migrations()
def m002_article_feed_view(db: sqlite_utils.Database) -> None:
    # One place that turns articles into Atom entries for every feed of the site:
    # datasette-atom needs atom_id, atom_title and an atom_updated with a time zone.
    db.create_view(
        "article_feed",
        """
        select a.id, a.title, a.source, a.published_day, a.published_at, a.url, a.summary,
          a.is_ai, a.topics, a.cluster_id, a.last_changed_at,
          'tag:aitrack,2026:article/' || a.id as atom_id,
          a.title as atom_title,
          case
            when a.published_at is null then a.first_seen_at
            when length(a.published_at) = 10 then a.published_at || 'T00:00:00+00:00'
            else a.published_at
          end as atom_updated,
          a.url as atom_link,
          coalesce(a.summary, substr(a.body, 1, 500)) as atom_content
        from articles a
        """,
    )


@migrations()
def m003_operations(db: sqlite_utils.Database) -> None:
    # Incremental crawling and cron bookkeeping (issue: cron-grade operations).
    db["http_validators"].create(
        {"url": str, "etag": str, "last_modified": str, "saved_at": str}, pk="url"
    )
    for column, kind in (
        ("not_modified", int),
        ("skipped", int),
        ("duration_s", float),
        ("errors_by_kind", str),
    ):
        db["crawl_runs"].add_column(column, kind)
    db["sources"].add_column("consecutive_empty_runs", int, not_null_default=0)
    db["sources"].add_column("flagged", str)


def open_db(path: str | Path, busy_timeout: float = 30.0) -> sqlite_utils.Database:
    """Open (creating if needed) a database and bring its schema up to date.

    WAL lets Datasette read while a crawl writes; the busy timeout makes a second writer
    wait for a lock instead of failing at once.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    db.conn.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    migrations.apply(db)
    return db


def sync_topics(db: sqlite_utils.Database, taxonomy: Taxonomy) -> None:
    """Make the topics table match the taxonomy's topics."""
    with db.atomic():
        for topic in taxonomy.topics:
            db["topics"].upsert(
                {"slug": topic.slug, "name": topic.name, "description": topic.description},
                pk="slug",
            )


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Source]) -> None:
    """Record the catalogue's sources (descriptive columns only; health is kept)."""
    with db.atomic():
        for s in sources:
            db["sources"].upsert(
                {
                    "slug": s.slug,
                    "name": s.name,
                    "kind": s.kind,
                    "url": s.urls[0],
                    "urls": json.dumps(list(s.urls)),
                    "publisher": s.publisher,
                    "category": s.category,
                    "jurisdiction": s.jurisdiction,
                    "language": s.language,
                    "verified": s.verified,
                    "notes": s.notes,
                    "enabled": int(s.enabled),
                    "disabled_reason": s.disabled_reason,
                },
                pk="slug",
            )


def entity_id(kind: str, name: str) -> str:
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:16]


def store_article(db: sqlite_utils.Database, item: Article, run_id: int | None = None) -> str:
    """Write one processed article atomically. Returns "new", "updated" or "unchanged".

    Side effects: upserts `articles` (and through triggers `articles_fts`), replaces the
    article's `article_topics` and `article_entities`, and appends to
    `article_revisions` when the stored text changes.
    """
    ex, tags = item.extracted, item.tagging
    now = now_iso()
    day = ex.published[:10] if ex.published else None
    with db.atomic():
        old = db.execute(
            "select content_hash, title, body, first_seen_at, last_seen_at, last_changed_at, "
            "source from articles where id = ?",
            [item.id],
        ).fetchone()
        if old is None:
            outcome, first_seen, changed_at = "new", now, now
        elif old[0] != item.content_hash:
            outcome, first_seen, changed_at = "updated", old[3], now
            db["article_revisions"].insert(
                {
                    "article_id": item.id,
                    "seen_at": old[4],
                    "content_hash": old[0],
                    "title": old[1],
                    "body": old[2],
                }
            )
        else:
            outcome, first_seen, changed_at = "unchanged", old[3], old[5]
        upsert_row(
            db,
            "articles",
            {
                "id": item.id,
                "url": item.canonical_url,
                "canonical_url": ex.canonical_url,
                "source": item.source,
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
                "is_ai": int(tags.is_ai),
                "relevance": tags.relevance,
                "topics": json.dumps([t.slug for t in tags.topics]),
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
    return outcome


def touch_article(db: sqlite_utils.Database, item: Article) -> None:
    """Record that an unchanged article (HTTP 304) was seen again."""
    with db.atomic():
        db.execute(
            "update articles set last_seen_at = ?, http_status = ? where id = ?",
            [now_iso(), item.status, item.id],
        )


def write_tags(db: sqlite_utils.Database, article_id: str, tags: Any) -> None:
    """Replace an article's topic and entity rows (call inside a transaction).

    Plain statements rather than sqlite-utils' insert(): it inspects the table before
    every call, which made up most of an article's write time (about 100 statements
    for an article with ten entities)."""
    db.execute("delete from article_topics where article_id = ?", [article_id])
    db.execute("delete from article_entities where article_id = ?", [article_id])
    db.conn.executemany(
        "insert into article_topics (article_id, topic, score, evidence) values (?, ?, ?, ?)",
        [
            (article_id, t.slug, t.score, json.dumps(t.evidence, ensure_ascii=False))
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


def start_run(db: sqlite_utils.Database, sources_file: str, sources_count: int) -> int:
    """Insert a crawl_runs row with status 'running'; returns its id."""
    with db.atomic():
        table = db["crawl_runs"].insert(
            {
                "started_at": now_iso(),
                "status": "running",
                "sources_file": sources_file,
                "sources_count": sources_count,
            }
        )
    return int(table.last_pk)


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    status: str,
    counts: dict[str, Any],
    stats: dict[str, Any],
) -> None:
    """Close a crawl_runs row with its final status, counts and per-source stats."""
    counts = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in counts.items()}
    with db.atomic():
        db["crawl_runs"].update(
            run_id,
            {
                "finished_at": now_iso(),
                "status": status,
                **counts,
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            },
        )


def record_source_health(
    db: sqlite_utils.Database,
    slug: str,
    ok: bool,
    error: str | None,
    listed_nothing: bool,
    flag_empty: int = 5,
    flag_failed: int = 3,
) -> str | None:
    """Update a source's health after a run; returns why it is flagged, if it is.

    A source is flagged when it has failed `flag_failed` runs in a row, or listed no
    article at all for `flag_empty` runs in a row: both mean a site changed or broke.
    """
    now = now_iso()
    with db.atomic():
        row = db["sources"].get(slug)
        failures = 0 if ok else (row.get("consecutive_failures") or 0) + 1
        empty = (row.get("consecutive_empty_runs") or 0) + 1 if listed_nothing else 0
        flag = None
        if failures >= flag_failed:
            flag = f"failed {failures} runs in a row"
        elif empty >= flag_empty:
            flag = f"listed nothing for {empty} runs in a row"
        changes: dict[str, Any] = {
            "last_run_at": now,
            "articles_total": db["articles"].count_where("source = ?", [slug]),
            "consecutive_failures": failures,
            "consecutive_empty_runs": empty,
            "flagged": flag,
        }
        if ok:
            changes["last_success_at"] = now
        else:
            changes.update(last_error_at=now, last_error=error)
        db["sources"].update(slug, changes)
    return flag


def mark_abandoned_runs(db: sqlite_utils.Database) -> int:
    """Close runs left 'running' by a crawl that was killed; call while holding the lock."""
    with db.atomic():
        cursor = db.execute("update crawl_runs set status = 'abandoned' where status = 'running'")
    return cursor.rowcount


DB_ATTEMPTS = 3
DB_BACKOFF_S = 1.0


def classify_db_error(exc: sqlite3.Error) -> str | None:
    """A short kind for database faults the crawl survives, or None for a bug."""
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return "db_locked"
    if "disk is full" in message or "disk i/o error" in message:
        return "db_full"
    if "readonly" in message or "read-only" in message:
        return "db_readonly"
    return None


def store_with_retry(
    db: sqlite_utils.Database,
    item: Article,
    run_id: int | None,
    attempts: int = DB_ATTEMPTS,
    backoff: float = DB_BACKOFF_S,
) -> str:
    """store_article, retried with exponential backoff while another writer holds the
    database (each attempt also waits the connection's busy timeout). Raises the last
    sqlite3.OperationalError; the article's transaction is rolled back every time."""
    for attempt in range(attempts):
        try:
            return store_article(db, item, run_id)
        except sqlite3.OperationalError as exc:
            if classify_db_error(exc) != "db_locked" or attempt == attempts - 1:
                raise
            time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


class StorePipeline(WriterStage):
    """Writes each article into the run's open batch (pipelines.writer) and counts the
    outcome once the batch is committed."""

    def process_item(self, item: Article) -> Article:
        start = time.perf_counter()
        report = self._reporter(item.url)
        try:
            if item.not_modified:
                self.writer.touch(item, report)
            else:
                self.writer.store(item, self.crawler.settings.getint("AITRACK_RUN_ID"), report)
        except sqlite3.OperationalError as exc:
            kind = classify_db_error(exc)
            if kind is None:
                raise
            from scrapy.exceptions import DropItem

            self.crawler.spider.record_failure(item.url, kind, f"not stored: {exc}")
            raise DropItem(f"{item.url} not stored: {exc}") from None
        finally:
            add_time(self.crawler, "store", (time.perf_counter() - start) * 1000)
        return item

    def _reporter(self, url: str) -> Any:
        def report(outcome: str, error: sqlite3.Error | None, ms: float) -> None:
            add_time(self.crawler, "commit", ms)
            if error is None:
                self.crawler.stats.inc_value(f"aitrack/articles_{outcome}")
                return
            kind = classify_db_error(error) or "db_error"
            self.crawler.spider.record_failure(url, kind, f"not stored (batch lost): {error}")

        return report
