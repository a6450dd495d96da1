"""RSS 0.9x/1.0/2.0 and Atom through feedparser; JSON Feed parsed directly.

feedparser is forgiving: it sets `bozo` on ill-formed XML and still returns what it could
read. A bozo feed with entries is used (and counted); a bozo feed with none is a failure
of the source, reported with feedparser's reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import feedparser
from scrapy.http import Response

from crawlers.spiders.base import IndexFormatError, SourceSpider
from pipelines.dates import to_iso
from pipelines.model import Hints

TAG_RE = re.compile(r"<[^>]+>")


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    def parse_index(self, response: Response) -> Iterable[Any]:
        entries = parse_feed(response.body, response.url, _content_type(response))
        if entries.bozo_reason:
            self.crawler.stats.inc_value("aitrack/feed_bozo")
            self.logger.info(
                "feed %s is ill-formed but readable: %s", response.url, entries.bozo_reason
            )
        for link, hints in entries.items:
            url = self.link(response, link)
            request = self.article_request(url, hints) if url else None
            if request is not None:
                yield request


class FeedEntries:
    def __init__(self, items: list[tuple[str, Hints]], bozo_reason: str | None) -> None:
        self.items = items
        self.bozo_reason = bozo_reason


def parse_feed(body: bytes, url: str, content_type: str = "") -> FeedEntries:
    """Links and hints of a feed's entries. Raises IndexFormatError if nothing is readable."""
    if "json" in content_type or body.lstrip()[:1] == b"{":
        return _parse_json_feed(body)
    # Without a Content-Type, feedparser would flag the feed as "not XML": pass none.
    headers = {"content-location": url, "content-type": content_type} if content_type else None
    parsed = feedparser.parse(body, response_headers=headers)
    bozo_reason = str(parsed.get("bozo_exception")) if parsed.bozo else None
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or _alternate_link(entry)
        if not link:
            continue
        items.append(
            (
                link,
                Hints(
                    title=_clean(entry.get("title")),
                    # The raw string keeps the publisher's offset; *_parsed is UTC.
                    published=to_iso(_own(entry, "published"))
                    or to_iso(_own(entry, "published_parsed")),
                    updated=to_iso(_own(entry, "updated")) or to_iso(_own(entry, "updated_parsed")),
                    summary=_clean(entry.get("summary")),
                    author=_clean(entry.get("author")),
                    origin="feed",
                ),
            )
        )
    if not items:
        if parsed.bozo:
            raise IndexFormatError(f"unreadable feed: {bozo_reason}")
        if not parsed.version:
            raise IndexFormatError("not a feed (no RSS, Atom or JSON Feed found)")
    return FeedEntries(items, bozo_reason)


def _parse_json_feed(body: bytes) -> FeedEntries:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"unreadable JSON Feed: {exc}") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise IndexFormatError("JSON that is not a JSON Feed (no jsonfeed.org version)")
    items = []
    for entry in doc.get("items") or []:
        if not isinstance(entry, dict):
            continue
        link = entry.get("url") or entry.get("external_url")
        if not isinstance(link, str):
            continue
        authors = entry.get("authors") or ([entry["author"]] if entry.get("author") else [])
        author = ", ".join(a.get("name", "") for a in authors if isinstance(a, dict)) or None
        items.append(
            (
                link,
                Hints(
                    title=_clean(entry.get("title")),
                    published=to_iso(entry.get("date_published")),
                    updated=to_iso(entry.get("date_modified")),
                    summary=_clean(entry.get("summary")),
                    author=author,
                    origin="feed",
                ),
            )
        )
    return FeedEntries(items, None)


def _own(entry: Any, key: str) -> Any:
    """A key the feed really had: feedparser's `get` falls back from updated to published."""
    return dict.get(entry, key)


def _alternate_link(entry: Any) -> str | None:
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _clean(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    text = " ".join(TAG_RE.sub(" ", value).split())
    return text or None


def _content_type(response: Response) -> str:
    return response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
