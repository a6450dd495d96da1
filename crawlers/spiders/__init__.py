"""One spider per source kind; `SPIDERS` maps a kind to its class."""

from crawlers.spiders.api import ApiSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.listing import ListingSpider
from crawlers.spiders.sitemap import SitemapSpider

SPIDERS = {
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
    "listing": ListingSpider,
    "api": ApiSpider,
}

__all__ = ["SPIDERS", "ApiSpider", "FeedSpider", "ListingSpider", "SitemapSpider"]
