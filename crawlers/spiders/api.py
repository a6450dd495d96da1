"""JSON APIs (the Federal Register, GOV.UK search, Regulations.gov, ...).

The sources.yaml `api` block maps our fields to dotted paths in each record. With
`follow: true` the record's URL is fetched as the article page and the record becomes its
hints; with `follow: false` the record itself is the article (APIs whose URLs are not web
pages), so its text is composed from the mapped fields (`record_text`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from scrapy.http import Response

from crawlers.sources import Api
from crawlers.spiders.base import IndexFormatError, SourceSpider, dig
from pipelines.dates import now_iso, to_iso
from pipelines.model import Article, Hints


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
                hints.summary = record_text(record, api, hints)
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


# Labels of the mapped facts a record-only article's text states, in this order.
FACT_LABELS = (("kind", "Type"), ("agency", "Agency"), ("docket", "Docket"))


def record_hints(record: Any, fields: dict[str, str]) -> Hints:
    """Hints from one API record through the source's field mapping."""

    def text(name: str) -> str | None:
        return field_text(record, fields[name]) if name in fields else None

    return Hints(
        title=text("title"),
        published=to_iso(text("published")),
        updated=to_iso(text("updated")),
        summary=text("summary"),
        author=text("author"),
        origin="api",
    )


def record_text(record: Any, api: Api, hints: Hints) -> str | None:
    """The text of a record that is itself the article (`follow: false`).

    Registers such as Regulations.gov and Congress.gov list documents and bills with a
    title and facts but rarely a summary: the text is the summary (or abstract, or else
    the title), then each mapped fact as "Label: value." (type, agency, docket, then the
    source's `extra` fields), so that a reader, and the tagger, have something to read.
    """
    lead = hints.summary or (
        field_text(record, api.fields["abstract"]) if "abstract" in api.fields else None
    )
    facts = [(label, api.fields[name]) for name, label in FACT_LABELS if name in api.fields]
    sentences = []
    for label, path in [*facts, *api.extra]:
        value = field_text(record, path)
        if value:
            sentences.append(f"{label}: {value.rstrip('.')}.")
    if not sentences:
        return lead
    first = lead or hints.title
    return "\n\n".join(part for part in (first, " ".join(sentences)) if part)


def field_text(record: Any, path: str) -> str | None:
    """One value at a dotted path as text; a list is joined (agency lists are dicts)."""
    value = dig(record, path)
    if isinstance(value, list):
        value = ", ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
    return " ".join(str(value).split()) if value not in (None, "") else None
