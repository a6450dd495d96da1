"""Stories: syndicated copies and same-event coverage folded into one story, through the
real pipeline (process_page, store_article with its placement) on real SQLite files.

Texts come from the development part of the labeled set (tests/fixtures/stories/dev.yaml,
written for this project); the held-out part is only read by bench/stories.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
import yaml

from pipelines.model import Article, Hints
from pipelines.process import process_page
from pipelines.retag import retag_database
from pipelines.store import open_db, store_article, sync_topics
from pipelines.stories.diff import side_by_side
from pipelines.stories.match import COPY_JACCARD, EVENT_WINDOW_DAYS
from pipelines.stories.rebuild import rebuild_stories
from pipelines.tagging import load_taxonomy

DEV = {
    item["id"]: item
    for item in yaml.safe_load(
        (Path(__file__).parent / "fixtures" / "stories" / "dev.yaml").read_text(encoding="utf-8")
    )
}
INTRO = "Editor's note: this report comes from our wire partners and was lightly edited."
OUTRO = "Sign up for our newsletter. We may earn a commission from links on this page."


def page(
    url: str,
    title: str,
    body: str,
    source: str,
    published: str,
    author: str | None = None,
) -> Article:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    byline = f'<meta name="author" content="{author}">' if author else ""
    html = (
        f"<html><head><title>{title}</title>{byline}</head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    )
    item = Article(
        url=url,
        source=source,
        fetched_at=f"{published}T12:00:00+00:00",
        status=200,
        html=html,
        hints=Hints(published=published, origin="feed"),
    )
    return process_page(item)


def dev_page(key: str, source: str, published: str | None = None, **changes: str) -> Article:
    item = DEV[key]
    body = changes.get("body", item["body"])
    return page(
        f"https://{source}.example/{key}",
        changes.get("title", item["title"]),
        body,
        source,
        published or item["published"],
    )


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = open_db(tmp_path / "s.db")
    sync_topics(database, load_taxonomy())
    for slug in ("ledger", "gazette", "review", "aggregator"):
        database["sources"].insert({"slug": slug, "name": slug.title()}, pk="slug")
    return database


def put(db: sqlite_utils.Database, item: Article) -> str:
    with db.conn:
        return store_article(db, item)


def row(db: sqlite_utils.Database, item: Article) -> dict:
    return dict(db["articles"].get(item.id))


def groups(db: sqlite_utils.Database) -> set[frozenset[str]]:
    by_story: dict[int, set[str]] = {}
    for article_id, story_id in db.execute("select id, story_id from articles"):
        by_story.setdefault(story_id, set()).add(article_id)
    return {frozenset(ids) for ids in by_story.values()}


def assert_one_story_each(db: sqlite_utils.Database) -> None:
    """Every article in exactly one existing story, and each story's count is right."""
    assert db.execute("select count(*) from articles where story_id is null").fetchone()[0] == 0
    orphans = db.execute(
        "select count(*) from articles a left join stories s on s.id = a.story_id "
        "where s.id is null"
    ).fetchone()[0]
    assert orphans == 0
    for story_id, count in db.execute("select id, articles from stories").fetchall():
        members = db.execute(
            "select count(*) from articles where story_id = ?", [story_id]
        ).fetchone()[0]
        assert members == count
        originals = db.execute(
            "select count(*) from articles where story_id = ? and story_relation = 'original'",
            [story_id],
        ).fetchone()[0]
        assert originals == 1


def test_a_syndicated_copy_with_clutter_joins_the_original(db) -> None:
    original = dev_page("d-garante-1", "gazette")
    body = f"{INTRO}\n\n{DEV['d-garante-1']['body']}\n\n{OUTRO}".replace(
        "The company called", "OpenAI called"
    )
    copy = dev_page("d-garante-1", "aggregator", "2024-12-21", body=body)
    put(db, original)
    put(db, copy)
    a, b = row(db, original), row(db, copy)
    assert a["story_id"] == b["story_id"]
    assert a["content_hash"] != b["content_hash"]  # not an exact duplicate
    assert (a["story_relation"], b["story_relation"]) == ("original", "copy")
    assert COPY_JACCARD <= b["story_score"] < 1.0
    assert b["story_with"] == original.id and "word sequences" in b["story_why"]
    story = db["stories"].get(a["story_id"])
    assert json.loads(story["outlets"]) == ["Gazette", "Aggregator"]  # the original first
    assert story["original_id"] == original.id and story["articles"] == 2
    assert_one_story_each(db)


def test_same_event_in_their_own_words_is_one_story_with_its_reason(db) -> None:
    first, second = dev_page("d-getty-1", "ledger"), dev_page("d-getty-2", "gazette")
    put(db, first)
    put(db, second)
    a, b = row(db, first), row(db, second)
    assert a["story_id"] == b["story_id"]
    assert b["story_relation"] == "same_event"
    assert "Getty Images" in b["story_why"] and "Stability AI" in b["story_why"]
    assert f"{b['story_score']:.2f}" in b["story_why"]  # the similarity it was judged on
    assert_one_story_each(db)


def test_the_same_names_outside_the_time_window_make_a_new_story(db) -> None:
    first = dev_page("d-getty-1", "ledger")
    later = dev_page("d-getty-2", "gazette", f"2025-11-{4 + EVENT_WINDOW_DAYS + 6:02d}")
    put(db, first)
    put(db, later)
    assert row(db, first)["story_id"] != row(db, later)["story_id"]
    assert row(db, later)["story_relation"] == "original"


def test_a_follow_up_and_another_event_stay_apart(db) -> None:
    items = [
        dev_page("d-anthropic-1", "ledger"),
        dev_page("d-anthropic-followup", "gazette"),  # same parties, three days later
        dev_page("d-sb1047-1", "ledger"),
        dev_page("d-ab2013", "gazette"),  # the same governor, another bill, a day apart
    ]
    for item in items:
        put(db, item)
    assert db["stories"].count == 4
    assert_one_story_each(db)


def test_storing_again_adds_nothing_and_keeps_every_story(db) -> None:
    items = [dev_page(k, s) for k, s in [("d-nyt-1", "ledger"), ("d-nyt-2", "review")]]
    for item in items:
        put(db, item)
    tables = ("stories", "story_bands", "story_entities", "story_signatures")
    before = {t: db[t].count for t in tables} | {"groups": groups(db)}
    for key, source in [("d-nyt-1", "ledger"), ("d-nyt-2", "review")]:
        put(db, dev_page(key, source))
    assert {t: db[t].count for t in tables} | {"groups": groups(db)} == before
    assert_one_story_each(db)


def test_a_changed_text_is_placed_again(db) -> None:
    first, second = dev_page("d-getty-1", "ledger"), dev_page("d-getty-2", "gazette")
    put(db, first)
    put(db, second)
    # The page at the same address now carries another story altogether.
    changed = dev_page("d-getty-2", "gazette", body=DEV["d-games-1"]["body"], title="Strike")
    assert put(db, changed) == "updated"
    assert row(db, changed)["story_id"] != row(db, first)["story_id"]
    assert db["stories"].get(row(db, first)["story_id"])["articles"] == 1
    assert_one_story_each(db)


def test_the_original_is_the_earliest_then_a_wire_credit(db) -> None:
    later = dev_page("d-sb1047-1", "ledger", "2024-09-30")
    earlier = dev_page("d-sb1047-1", "aggregator", "2024-09-29")
    put(db, later)  # stored first, published later
    put(db, earlier)
    story = db["stories"].get(row(db, later)["story_id"])
    assert story["original_id"] == earlier.id
    assert row(db, later)["story_relation"] == "copy"
    assert row(db, earlier)["story_relation"] == "original"
    assert json.loads(story["outlets"])[0] == "Aggregator"
    assert_one_story_each(db)


def test_on_the_same_instant_a_wire_credit_makes_the_original(db) -> None:
    item = DEV["d-garante-1"]
    plain = page("https://review.example/a", item["title"], item["body"], "review", "2024-12-20")
    wire = page(
        "https://gazette.example/b",
        item["title"],
        item["body"] + "\n\nWith reporting by Reuters.",
        "gazette",
        "2024-12-20",
        author="Reuters",
    )
    put(db, plain)
    put(db, wire)
    assert db["stories"].get(row(db, plain)["story_id"])["original_id"] == wire.id


def test_rebuild_places_every_article_again_the_same_way(db, tmp_path: Path) -> None:
    for key, source in [
        ("d-getty-1", "ledger"),
        ("d-getty-2", "gazette"),
        ("d-getty-3", "review"),
        ("d-nyt-1", "ledger"),
        ("d-games-1", "review"),
    ]:
        put(db, dev_page(key, source))
    before = groups(db)
    db.close()
    result = rebuild_stories(tmp_path / "s.db")
    db = sqlite_utils.Database(tmp_path / "s.db")
    assert groups(db) == before
    assert result["articles"] == 5 and result["stories"] == len(before)
    assert_one_story_each(db)


def test_retag_keeps_the_stories_and_their_topics_in_step(db, tmp_path: Path) -> None:
    put(db, dev_page("d-getty-1", "ledger"))
    put(db, dev_page("d-getty-2", "gazette"))
    before = groups(db)
    db.execute("update stories set topics = '[]'")  # as if the taxonomy had changed
    db.conn.commit()
    db.close()
    retag_database(tmp_path / "s.db")
    db = sqlite_utils.Database(tmp_path / "s.db")
    assert groups(db) == before
    expected = sorted(
        {t for (topics,) in db.execute("select topics from articles") for t in json.loads(topics)}
    )
    assert expected and [json.loads(t) for (t,) in db.execute("select topics from stories")] == [
        expected
    ]


def test_a_database_from_before_stories_gets_one_story_per_cluster(tmp_path: Path) -> None:
    db = open_db(tmp_path / "old.db")
    sync_topics(db, load_taxonomy())
    db["sources"].insert({"slug": "ledger", "name": "Ledger"}, pk="slug")
    db["sources"].insert({"slug": "gazette", "name": "Gazette"}, pk="slug")
    first, second = dev_page("d-nyt-1", "ledger"), dev_page("d-nyt-1", "gazette")
    put(db, first)
    put(db, second)
    # Undo what m008 added and run it again, as on a database that predates it.
    with db.conn:
        db.execute("update articles set story_id = null, story_relation = null")
        db.execute("update articles set cluster_id = ? where id = ?", [first.id, second.id])
        db.execute("drop view article_feed")  # m008 replaces it; it reads `stories`
        db.execute("create view article_feed as select id from articles")
        for table in ("stories", "story_bands", "story_entities", "story_signatures"):
            db.execute(f"drop table {table}")
        db.execute("drop index idx_articles_story_id")
        for column in ("story_id", "story_relation", "story_score", "story_why", "story_with"):
            db.execute(f"alter table articles drop column {column}")
        db.execute("delete from _sqlite_migrations where name = 'm008_stories'")
    db.close()
    db = open_db(tmp_path / "old.db")
    assert groups(db) == {frozenset({first.id, second.id})}
    assert_one_story_each(db)


def test_minhash_is_datasketchs() -> None:
    datasketch = pytest.importorskip("datasketch")
    from pipelines.stories.signature import NUM_PERM, SEED, minhash, shingles

    text = DEV["d-getty-1"]["body"]
    theirs = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, scheme="legacy")
    theirs.update_batch(list(shingles(text)))
    assert list(minhash(text)) == [int(v) for v in theirs.hashvalues]


def test_side_by_side_marks_the_clutter_and_the_edits() -> None:
    original = "First paragraph here.\n\nThe company called the fine unfair.\n\nLast one."
    copy = f"{INTRO}\n\nFirst paragraph here.\n\nOpenAI called the fine unfair.\n\nLast one."
    rows = side_by_side(original, copy)
    assert rows[0].kind == "added" and rows[0].right == [("ins", INTRO)]
    changed = [r for r in rows if r.kind == "changed"]
    assert len(changed) == 1
    assert ("del", "The company ") in changed[0].left
    assert ("ins", "OpenAI ") in changed[0].right


def test_the_stories_command_counts_and_rebuilds(db, tmp_path: Path, capsys) -> None:
    from crawlers.cli import main

    for key, source in [("d-getty-1", "ledger"), ("d-getty-2", "gazette"), ("d-nyt-1", "review")]:
        put(db, dev_page(key, source))
    db.close()
    assert main(["stories", "--db", str(tmp_path / "s.db")]) == 0
    counted = capsys.readouterr().out
    assert main(["stories", "--rebuild", "--db", str(tmp_path / "s.db")]) == 0
    assert capsys.readouterr().out == counted  # placing again finds the same stories
    assert counted.startswith("stories: 2, 1 covered by more than one source")
    assert main(["stories", "--db", str(tmp_path / "missing.db")]) != 0


def test_an_unchanged_article_from_before_stories_is_indexed_when_seen_again(db) -> None:
    first = dev_page("d-garante-1", "gazette")
    put(db, first)
    with db.conn:  # as the migration leaves it: in a story, not in the index
        for table in ("story_bands", "story_entities", "story_signatures"):
            db.execute(f"delete from {table}")
    assert put(db, dev_page("d-garante-1", "gazette")) == "unchanged"
    assert db["story_signatures"].count == 1
    copy = dev_page(
        "d-garante-1", "aggregator", "2024-12-21", body=f"{INTRO}\n\n{DEV['d-garante-1']['body']}"
    )
    put(db, copy)
    assert row(db, copy)["story_id"] == row(db, first)["story_id"]


def test_side_by_side_pairs_an_edited_paragraph_past_an_added_intro() -> None:
    original = "Companies that build models face new duties.\n\nThe rest is the same."
    copy = f"{INTRO}\n\nBusinesses that build models face new duties.\n\nThe rest is the same."
    rows = side_by_side(original, copy)
    assert [r.kind for r in rows] == ["added", "changed", "same"]
    assert ("del", "Companies ") in rows[1].left and ("ins", "Businesses ") in rows[1].right
