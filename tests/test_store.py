"""Storage: schema by migrations, idempotent writes, revisions, duplicates, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils

from pipelines.dedupe import find_cluster
from pipelines.model import METHODS, Article, Hints
from pipelines.process import process_page
from pipelines.retag import retag_database
from pipelines.store import open_db, store_article, sync_topics
from pipelines.tagging import load_taxonomy

TEXT = (
    "A federal judge ruled that the artificial intelligence company must face the authors' "
    "copyright lawsuit over the training data used for its large language model. "
) * 6


def make_item(
    url: str,
    text: str = TEXT,
    title: str = "Judge lets AI copyright lawsuit proceed",
    source: str = "demo",
) -> Article:
    html = (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        + "".join(f"<p>{p}</p>" for p in text.split(". ") if p)
        + "</article></body></html>"
    )
    item = Article(
        url=url,
        source=source,
        fetched_at="2024-01-01T00:00:00+00:00",
        status=200,
        html=html,
        hints=Hints(published="2024-01-01", origin="feed"),
    )
    return process_page(item)


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = open_db(tmp_path / "t.db")
    sync_topics(database, load_taxonomy())
    database["sources"].insert({"slug": "demo", "name": "Demo"}, pk="slug")
    database["sources"].insert({"slug": "other", "name": "Other"}, pk="slug")
    return database


def store(db, item: Article) -> str:
    item.cluster_id = find_cluster(db, item.content_hash, item.id)
    return store_article(db, item)


def test_schema_has_the_design_tables_and_fts(db) -> None:
    assert {
        "articles",
        "articles_fts",
        "topics",
        "article_topics",
        "entities",
        "article_entities",
        "article_revisions",
        "sources",
        "crawl_runs",
    } <= set(db.table_names())
    assert "porter" in db["articles_fts"].schema


def test_storing_twice_adds_no_rows(db) -> None:
    assert store(db, make_item("https://example.org/a?utm_source=x")) == "new"
    assert store(db, make_item("https://example.org/a")) == "unchanged"
    assert db["articles"].count == 1
    assert db["article_revisions"].count == 0
    row = next(db["articles"].rows)
    assert row["is_ai"] == 1 and "litigation" in json.loads(row["topics"])


def test_changed_text_keeps_the_old_version_as_a_revision(db) -> None:
    store(db, make_item("https://example.org/a"))
    assert (
        store(db, make_item("https://example.org/a", TEXT + " An update was added.")) == "updated"
    )
    assert db["article_revisions"].count == 1
    assert db["articles"].count == 1
    revision = next(db["article_revisions"].rows)
    assert "An update" not in revision["body"]


def test_same_text_on_another_url_joins_the_first_copys_cluster(db) -> None:
    first = make_item("https://example.org/a")
    store(db, first)
    copy = make_item("https://other.example/b", source="other")
    store(db, copy)
    assert copy.cluster_id == first.id
    assert db["articles"].count == 2


def test_search_finds_stemmed_words(db) -> None:
    store(db, make_item("https://example.org/a"))
    hits = list(db["articles"].search("ruling"))  # "ruled" stems like "ruling"
    assert len(hits) == 1


def test_a_failing_write_leaves_no_partial_article(db) -> None:
    item = make_item("https://example.org/a")
    item.cluster_id = item.id
    item.source = "missing-source"  # violates the foreign key at insert time
    with pytest.raises(sqlite_utils.db.sqlite3.IntegrityError):
        store_article(db, item)
    assert db["articles"].count == 0
    assert db["article_topics"].count == 0
    assert db["article_entities"].count == 0


def test_retag_applies_an_edited_taxonomy_and_edited_exemplars(db, tmp_path) -> None:
    import yaml

    from crawlers import DATA

    path = db.conn.execute("pragma database_list").fetchone()[2]
    store(db, make_item("https://example.org/a"))
    methods = dict(db.execute("select topic, method from article_topics").fetchall())
    assert methods.get("litigation") in ("rules", "both")
    doc = yaml.safe_load((DATA / "taxonomy.yaml").read_text(encoding="utf-8"))
    doc["topics"]["litigation"]["threshold"] = 10_000
    edited = tmp_path / "taxonomy.yaml"
    edited.write_text(yaml.safe_dump(doc), encoding="utf-8")
    # Exemplars without a single litigation item: neither layer can give the topic now.
    exemplars = yaml.safe_load((DATA / "exemplars.yaml").read_text(encoding="utf-8"))
    kept = tmp_path / "exemplars.yaml"
    kept.write_text(
        yaml.safe_dump([e for e in exemplars if "litigation" not in e["topics"]]), encoding="utf-8"
    )
    changes = retag_database(path, edited, kept)
    assert changes.articles == 1
    assert changes.removed["litigation"] == 1
    db2 = sqlite_utils.Database(path)
    assert (
        db2.execute("select count(*) from article_topics where topic='litigation'").fetchone()[0]
        == 0
    )
    # Every row says which layer made it, and a semantic tag keeps its sentences.
    for method, evidence, vote, passages in db2.execute(
        "select method, evidence, vote, passages from article_topics"
    ).fetchall():
        assert method in METHODS
        assert (method == "semantic") == (json.loads(evidence) == [])
        assert (vote is None) == (method == "rules")
        assert (method == "rules") == (json.loads(passages) == [])
    row = db2.execute("select is_ai, ai_method, ai_evidence from articles").fetchone()
    assert row[0] == 1 and row[1] in METHODS and json.loads(row[2])
