"""Exact-duplicate detection: the same text under two URLs is one story, two rows.

Republished wire copy is the common case. Both rows are kept (each source's copy is
provenance a researcher may need) and share a `cluster_id`, which is the id of the
first copy stored. The hash is computed with the page (pipelines.process); the cluster
is looked up by the writer, the one connection that sees its own uncommitted batch.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

import sqlite_utils

PUNCT_SPACE = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """SHA-256 (32 hex digits) of the text with case and whitespace normalised."""
    normal = PUNCT_SPACE.sub(" ", text).strip().lower()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def find_cluster(db: sqlite_utils.Database, digest: str, article_id: str) -> str:
    """The cluster an article with this content hash belongs to (its own id if none).

    This is a read-only operation.
    """
    # One statement: asking first whether the table exists (sqlite-utils' exists())
    # cost two schema queries per article stored, more than the lookup itself.
    try:
        other = db.conn.execute(
            "select cluster_id from articles where content_hash = ? and id != ? "
            "order by first_seen_at, id limit 1",
            [digest, article_id],
        ).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return article_id  # nothing stored yet
        raise
    return other[0] if other and other[0] else article_id
