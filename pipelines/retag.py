"""Re-apply tagging to stored articles (`aitrack retag`): the rules of the current
taxonomy and the semantic layer over the current exemplars (data/exemplars.yaml)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.semantic import EXEMPLARS_PATH
from pipelines.store import open_db, sync_topics, tag_columns, write_tags
from pipelines.store.articles import story_entities
from pipelines.store.stories import refresh, reindex_entities
from pipelines.tagging import TAXONOMY_PATH, load_classifier, load_taxonomy, tag_text

BATCH = 200


@dataclass
class RetagChanges:
    articles: int = 0
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)


def retag_database(
    db_path: str | Path,
    taxonomy_path: str | Path | None = None,
    exemplars_path: str | Path = EXEMPLARS_PATH,
) -> RetagChanges:
    """Tag every stored article again; one transaction per batch of articles.

    Side effects: rewrites `article_topics`, `article_entities`, `topics` and the
    tagging columns of `articles` (`is_ai`, `relevance`, `topics`, `ai_method`,
    `ai_evidence`, `ai_passages`); the stories' entity index and topics follow. Story
    membership is kept (`aitrack stories --rebuild` places articles again).
    """
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path else load_taxonomy()
    # Both layers again: the regressions are refitted for this taxonomy and exemplars.
    classifier = load_classifier(taxonomy_path or TAXONOMY_PATH, exemplars_path)
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
                tags = tag_text(title or "", body or "", taxonomy=taxonomy, classifier=classifier)
                before = set(json.loads(old_topics or "[]"))
                after = {t.slug for t in tags.topics}
                changes.added.update(after - before)
                changes.removed.update(before - after)
                db["articles"].update(article_id, tag_columns(tags))
                write_tags(db, article_id, tags)
                reindex_entities(db, article_id, story_entities(tags))
                changes.articles += 1
        with db.atomic():  # the stories' topics follow their articles' new tags
            for (story_id,) in db.execute(
                f"select distinct story_id from articles where id in ({marks}) "
                "and story_id is not null",
                batch,
            ).fetchall():
                refresh(db, story_id)
    db.close()
    return changes
