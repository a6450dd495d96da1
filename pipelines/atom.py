"""Atom documents for the site's feeds, from rows of articles.

Shared by the Datasette renderer of canned queries (data/datasette/plugins/aitrack_atom.py)
and the site's own pages (/search.atom, /topic/<slug>.atom, ...). Everything is written
through ElementTree, so titles and text from crawled pages are escaped as XML text and
can never become markup. Only http(s) links are written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"


@dataclass
class Entry:
    id: str
    title: str
    updated: str  # ISO 8601 with a time zone
    link: str | None = None  # the publisher's page
    related: str | None = None  # our article page
    author: str | None = None
    categories: list[tuple[str, str]] = field(default_factory=list)  # (slug, name)
    content: str | None = None


def safe_url(url: object) -> str | None:
    """The URL if it is http(s), else None: a javascript: or data: URL is never a link."""
    if not isinstance(url, str):
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def feed_document(title: str, self_url: str, entries: Iterable[Entry], updated: str = "") -> str:
    """The feed as text. An empty feed is dated `updated` (say, the last crawl) or now,
    never 1970."""
    entries = list(entries)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "updated", max((e.updated for e in entries), default=updated or now()))
    ET.SubElement(feed, f"{{{ATOM}}}link", href=self_url, rel="self")
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "aitrack"
    for item in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", item.id)
        _text(entry, "title", item.title or "(untitled)")
        _text(entry, "updated", item.updated)
        if safe_url(item.link):
            ET.SubElement(entry, f"{{{ATOM}}}link", href=safe_url(item.link), rel="alternate")
        if item.related:  # our page: why it was tagged, and the story's other copies
            ET.SubElement(entry, f"{{{ATOM}}}link", href=item.related, rel="related")
        if item.author:
            author = ET.SubElement(entry, f"{{{ATOM}}}author")
            _text(author, "name", item.author)
        for slug, name in item.categories:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=slug, label=NOT_XML.sub("", name))
        if item.content:
            _text(entry, "content", item.content).set("type", "text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def atom_time(published_at: str | None, first_seen_at: str | None) -> str:
    """An Atom date for an article: its publication time, the day at 00:00 UTC when only
    the day is known, or when we first saw it."""
    if not published_at:
        return first_seen_at or now()
    if len(published_at) == 10:
        return published_at + "T00:00:00+00:00"
    return published_at


# Characters XML 1.0 forbids even escaped: a crawled title or a typed query holding one
# would make the whole feed unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = NOT_XML.sub("", text)
    return element
