"""Exact-duplicate detection: the same text under two URLs is one story, two rows.

Republished wire copy is the common case. Both rows are kept (each source's copy is
provenance a researcher may need) and share a `cluster_id`, which is the id of the
first copy stored.
"""

from __future__ import annotations

import hashlib
import re

import sqlite_utils

from crawlers.items import Article
from pipelines.timing import WriterStage, timed

PUNCT_SPACE = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """SHA-256 (32 hex digits) of the text with case and whitespace normalised."""
    normal = PUNCT_SPACE.sub(" ", text).strip().lower()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def find_cluster(db: sqlite_utils.Database, digest: str, article_id: str) -> str:
    """The cluster an article with this content hash belongs to (its own id if none).

    This is a read-only operation.
    """
    if not db["articles"].exists():
        return article_id
    other = db.execute(
        "select cluster_id from articles where content_hash = ? and id != ? "
        "order by first_seen_at, id limit 1",
        [digest, article_id],
    ).fetchone()
    return other[0] if other and other[0] else article_id


class DedupePipeline(WriterStage):
    """Sets `content_hash` and `cluster_id`; counts duplicates in the crawl's stats.

    Reads through the run's writer (pipelines.writer): only its connection sees the
    articles of the batch it has not committed yet.
    """

    @timed("dedupe")
    def process_item(self, item: Article) -> Article:
        if item.not_modified:
            return item
        assert item.id is not None
        item.content_hash = content_hash(item.extracted.text)
        item.cluster_id = find_cluster(self.writer.db, item.content_hash, item.id)
        if item.cluster_id != item.id:
            self.crawler.stats.inc_value("aitrack/duplicates")
        return item
