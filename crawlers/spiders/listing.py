"""HTML index pages: CSS selectors from sources.yaml pick article links and the next page.

A selector that matches nothing on the first index page means the site changed its
markup; that is reported as a failure of the source, never as an empty result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.http import Response, TextResponse

from crawlers.spiders.base import IndexFormatError, SourceSpider
from pipelines.model import Hints


class ListingSpider(SourceSpider):
    name = "listing"
    kind = "listing"

    def parse_index(self, response: Response) -> Iterable[Any]:
        listing = self.source.listing
        assert listing is not None  # the loader guarantees it for kind 'listing'
        if not isinstance(response, TextResponse):
            raise IndexFormatError("listing page is not text/HTML")
        page = response.meta.get("aitrack_page", 1)
        links = response.css(listing.links)
        if not links:
            raise IndexFormatError(f"listing selector {listing.links!r} matched nothing")
        for link in links:
            href = link.attrib.get("href")
            if not href:
                continue
            title = " ".join(" ".join(link.css("::text").getall()).split()) or None
            url = self.link(response, href)
            request = (
                self.article_request(url, Hints(title=title, origin="listing")) if url else None
            )
            if request is not None:
                yield request
        if listing.next_page and page < listing.max_index_pages:
            next_href = response.css(listing.next_page).attrib.get("href")
            next_url = self.link(response, next_href, role="index") if next_href else None
            if next_url:
                yield self.index_request(next_url, aitrack_page=page + 1)
