"""The processing core: one fetched page in, one processed article out.

`process_page` is a pure function of the page: canonical URL and id, extraction (or,
for an API record with no page, the record's own text), tagging, and the content hash.
It needs no database and no Scrapy, so the crawl (in a worker process), `reextract`,
the CLI and any future worker call exactly this. A page with no usable article raises
ExtractionError with the reason. What needs the stored articles (the duplicate
cluster, revisions) is the writer's job (pipelines.writer).
"""

from __future__ import annotations

import time

from pipelines.dedupe import content_hash
from pipelines.extract import extract_article, extract_from_hints
from pipelines.legal.article import article_legal
from pipelines.model import Article
from pipelines.stories.signature import fingerprint
from pipelines.tagging import Taxonomy, tag_text
from pipelines.urls import article_id, canonicalize_url


def identify(item: Article) -> Article:
    """Set the canonical URL and the row id (all a 304 needs)."""
    item.canonical_url = canonicalize_url(item.url)
    item.id = article_id(item.canonical_url)
    return item


def process_page(
    item: Article, language: str | None = None, taxonomy: Taxonomy | None = None
) -> Article:
    """Extract and tag a fetched page; returns the item with `extracted`, `tagging`,
    `legal`, `deadlines`, `content_hash`, the story `fingerprint` and per-stage `timings`
    (ms) set, and its HTML dropped.

    `language` is the source's, used when the page does not declare one. Raises
    ExtractionError when the page holds no article.
    """
    identify(item)
    start = time.perf_counter()
    if item.record_only:
        extracted = extract_from_hints(item.url, item.hints)
    else:
        extracted = extract_article(item.html, item.url, item.hints)
    if not extracted.language:
        extracted.language = language
    extracted_at = time.perf_counter()
    item.tagging = tag_text(extracted.title or "", extracted.text, item.hints, taxonomy)
    tagged_at = time.perf_counter()
    item.extracted = extracted
    # Legal objects and the deadlines its sentences state (issue 18); stored by the writer.
    item.legal, item.deadlines = article_legal(
        item.canonical_url or item.url, extracted.title, extracted.text, extracted.published
    )
    legal_at = time.perf_counter()
    item.content_hash = content_hash(extracted.text)
    item.fingerprint = fingerprint(extracted.title or "", extracted.text)
    item.html = ""  # not needed any more, and the item may travel back from a worker
    item.timings = {
        "extract": (extracted_at - start) * 1000,
        "tag": (tagged_at - extracted_at) * 1000,
        "legal": (legal_at - tagged_at) * 1000,
        "story": (time.perf_counter() - legal_at) * 1000,
    }
    return item
