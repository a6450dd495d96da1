"""Index parsers of the spiders: feeds (bozo or not), JSON Feed, sitemaps, API records."""

from __future__ import annotations

import gzip

import pytest

from crawlers.spiders.api import record_hints
from crawlers.spiders.base import IndexFormatError, dig
from crawlers.spiders.feed import parse_feed
from crawlers.spiders.sitemap import parse_sitemap

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>AI &amp; the <b>law</b></title><link>https://e.org/a?utm_source=rss</link>
<pubDate>Tue, 02 Apr 2024 14:05:00 -0400</pubDate>
<description>&lt;p&gt;Sum &lt;i&gt;mary&lt;/i&gt;&lt;/p&gt;</description>
<author>ed@e.org (Ed Itor)</author></item></channel></rss>"""


def test_rss_entries_become_links_with_hints() -> None:
    entries = parse_feed(RSS, "https://e.org/feed")
    assert entries.bozo_reason is None
    [(link, hints)] = entries.items
    assert link == "https://e.org/a?utm_source=rss"
    assert hints.title == "AI & the law"
    assert hints.published == "2024-04-02T14:05:00-04:00"  # the publisher's offset is kept
    assert hints.summary == "Sum mary"
    assert hints.origin == "feed"


def test_atom_entries_use_the_alternate_link() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><entry><title>E</title>
    <link rel="alternate" href="https://e.org/e1"/><id>tag:e,1</id>
    <published>2024-01-02T03:04:05+01:00</published><updated>2024-01-03T00:00:00Z</updated>
    </entry></feed>"""
    [(link, hints)] = parse_feed(atom, "https://e.org/atom").items
    assert link == "https://e.org/e1"
    assert (hints.published, hints.updated) == (
        "2024-01-02T03:04:05+01:00",
        "2024-01-03T00:00:00+00:00",
    )


def test_ill_formed_but_readable_feed_is_used_and_flagged() -> None:
    broken = RSS.replace(b"</channel></rss>", b"<item><title>unclosed & bad</title></channel>")
    entries = parse_feed(broken, "https://e.org/feed")
    assert entries.bozo_reason
    assert [link for link, _ in entries.items] == ["https://e.org/a?utm_source=rss"]


@pytest.mark.parametrize(
    "body", [b"<html><body><p>not a feed</p></body></html>", b"\x00\x01\x02 garbage", b"{not json"]
)
def test_unreadable_feed_raises(body: bytes) -> None:
    with pytest.raises(IndexFormatError):
        parse_feed(body, "https://e.org/feed")


def test_json_feed() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "j", "items": [{"id": "1",'
        b' "url": "https://e.org/j", "title": "J", "date_published": "2024-05-18T09:00:00-06:00",'
        b' "authors": [{"name": "A"}, {"name": "B"}]}]}'
    )
    [(link, hints)] = parse_feed(body, "https://e.org/feed.json", "application/feed+json").items
    assert (link, hints.published, hints.author) == (
        "https://e.org/j",
        "2024-05-18T09:00:00-06:00",
        "A, B",
    )


NEWS = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://e.org/n1</loc>
 <lastmod>2024-12-21T00:00:00Z</lastmod><news:news><news:publication><news:name>E</news:name>
 <news:language>en</news:language></news:publication>
 <news:publication_date>2024-12-20T11:00:00+01:00</news:publication_date>
 <news:title>News title</news:title></news:news></url></urlset>"""


def test_google_news_sitemap_gives_date_and_title() -> None:
    sitemap = parse_sitemap(NEWS)
    assert sitemap.kind == "urlset"
    [(loc, hints)] = sitemap.entries
    assert loc == "https://e.org/n1"
    assert (hints.title, hints.published, hints.updated) == (
        "News title",
        "2024-12-20T11:00:00+01:00",
        "2024-12-21T00:00:00+00:00",
    )


def test_gzipped_sitemap_index() -> None:
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
        b"<loc>https://e.org/s1.xml</loc></sitemap></sitemapindex>"
    )
    sitemap = parse_sitemap(gzip.compress(index))
    assert sitemap.kind == "sitemapindex"
    assert sitemap.entries == [("https://e.org/s1.xml", None)]


def test_non_sitemap_xml_raises() -> None:
    with pytest.raises(IndexFormatError, match="not a sitemap"):
        parse_sitemap(b"<rss><channel/></rss>")


def test_api_record_mapping_follows_dotted_paths() -> None:
    record = {
        "attributes": {"title": "Doc", "postedDate": "2024-03-01T12:00:00Z"},
        "agencies": [{"name": "FTC"}, {"name": "DOJ"}],
    }
    hints = record_hints(
        record,
        {
            "url": "x",
            "title": "attributes.title",
            "published": "attributes.postedDate",
            "author": "agencies",
        },
    )
    assert (hints.title, hints.published, hints.author, hints.origin) == (
        "Doc",
        "2024-03-01T12:00:00+00:00",
        "FTC, DOJ",
        "api",
    )
    assert dig({"a": [{"b": 1}]}, "a.0.b") == 1 and dig({"a": 1}, "a.b") is None
