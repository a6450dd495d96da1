"""The writer's speed-ups keep its output: the full-text indexes are rewritten only when
the text changes, and the story index's ranges read as one statement are the same rows
as a statement per key (bench/ingest_speed.py compares whole databases)."""

from __future__ import annotations

import random
from pathlib import Path

import sqlite_utils

from pipelines.store import open_db
from pipelines.store.stories import BAND_CAP, BAND_RANGE, ENTITY_CAP, ENTITY_RANGE, _ranges
from tests.test_store import TEXT, db, make_item, store  # noqa: F401  (db: a fixture)

FTS = ("articles_fts", "articles_fts_words")


def index_pages(database: sqlite_utils.Database) -> dict[str, list[tuple]]:
    """What each full-text index has written: its segments' pages."""
    pages = "select id, block from {}_data order by id"
    return {t: database.execute(pages.format(t)).fetchall() for t in FTS}


def matches(database: sqlite_utils.Database, word: str) -> dict[str, int]:
    return {
        t: database.execute(f"select count(*) from {t} where {t} match ?", [word]).fetchone()[0]
        for t in FTS
    }


def test_indexes_are_rewritten_only_when_the_text_changes(db) -> None:  # noqa: F811
    item = make_item("https://example.com/a")
    with db.conn:
        store(db, item)
    before = index_pages(db)
    with db.conn:
        # A story placed again and the same article stored again (every column assigned).
        db.execute("update articles set story_why = 'moved', story_score = 0.5")
        assert store(db, make_item("https://example.com/a")) == "unchanged"
    assert index_pages(db) == before  # nothing taken out of the indexes, nothing re-added
    changed = make_item("https://example.com/a", text=TEXT.replace("judge", "magistrate"))
    with db.conn:
        assert store(db, changed) == "updated"
    assert index_pages(db) != before
    assert matches(db, "magistrate") == {t: 1 for t in FTS}
    for table in FTS:  # the index agrees with the text it was made from
        db.execute(f"insert into {table} ({table}) values ('integrity-check')")
    with db.conn:
        db.execute("update articles set body = 'A different text.', summary = 'Different.'")
    assert matches(db, "magistrate") == {t: 0 for t in FTS}
    assert matches(db, "different") == {t: 1 for t in FTS}


def test_ranges_in_one_statement_are_the_ranges_of_a_statement_per_key(tmp_path: Path) -> None:
    ranges = open_db(tmp_path / "r.ranges")
    rng = random.Random(19)
    # 150 band keys (more than one statement's worth), some past the cap of rows each.
    keys = list(range(150))
    bands = {(k, f"a{rng.randrange(400):04d}") for k in keys for _ in range(rng.randrange(80))}
    days = [f"2025-01-{d:02d}" for d in range(1, 29)]
    entities = {
        (f"e{rng.randrange(90)}", rng.choice(days), f"a{rng.randrange(400):04d}")
        for _ in range(6000)
    }
    with ranges.conn:
        ranges.conn.executemany("insert into story_bands values (?, ?)", sorted(bands))
        ranges.conn.executemany("insert into story_entities values (?, ?, ?)", sorted(entities))
    rng.shuffle(keys)
    one_by_one = [
        (n, row[0])
        for n, key in enumerate(keys)
        for row in ranges.execute(
            "select article_id from story_bands where band_key = ? limit ?", [key, BAND_CAP]
        )  # fmt: skip
    ]
    assert _ranges(ranges, BAND_RANGE, [[k] for k in keys]) == one_by_one
    assert max(sum(1 for k, _ in bands if k == key) for key in keys) > BAND_CAP
    names = [f"e{n}" for n in range(95)]  # five that no row has
    window = ["2025-01-05", "2025-01-19"]
    one_by_one = [
        (n, row[0])
        for n, name in enumerate(names)
        for row in ranges.execute(
            "select article_id from story_entities where entity_id = ? and day between ? "
            "and ? order by day desc limit ?",
            [name, *window, ENTITY_CAP],
        )
    ]
    assert _ranges(ranges, ENTITY_RANGE, [[name, *window] for name in names]) == one_by_one
    assert len(one_by_one) > 0
    ranges.close()
