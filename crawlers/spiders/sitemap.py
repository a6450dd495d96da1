"""XML sitemaps and sitemap indexes, including Google News sitemaps.

Scrapy's own Sitemap helper flattens `<news:news>` away, so the news fields
(`news:publication_date`, `news:title`) are read here with lxml.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable
from typing import Any

from lxml import etree
from scrapy.http import Response

from crawlers.spiders.base import IndexFormatError, SourceSpider
from pipelines.dates import to_iso
from pipelines.model import Hints

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    def parse_index(self, response: Response) -> Iterable[Any]:
        sitemap = parse_sitemap(response.body)
        if sitemap.kind == "sitemapindex":
            for loc, _lastmod in sitemap.entries:
                url = self.link(response, loc, role="index")
                if url:
                    yield self.index_request(url)
            return
        for loc, hints in sitemap.entries:
            url = self.link(response, loc)
            request = self.article_request(url, hints) if url else None
            if request is not None:
                yield request


class Sitemap:
    def __init__(self, kind: str, entries: list[tuple[str, Any]]) -> None:
        self.kind = kind
        self.entries = entries


def parse_sitemap(body: bytes) -> Sitemap:
    """Entries of a sitemap: (loc, lastmod) for an index, (loc, Hints) for a urlset."""
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
                body = fh.read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise IndexFormatError(f"broken gzip sitemap: {exc}") from None
        if len(body) > MAX_SITEMAP_BYTES:
            raise IndexFormatError("sitemap larger than 50 MB uncompressed")
    parser = etree.XMLParser(resolve_entities=False, recover=True, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise IndexFormatError(f"unreadable sitemap XML: {exc}") from None
    if root is None:
        raise IndexFormatError("empty or non-XML sitemap")
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise IndexFormatError(f"not a sitemap: root element <{kind}>")
    entries: list[tuple[str, Any]] = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        lastmod = to_iso(_child_text(node, "lastmod"))
        if kind == "sitemapindex":
            entries.append((loc, lastmod))
            continue
        published = to_iso(node.findtext(f".//{{{NEWS_NS}}}publication_date"))
        title = node.findtext(f".//{{{NEWS_NS}}}title")
        entries.append(
            (
                loc,
                Hints(
                    title=title.strip() if title else None,
                    published=published,
                    updated=lastmod if lastmod != published else None,
                    origin="sitemap",
                ),
            )
        )
    return Sitemap(kind, entries)


def _child_text(node: Any, name: str) -> str | None:
    for child in node:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None
