"""End to end: the demo web served on 127.0.0.1, crawled by Scrapy's real downloader.

These tests guard the promises of `make demo` and `aitrack crawl`: what lands in the
database (counts, topics, is_ai, clean bodies, the republished story), and that running
again adds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from tests.conftest import DESIGN_TOPICS, demo_manifest, run_aitrack


def rows_by_path(db_path: Path) -> dict[str, dict]:
    db = sqlite_utils.Database(db_path)
    return {"/" + r["url"].split("/", 3)[3]: r for r in db.query("select * from articles")}


def test_demo_stores_every_demo_article(demo_db: Path) -> None:
    rows = rows_by_path(demo_db)
    manifest = demo_manifest()
    assert len(manifest) >= 50
    assert sorted(rows) == sorted(e["path"] for e in manifest)


def test_demo_run_is_recorded_as_ok(demo_db: Path) -> None:
    db = sqlite_utils.Database(demo_db)
    run = list(db.query("select * from crawl_runs order by id desc limit 1"))[0]
    assert run["status"] == "ok"
    assert run["articles_new"] == len(demo_manifest())
    assert run["errors"] == 0
    stats = json.loads(run["stats"])
    for source in stats["sources"].values():  # where the time went, stage by stage
        assert set(source["time_ms"]) == {"download", "extract", "tag", "legal", "story", "store"}
        assert source["time_ms"]["extract"] > 0
    assert set(stats["sources"]) == {
        "civic-ledger",
        "bench-and-bar",
        "eurodigest",
        "screen-workers",
        "fedbulletin",
    }


def test_every_topic_lands_on_some_article(demo_db: Path) -> None:
    db = sqlite_utils.Database(demo_db)
    counts = dict(db.execute("select topic, count(*) from article_topics group by topic"))
    for slug in DESIGN_TOPICS:
        assert counts.get(slug, 0) >= 1, f"no article tagged {slug}: {counts}"


def test_is_ai_matches_the_manifest(demo_db: Path) -> None:
    rows = rows_by_path(demo_db)
    wrong = [e["path"] for e in demo_manifest() if bool(rows[e["path"]]["is_ai"]) != e["is_ai"]]
    assert wrong == []
    assert sum(not e["is_ai"] for e in demo_manifest()) >= 5  # real negatives exist


def test_no_forbidden_topic_and_most_expected_topics(demo_db: Path) -> None:
    rows = rows_by_path(demo_db)
    expected = found = 0
    forbidden = []
    for entry in demo_manifest():
        topics = set(json.loads(rows[entry["path"]]["topics"]))
        expected += len(entry["topics"])
        found += len(set(entry["topics"]) & topics)
        forbidden += [(entry["path"], t) for t in set(entry["not_topics"]) & topics]
    assert forbidden == []
    assert found / expected >= 0.9, f"topic recall {found}/{expected}"


def test_no_clutter_reaches_any_body(demo_db: Path) -> None:
    rows = rows_by_path(demo_db)
    leaks = [
        (e["path"], c)
        for e in demo_manifest()
        for c in e["clutter"]
        if c in rows[e["path"]]["body"]
    ]
    assert leaks == []


def test_bodies_hold_the_whole_article(demo_db: Path) -> None:
    rows = rows_by_path(demo_db)
    for entry in demo_manifest():
        body = rows[entry["path"]]["body"]
        assert entry["body_starts"][:40] in body[:400], entry["path"]
        assert body.rstrip().endswith(entry["body_ends"][-40:]), entry["path"]
        assert rows[entry["path"]]["word_count"] >= 300


def test_dates_and_their_sources(demo_db: Path) -> None:
    rows = rows_by_path(demo_db)
    for entry in demo_manifest():
        row = rows[entry["path"]]
        assert row["published_day"] == entry["published"], entry["path"]
        assert row["published_source"] in {"feed", "sitemap", "api", "jsonld", "meta", "url"}
    # The listing gives no dates and the pages no metadata: the URL is the evidence.
    union = [r for p, r in rows.items() if p.startswith("/screen-workers/")]
    assert {r["published_source"] for r in union} == {"url"}


def test_republished_story_is_detected_as_one_cluster(demo_db: Path) -> None:
    db = sqlite_utils.Database(demo_db)
    clusters = list(
        db.query(
            "select cluster_id, group_concat(source) as sources, count(*) as n from articles "
            "group by cluster_id having n > 1"
        )
    )
    assert len(clusters) == 1
    assert sorted(clusters[0]["sources"].split(",")) == ["civic-ledger", "eurodigest"]


def test_tag_evidence_occurs_in_the_article(demo_db: Path) -> None:
    db = sqlite_utils.Database(demo_db)
    for row in db.query(
        "select a.title, a.body, t.evidence from article_topics t "
        "join articles a on a.id = t.article_id"
    ):
        text = f"{row['title']}\n{row['body']}"
        flat = " ".join(text.split())
        for phrase in json.loads(row["evidence"]):
            assert phrase in flat, phrase


def test_second_demo_run_adds_no_rows(tmp_path: Path, demo_db: Path) -> None:
    # A copy, so that the session's demo database stays as one run left it.
    copy = tmp_path / "again.db"
    copy.write_bytes(demo_db.read_bytes())
    demo_db = copy
    db = sqlite_utils.Database(demo_db)
    before = {
        t: db[t].count
        for t in ("articles", "article_topics", "entities", "article_entities", "article_revisions")
    }
    result = run_aitrack("demo", "--no-serve", "--db", str(demo_db), "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    after = {t: db[t].count for t in before}
    assert after == before
    runs = list(
        db.query(
            "select status, articles_new, articles_updated, not_modified "
            "from crawl_runs order by id"
        )
    )
    assert len(runs) == 2
    assert runs[-1]["articles_new"] == 0
    assert runs[-1]["articles_updated"] == 0
    assert runs[-1]["not_modified"] >= 5  # every index answered 304
    assert db.execute("select count(*) from articles_fts").fetchone()[0] == before["articles"]


def test_the_wire_copy_and_the_same_event_coverage_are_stories(demo_db: Path) -> None:
    db = sqlite_utils.Database(demo_db)
    names = dict(db.execute("select slug, name from sources"))
    shared = {
        row["id"]: row
        for row in db.query("select * from stories where outlet_count > 1 order by id")
    }
    relations = {
        story_id: sorted(
            (r["source"], r["story_relation"])
            for r in db.query(
                "select source, story_relation from articles where story_id = ?", [story_id]
            )
        )
        for story_id in shared
    }
    wire = [
        s
        for s, members in relations.items()
        if ("civic-ledger", "copy") in members or ("eurodigest", "copy") in members
    ]
    event = [
        s for s, members in relations.items() if any(rel == "same_event" for _, rel in members)
    ]
    assert len(wire) == 1 and len(event) >= 1
    # The wire story: word for word on two sites, and with Bench & Bar's own intro, light
    # edits and its clutter (affiliate disclaimer, newsletter box) on a third.
    assert {src for src, _ in relations[wire[0]]} == {"civic-ledger", "eurodigest", "bench-and-bar"}
    near = db.execute(
        "select story_score from articles where story_id = ? and source = 'bench-and-bar'",
        [wire[0]],
    ).fetchone()[0]
    assert 0 < near < 1
    getty = [s for s in event if "Getty" in shared[s]["title"]]
    assert len(getty) == 1
    assert {src for src, _ in relations[getty[0]]} == {"bench-and-bar", "eurodigest"}
    # The original's outlet is named first: the earliest published of the story.
    for story_id, story in shared.items():
        first = db.execute(
            "select source from articles where story_id = ? order by published_at limit 1",
            [story_id],
        ).fetchone()[0]
        assert json.loads(story["outlets"])[0] == names[first]
    # Every article belongs to exactly one story, and the counts add up.
    assert db.execute("select count(*) from articles where story_id is null").fetchone()[0] == 0
    assert db.execute("select sum(articles) from stories").fetchone()[0] == db["articles"].count
