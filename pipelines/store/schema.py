"""The schema of docs/schema.md, as migrations, and opening a database at its latest."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("aitrack")
# Prepared statements a connection keeps (see open_db).
STATEMENT_CACHE = 512


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
    # The Atom renderer needs atom_id, atom_title and an atom_updated with a time zone.
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


@migrations()
def m004_article_sources(db: sqlite_utils.Database) -> None:
    # Provenance: every source that listed an article, not only the first finder that
    # `articles.source` keeps. Earlier rows only know the source that last wrote them.
    db["article_sources"].create(
        {
            "article_id": str,
            "source": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "crawl_run_id": int,
        },
        pk=("article_id", "source"),
        foreign_keys=[("article_id", "articles", "id"), ("source", "sources", "slug")],
    )
    db["article_sources"].create_index(["source"])
    db.execute(
        "insert into article_sources (article_id, source, first_seen_at, last_seen_at, "
        "crawl_run_id) select id, source, first_seen_at, last_seen_at, crawl_run_id "
        "from articles"
    )


@migrations()
def m005_unstemmed_search_index(db: sqlite_utils.Database) -> None:
    # articles_fts is porter-stemmed, so "regulation" is stored as "regul" and the prefix
    # regulat* cannot find it. A second index of the same columns keeps words as written:
    # the site's search uses it for prefixes, and its vocabulary (articles_fts_words_vocab)
    # for "did you mean". Its triggers fire only when the indexed text changes.
    db.execute(
        "create virtual table articles_fts_words using fts5(title, summary, body, "
        "content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "create virtual table articles_fts_words_vocab using fts5vocab(articles_fts_words, 'row')"
    )
    db.executescript(
        """
        create trigger articles_words_ai after insert on articles begin
          insert into articles_fts_words (rowid, title, summary, body)
          values (new.rowid, new.title, new.summary, new.body);
        end;
        create trigger articles_words_ad after delete on articles begin
          insert into articles_fts_words (articles_fts_words, rowid, title, summary, body)
          values ('delete', old.rowid, old.title, old.summary, old.body);
        end;
        create trigger articles_words_au after update of title, summary, body on articles begin
          insert into articles_fts_words (articles_fts_words, rowid, title, summary, body)
          values ('delete', old.rowid, old.title, old.summary, old.body);
          insert into articles_fts_words (rowid, title, summary, body)
          values (new.rowid, new.title, new.summary, new.body);
        end;
        """
    )
    db.execute("insert into articles_fts_words (articles_fts_words) values ('rebuild')")


@migrations()
def m006_feed_authors(db: sqlite_utils.Database) -> None:
    # Feed readers show an entry's author: the article's byline, else its source's name.
    db.execute("drop view article_feed")
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
          coalesce(a.summary, substr(a.body, 1, 500)) as atom_content,
          coalesce(nullif(a.author, ''), (select s.name from sources s where s.slug = a.source),
            a.source) as atom_author_name
        from articles a
        """,
    )


@migrations()
def m007_tag_methods(db: sqlite_utils.Database) -> None:
    # Issue 15: tags come from the rules, the semantic layer or both; each keeps the method,
    # the semantic vote and the sentences that carried it, and so does AI relevance.
    # Earlier rows were all made by the rules.
    db["article_topics"].add_column("method", str, not_null_default="rules")
    db["article_topics"].add_column("vote", float)
    db["article_topics"].add_column("passages", str)
    db["articles"].add_column("ai_method", str)
    db["articles"].add_column("ai_evidence", str)
    db["articles"].add_column("ai_passages", str)
    db.execute("update articles set ai_method = 'rules' where is_ai = 1")


@migrations()
def m008_stories(db: sqlite_utils.Database) -> None:
    # Issue 17: syndicated copies and same-event coverage folded into stories
    # (pipelines/store/stories.py, docs/stories.md). Every article belongs to one story.
    db["stories"].create(
        {
            "id": int,
            "title": str,
            "first_published": str,
            "articles": int,
            "outlets": str,
            "outlet_count": int,
            "topics": str,
            "original_id": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["stories"].create_index(["first_published"])
    for column, kind in (
        ("story_id", int),
        ("story_relation", str),
        ("story_score", float),
        ("story_why", str),
        ("story_with", str),
    ):
        db["articles"].add_column(column, kind)
    db["articles"].create_index(["story_id"])
    # The incremental index: WITHOUT ROWID tables are their primary key's B-tree, so a
    # lookup is one range read of it.
    db.execute(
        "create table story_bands (band_key integer not null, article_id text not null, "
        "primary key (band_key, article_id)) without rowid"
    )
    db.execute(
        "create table story_entities (entity_id text not null, day text not null, "
        "article_id text not null, primary key (entity_id, day, article_id)) without rowid"
    )
    db["story_signatures"].create(
        {
            "article_id": str,
            "day": str,
            "minhash": bytes,
            "vector": bytes,
            "bands": bytes,
            "entities": str,
        },
        pk="article_id",
    )
    # Existing articles: a story per exact-duplicate cluster, at once and without the
    # model; `aitrack stories --rebuild` then fingerprints them for near copies and
    # same-event coverage (and indexes them for the articles to come).
    db.execute(
        "insert into stories (id, title, first_published, articles, outlets, outlet_count, "
        "topics, original_id, updated_at) "
        "select null, '', null, 0, '[]', 0, '[]', cluster_key, null from ("
        "select distinct coalesce(cluster_id, id) as cluster_key from articles)"
    )
    db.execute(
        "update articles set story_id = (select s.id from stories s "
        "where s.original_id = coalesce(articles.cluster_id, articles.id)), "
        "story_relation = case when coalesce(cluster_id, id) = id then 'original' else 'copy' "
        "end, story_score = 1.0, story_why = case when coalesce(cluster_id, id) = id "
        "then 'the first article of its story' else 'the same text as article ' || cluster_id "
        "end, story_with = case when coalesce(cluster_id, id) = id then null else cluster_id end"
    )
    from pipelines.store.stories import refresh  # the one definition of a story's row

    for (story_id,) in db.execute("select id from stories").fetchall():
        refresh(db, story_id)
    # Feeds list a story once: `story_first` marks the article that stands for it (its
    # original), and an entry's content opens with who else covered it.
    db.execute("drop view article_feed")
    db.create_view(
        "article_feed",
        """
        select a.id, a.title, a.source, a.published_day, a.published_at, a.url, a.summary,
          a.is_ai, a.topics, a.cluster_id, a.last_changed_at,
          a.story_id, a.story_relation,
          case when coalesce(a.story_relation, 'original') = 'original' then 1 else 0 end
            as story_first,
          st.outlet_count as story_outlets,
          'tag:aitrack,2026:article/' || a.id as atom_id,
          a.title as atom_title,
          case
            when a.published_at is null then a.first_seen_at
            when length(a.published_at) = 10 then a.published_at || 'T00:00:00+00:00'
            else a.published_at
          end as atom_updated,
          a.url as atom_link,
          case when st.outlet_count > 1 then 'Covered by ' || st.outlet_count || ' outlets: '
            || (select group_concat(o.value, ', ') from json_each(st.outlets) o) || '. '
            else '' end || coalesce(a.summary, substr(a.body, 1, 500)) as atom_content,
          coalesce(nullif(a.author, ''), (select s.name from sources s where s.slug = a.source),
            a.source) as atom_author_name
        from articles a left join stories st on st.id = a.story_id
        """,
    )


@migrations()
def m009_legal_objects(db: sqlite_utils.Database) -> None:
    # Issue 18: the legal objects articles name, the evidence of each naming, and the
    # deadlines of each object with the dates they replaced (an extension keeps history).
    db["legal_objects"].create(
        {
            "key": str,  # kind:canonical_id, one row per object however it is written
            "kind": str,
            "canonical_id": str,
            "title": str,
            "jurisdiction": str,
            "court_or_agency": str,
            "status": str,
            "official_url": str,
            "fetched_at": str,  # when an official API last answered for it; null: never
            "resolve_note": str,  # why it was not resolved (no key, not found, ...)
            "same_as": str,  # JSON list of the keys the official record says are this object
            "first_seen_at": str,
        },
        pk="key",
    )
    db["legal_objects"].create_index(["kind", "canonical_id"], unique=True)
    db["article_legal_objects"].create(
        {
            "article_id": str,
            "object_key": str,
            "text": str,  # as written
            "span_start": int,  # offsets in "title, blank line, body"
            "span_end": int,
        },
        pk=("article_id", "object_key", "span_start"),
        foreign_keys=[("article_id", "articles", "id"), ("object_key", "legal_objects", "key")],
    )
    db["article_legal_objects"].create_index(["object_key"])
    deadline = {
        "object_key": str,
        "kind": str,
        "label": str,  # which of several dates of one kind (a law applying in stages)
        "date": str,
        "time_zone": str,
        "source": str,
        "evidence": str,
        "as_of": str,
        "recorded_at": str,
    }
    db["deadlines"].create(
        {"id": int, **deadline},
        pk="id",
        foreign_keys=[("object_key", "legal_objects", "key")],
        not_null={"label"},
        defaults={"label": ""},
    )
    db["deadlines"].create_index(["object_key", "kind", "label"], unique=True)
    db["deadlines"].create_index(["date"])
    db["deadline_history"].create(
        {"id": int, "deadline_id": int, **deadline, "replaced_at": str},
        pk="id",
        foreign_keys=[("deadline_id", "deadlines", "id")],
    )
    db["deadline_history"].create_index(["deadline_id"])


@migrations()
def m010_alerts(db: sqlite_utils.Database) -> None:
    # Issue 20: alerts. A subscription's row says when it started (a new one starts from
    # then, unless backfilled) and how its last delivery went; the ledger holds every
    # (subscription, article) delivered, so nothing is sent twice and a failed delivery,
    # which writes nothing here, is retried by the next run. No recipient, webhook
    # address or secret is stored: those stay in the file and the environment.
    db["alert_subscriptions"].create(
        {
            "name": str,
            "follow": str,
            "channel": str,
            "started_at": str,
            "last_run_at": str,
            "last_sent_at": str,
            "last_error_at": str,
            "last_error": str,
            "consecutive_failures": int,
            "caught_up_at": str,
        },
        pk="name",
        defaults={"consecutive_failures": 0},
    )
    db["alert_deliveries"].create(
        {
            "subscription": str,
            "article_id": str,
            "story": str,
            "channel": str,
            "delivered_at": str,
        },
        pk=("subscription", "article_id"),
        foreign_keys=[("subscription", "alert_subscriptions", "name")],
    )
    db["alert_deliveries"].create_index(["subscription", "story"])
    # Each run reads only the articles first stored since the last complete delivery.
    db["articles"].create_index(["first_seen_at"], if_not_exists=True)


def open_db(path: str | Path, busy_timeout: float = 30.0) -> sqlite_utils.Database:
    """Open (creating if needed) a database and bring its schema up to date.

    WAL lets Datasette read while a crawl writes; the busy timeout makes a second writer
    wait for a lock instead of failing at once.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A statement cache of 512, not Python's 128: the writer runs about 120 statements
    # (the story lookups' batched ranges, one text per number of keys), and one
    # evicted is compiled again on its next use.
    db = sqlite_utils.Database(sqlite3.connect(str(path), cached_statements=STATEMENT_CACHE))
    db.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    db.conn.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    migrations.apply(db)
    return db


@migrations()
def m011_ingest_speed(db: sqlite_utils.Database) -> None:
    # The stemmed index's update trigger (sqlite-utils' enable_fts, m001) fired on an
    # update of any column, so every story placement (`update articles set story_id`)
    # and story refresh took the body out of articles_fts and tokenised it again: a
    # seventh of the writer's time, for text that had not changed. Both indexes' update
    # triggers now fire only when the indexed text really changes: an UPDATE OF trigger
    # fires whenever the column is assigned, and the writer's upsert assigns every
    # column, so a re-crawled unchanged article was tokenised twice over as well.
    changed = (
        "old.title is not new.title or old.summary is not new.summary or old.body is not new.body"
    )
    db.executescript(
        f"""
        drop trigger if exists articles_au;
        create trigger articles_au after update of title, summary, body on articles
        when {changed} begin
          insert into articles_fts (articles_fts, rowid, title, summary, body)
          values ('delete', old.rowid, old.title, old.summary, old.body);
          insert into articles_fts (rowid, title, summary, body)
          values (new.rowid, new.title, new.summary, new.body);
        end;
        drop trigger if exists articles_words_au;
        create trigger articles_words_au after update of title, summary, body on articles
        when {changed} begin
          insert into articles_fts_words (articles_fts_words, rowid, title, summary, body)
          values ('delete', old.rowid, old.title, old.summary, old.body);
          insert into articles_fts_words (rowid, title, summary, body)
          values (new.rowid, new.title, new.summary, new.body);
        end;
        """
    )
