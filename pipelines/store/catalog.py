"""The catalogue's sources and the taxonomy's topics, as rows the site and SQL can join."""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from pipelines.model import Source
from pipelines.tagging import Taxonomy


def sync_topics(db: sqlite_utils.Database, taxonomy: Taxonomy) -> None:
    """Make the topics table match the taxonomy's topics."""
    with db.atomic():
        for topic in taxonomy.topics:
            db["topics"].upsert(
                {"slug": topic.slug, "name": topic.name, "description": topic.description},
                pk="slug",
            )


def sync_sources(db: sqlite_utils.Database, sources: Iterable[Source]) -> None:
    """Record the catalogue's sources (descriptive columns only; health is kept)."""
    with db.atomic():
        for s in sources:
            db["sources"].upsert(
                {
                    "slug": s.slug,
                    "name": s.name,
                    "kind": s.kind,
                    "url": s.urls[0],
                    "urls": json.dumps(list(s.urls)),
                    "publisher": s.publisher,
                    "category": s.category,
                    "jurisdiction": s.jurisdiction,
                    "language": s.language,
                    "verified": s.verified,
                    "notes": s.notes,
                    "enabled": int(s.enabled),
                    "disabled_reason": s.disabled_reason,
                },
                pk="slug",
            )
