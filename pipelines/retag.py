"""Re-apply the current taxonomy to stored articles (`aitrack retag`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.store import open_db, sync_topics, write_tags
from pipelines.tagging import load_taxonomy, tag_text

BATCH = 200


@dataclass
class RetagChanges:
    articles: int = 0
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)


def retag_database(db_path: str | Path, taxonomy_path: str | Path | None = None) -> RetagChanges:
    """Tag every stored article again; one transaction per batch of articles.

    Side effects: rewrites `article_topics`, `article_entities`, `topics` and the
    `is_ai`, `relevance` and `topics` columns of `articles`.
    """
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path else load_taxonomy()
    db = open_db(db_path)
    sync_topics(db, taxonomy)
    changes = RetagChanges()
    ids = [row[0] for row in db.execute("select id from articles order by id").fetchall()]
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        marks = ",".join("?" * len(batch))
        rows = db.execute(
            f"select id, title, body, topics from articles where id in ({marks})", batch
        ).fetchall()
        with db.atomic():
            for article_id, title, body, old_topics in rows:
                tags = tag_text(title or "", body or "", taxonomy=taxonomy)
                before = set(json.loads(old_topics or "[]"))
                after = {t.slug for t in tags.topics}
                changes.added.update(after - before)
                changes.removed.update(before - after)
                db["articles"].update(
                    article_id,
                    {
                        "is_ai": int(tags.is_ai),
                        "relevance": tags.relevance,
                        "topics": json.dumps([t.slug for t in tags.topics]),
                    },
                )
                write_tags(db, article_id, tags)
                changes.articles += 1
    db.close()
    return changes
