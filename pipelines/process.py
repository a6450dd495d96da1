"""The pipeline as plain function calls, for work outside a crawl (`aitrack reextract`).

The same functions the Scrapy pipeline classes call, in the same order:
urls -> extract -> tagging -> dedupe -> store.
"""

from __future__ import annotations

import sqlite_utils

from crawlers.items import Article
from pipelines.dedupe import content_hash, find_cluster
from pipelines.extract import extract_article, extract_from_hints
from pipelines.store import store_article
from pipelines.tagging import tag_text
from pipelines.urls import article_id, canonicalize_url


def process_article(db: sqlite_utils.Database, item: Article, run_id: int | None = None) -> str:
    """Run one fetched article through every stage and store it; returns the store's
    outcome ("new", "updated", "unchanged"). Raises ExtractionError if there is no article."""
    item.canonical_url = canonicalize_url(item.url)
    item.id = article_id(item.canonical_url)
    if item.record_only:
        item.extracted = extract_from_hints(item.url, item.hints)
    else:
        item.extracted = extract_article(item.html, item.url, item.hints)
    item.tagging = tag_text(item.extracted.title or "", item.extracted.text, item.hints)
    item.content_hash = content_hash(item.extracted.text)
    item.cluster_id = find_cluster(db, item.content_hash, item.id)
    return store_article(db, item, run_id)
