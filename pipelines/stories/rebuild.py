"""`aitrack stories --rebuild`: every stored article placed again, from its stored text.

For a database made before stories existed (the migration gave each exact-duplicate
cluster a story, without fingerprints), after a change of the rules in
`pipelines.stories.match`, or after `aitrack reextract` into an older database.
Articles are placed in publication order, as a crawl would have met them, so the
original of each story is the first placed; one transaction per batch, so an
interrupted rebuild leaves every article in exactly one story (run it again to finish).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.store import open_db
from pipelines.store.stories import article_entities, place, unindex
from pipelines.stories.signature import fingerprint

BATCH = 500


def rebuild_stories(db_path: str | Path) -> dict[str, int]:
    """Place every article again. Returns counts: articles, stories, and how many
    articles are copies and same-event coverage."""
    db = open_db(db_path)
    ids = [
        row[0]
        for row in db.execute(
            "select id from articles order by coalesce(published_at, first_seen_at), "
            "first_seen_at, id"
        ).fetchall()
    ]
    with db.atomic():
        # Out of the index first, so that no article is matched with one not yet placed
        # again; each keeps its current story until its own turn comes.
        db.execute("delete from story_bands")
        db.execute("delete from story_entities")
        db.execute("delete from story_signatures")
    for start in range(0, len(ids), BATCH):
        with db.atomic():
            for article_id in ids[start : start + BATCH]:
                title, body, day, seen = db.execute(
                    "select title, body, published_day, first_seen_at from articles where id = ?",
                    [article_id],
                ).fetchone()
                unindex(db, article_id)
                place(
                    db,
                    article_id,
                    fingerprint(title or "", body or ""),
                    day or (seen or "")[:10] or None,
                    article_entities(db, article_id),
                    changed=True,
                )
    counts = dict(db.execute("select story_relation, count(*) from articles group by 1").fetchall())
    result = {
        "articles": len(ids),
        "stories": db["stories"].count,
        "copies": counts.get("copy", 0),
        "same_event": counts.get("same_event", 0),
    }
    db.close()
    return result
