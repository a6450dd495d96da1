"""What a worker of a scaled-out crawl knows of the store, without the database.

`aitrack ingest` publishes each stored article's dates and validators to Redis
(pipelines/ingest.py); this reads them with the same questions as crawlers.state's
CrawlState asks SQLite, so fetch-or-skip and conditional GET work on any machine.
Index validators are shared the same way: saved when a source's crawl on a worker
read its index completely.
"""

from __future__ import annotations

import json
from typing import Any

from crawlers.state import Stored
from pipelines.redaction import Redactor
from pipelines.stream import INDEX_VALIDATORS, STORED
from pipelines.urls import article_id, canonicalize_url


class SharedCrawlState:
    """CrawlState's interface over the frontier's Redis."""

    def __init__(self, client: Any, redact: Redactor | None = None) -> None:
        self.client = client
        self.redact = redact or Redactor()

    def close(self) -> None:
        return  # the client belongs to the run

    def stored_article(self, url: str) -> Stored | None:
        raw = self.client.hget(STORED, article_id(canonicalize_url(self.redact(url))))
        return Stored(*json.loads(raw)) if raw else None

    def index_validators(self, url: str) -> tuple[str | None, str | None] | None:
        raw = self.client.hget(INDEX_VALIDATORS, self.redact(url))
        if not raw:
            return None
        etag, last_modified = json.loads(raw)
        return etag, last_modified


def save_shared_index_validators(client: Any, validators: dict[str, tuple]) -> None:
    """Remember the validators of index pages a source read completely on this worker."""
    if validators:
        client.hset(
            INDEX_VALIDATORS,
            mapping={url: json.dumps(list(pair)) for url, pair in validators.items()},
        )
