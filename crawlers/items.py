"""The one item type that flows from spiders through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hints:
    """What the index (feed, sitemap, listing or API) already said about an article."""

    title: str | None = None
    published: str | None = None  # ISO 8601, UTC when a zone was known
    updated: str | None = None
    summary: str | None = None
    author: str | None = None
    origin: str | None = None  # feed | sitemap | listing | api


@dataclass
class Article:
    """A fetched article page, filled in stage by stage by the pipelines."""

    url: str
    source: str
    fetched_at: str
    status: int
    html: str
    etag: str | None = None
    last_modified: str | None = None
    hints: Hints = field(default_factory=Hints)
    not_modified: bool = False  # the server answered 304: the stored copy is current
    record_only: bool = False  # an API record with no page: its summary is the text
    # Set by the pipelines.
    canonical_url: str | None = None
    id: str | None = None
    extracted: Any = None  # pipelines.extract.Extracted
    tagging: Any = None  # pipelines.tagging.Tagging
    content_hash: str | None = None
    cluster_id: str | None = None
