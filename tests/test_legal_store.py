"""Legal objects in the store (issue 18): recognition in process_page, rows written by the
article's savepoint, idempotent re-runs, and deadlines whose extensions keep history."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from pipelines.dedupe import find_cluster
from pipelines.legal.deadlines import Deadline
from pipelines.model import Article, Hints
from pipelines.process import process_page
from pipelines.store import open_db, store_article, sync_topics
from pipelines.store.legal import record_deadline
from pipelines.tagging import load_taxonomy

PARAGRAPHS = [
    "The Copyright Office asked about training data in a notice of inquiry, document "
    "2023-18624, which took comments in docket COLC-2023-0006 on Regulations.gov.",
    "Initial comments are due October 18, the notice says, and reply comments are due "
    "November 15 for anyone answering what others filed about artificial intelligence.",
    "Separately, authors pressed Kadrey v. Meta, No. 3:23-cv-03417 (N.D. Cal.), where a "
    "federal judge is weighing whether training a language model is fair use.",
] * 2


def make_item(
    url: str, paragraphs: list[str] = PARAGRAPHS, published: str = "2023-08-30"
) -> Article:
    title = "Copyright Office opens AI inquiry"
    html = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>"
    )
    item = Article(
        url=url,
        source="demo",
        fetched_at="2023-08-30T12:00:00+00:00",
        status=200,
        html=html,
        hints=Hints(published=published, origin="feed"),
    )
    return process_page(item)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = open_db(tmp_path / "t.db")
    sync_topics(database, load_taxonomy())
    database["sources"].insert({"slug": "demo", "name": "Demo"}, pk="slug")
    return database


def store(db: sqlite_utils.Database, item: Article) -> str:
    item.cluster_id = find_cluster(db, item.content_hash, item.id)
    with db.conn:
        return store_article(db, item)


def test_process_page_finds_the_objects_and_the_deadlines() -> None:
    item = make_item("https://example.org/a")
    assert item.extracted is not None and item.legal is not None
    found = {(m.kind, m.id) for m in item.legal}
    assert {
        ("fr_document", "2023-18624"),
        ("reg_docket", "COLC-2023-0006"),
        ("case", "Kadrey v. Meta"),
        ("docket", "cand:3:23-cv-03417"),
    } <= found
    text = f"{item.extracted.title}\n\n{item.extracted.text}"
    assert all(text[m.start : m.end] == m.text for m in item.legal)
    deadlines = {(d.object_id, d.kind): d.date for d in item.deadlines}
    assert deadlines[("COLC-2023-0006", "comments_close")] == "2023-10-18"
    assert deadlines[("COLC-2023-0006", "reply_comments")] == "2023-11-15"


def test_the_writer_stores_objects_spans_and_deadlines_once(db) -> None:
    item = make_item("https://example.org/a")
    assert store(db, item) == "new"
    assert store(db, make_item("https://example.org/a")) == "unchanged"
    objects = {r["key"] for r in db["legal_objects"].rows}
    assert "reg_docket:COLC-2023-0006" in objects and "docket:cand:3:23-cv-03417" in objects
    links = list(db["article_legal_objects"].rows)
    assert len(links) == len(item.legal or [])  # the re-run added nothing
    body = db.execute("select title || char(10) || char(10) || body from articles").fetchone()[0]
    for link in links:
        assert body[link["span_start"] : link["span_end"]] == link["text"]
    assert db["deadlines"].count == 2
    assert db["deadline_history"].count == 0


def test_an_extension_replaces_the_date_and_keeps_the_history(db) -> None:
    store(db, make_item("https://example.org/a"))
    extended = make_item(
        "https://example.org/b",
        [
            "The Copyright Office extended the deadline for initial comments in docket "
            "COLC-2023-0006 to October 30 after requests from artificial intelligence firms "
            "and from groups representing authors who said they needed more time to answer."
        ]
        * 2,
        published="2023-09-21",
    )
    store(db, extended)
    row = db.execute(
        "select id, date, evidence from deadlines where object_key = ? and kind = ?",
        ["reg_docket:COLC-2023-0006", "comments_close"],
    ).fetchone()
    assert row[1] == "2023-10-30" and "extended" in row[2]
    history = db.execute(
        "select date, replaced_at from deadline_history where deadline_id = ?", [row[0]]
    ).fetchall()
    assert [h[0] for h in history] == ["2023-10-18"] and history[0][1]
    # Re-storing the first article (a re-crawl) must not undo the extension.
    store(db, make_item("https://example.org/a"))
    assert db.execute("select date from deadlines where id = ?", [row[0]]).fetchone()[0] == (
        "2023-10-30"
    )


def test_an_earlier_statement_or_a_lower_source_does_not_replace(db) -> None:
    def deadline(date: str, source: str, as_of: str) -> Deadline:
        kind = "comments_close"
        return Deadline("fr_document", "2024-20529", kind, date, None, source, "e", as_of)

    with db.conn:
        assert record_deadline(db, deadline("2024-10-11", "api:federal-register", "2024-09-11"))
        assert record_deadline(db, deadline("2024-10-15", "article", "2024-09-20")) == "older"
        assert record_deadline(db, deadline("2024-10-11", "article", "2024-09-20")) == "same"
        later = deadline("2024-10-18", "api:federal-register", "2024-09-30")
        assert record_deadline(db, later) == "replaced"
    assert db.execute("select date from deadlines").fetchone()[0] == "2024-10-18"
    assert db["deadline_history"].count == 1


def test_a_rescan_of_stored_articles_rebuilds_the_same_rows(db) -> None:
    from pipelines.legal.scan import scan_articles

    store(db, make_item("https://example.org/a"))
    before = sorted(tuple(r.values()) for r in db["article_legal_objects"].rows)
    with db.conn:
        db.execute("delete from article_legal_objects")  # a database from before issue 18
    assert scan_articles(db, batch=1) == 1
    assert sorted(tuple(r.values()) for r in db["article_legal_objects"].rows) == before
    scan_articles(db)
    assert len(before) == db["article_legal_objects"].count
    assert db["deadlines"].count == 2
