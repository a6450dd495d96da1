"""JSON APIs (the Federal Register, GOV.UK search, Regulations.gov, ...).

The sources.yaml `api` block maps our fields to dotted paths in each record. With
`follow: true` the record's URL is fetched as the article page and the record becomes its
hints; with `follow: false` the record itself is the article (APIs whose URLs are not web
pages), so its summary is the text we store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from scrapy.http import Response

from crawlers.items import Article, Hints
from crawlers.spiders.base import IndexFormatError, SourceSpider, dig
from pipelines.dates import now_iso, to_iso


class ApiSpider(SourceSpider):
    name = "api"
    kind = "api"

    def parse_index(self, response: Response) -> Iterable[Any]:
        api = self.source.api
        assert api is not None  # the loader guarantees it for kind 'api'
        try:
            doc = json.loads(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise IndexFormatError(f"API answered with something that is not JSON: {exc}") from None
        records = dig(doc, api.items)
        if not isinstance(records, list):
            raise IndexFormatError(f"API JSON has no list at {api.items!r}")
        for record in records:
            url = dig(record, api.fields["url"])
            if not isinstance(url, str) or not url:
                self.crawler.stats.inc_value("aitrack/api_records_without_url")
                continue
            url = self.link(response, url)
            if url is None:
                continue
            hints = self.redact_hints(record_hints(record, api.fields))
            if api.follow:
                request = self.article_request(url, hints)
                if request is not None:
                    yield request
            else:
                yield Article(
                    url=self.redact(url),  # a record's own link may carry the key
                    source=self.source.slug,
                    fetched_at=now_iso(),
                    status=response.status,
                    html="",
                    hints=hints,
                    record_only=True,
                )
        page = response.meta.get("aitrack_page", 1)
        next_url = dig(doc, api.next_page) if api.next_page else None
        if isinstance(next_url, str) and next_url and page < self.source.max_pages:
            next_link = self.link(response, next_url, role="index")
            if next_link:
                yield self.index_request(next_link, aitrack_page=page + 1)


def record_hints(record: Any, fields: dict[str, str]) -> Hints:
    """Hints from one API record through the source's field mapping."""

    def text(name: str) -> str | None:
        value = dig(record, fields[name]) if name in fields else None
        if isinstance(value, list):
            value = ", ".join(
                str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value
            )
        return " ".join(str(value).split()) if value not in (None, "") else None

    return Hints(
        title=text("title"),
        published=to_iso(text("published")),
        updated=to_iso(text("updated")),
        summary=text("summary"),
        author=text("author"),
        origin="api",
    )
