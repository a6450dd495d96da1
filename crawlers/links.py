"""Links read from an index, resolved and checked before anything is requested.

An index is someone else's data: a feed item may link to `javascript:alert(1)`, a
sitemap to `http://[::1`, a listing to `mailto:`. Scrapy raises on some of these while
the index is being parsed, which lost the rest of the index. Every kind of spider
resolves its links here, so a bad one is skipped with a reason and the rest goes on.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

CRAWLABLE_SCHEMES = ("http", "https")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Characters no host name or address has; a URL with one is a typo or an injection.
BAD_HOST_RE = re.compile(r"[\s<>\"{}|\\^`]")


def resolve_link(base: str, href: object) -> tuple[str | None, str | None]:
    """(absolute URL, None) for a crawlable link, or (None, why not) for any other.

    A link with a scheme is taken as it is, not joined: urljoin turns `http:///x` into
    a path on the index's own host, which is not what the index said.
    """
    if not isinstance(href, str) or not href.strip():
        return None, "empty link"
    href = href.strip()
    if CONTROL_RE.search(href):
        return None, "control characters in the link"
    try:
        url = href if urlsplit(href).scheme else urljoin(base, href)
    except ValueError as exc:  # e.g. "Invalid IPv6 URL" for http://[::1
        return None, f"malformed URL ({exc})"
    why = why_not_crawlable(url)
    return (None, why) if why else (url, None)


def why_not_crawlable(url: str) -> str | None:
    """Why an absolute URL cannot be fetched over HTTP(S), or None if it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        return f"malformed URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme not in CRAWLABLE_SCHEMES:
        return f"not an http(s) link ({scheme + ':' if scheme else 'no scheme'})"
    if not parts.hostname:
        return "malformed URL (no host)"
    if BAD_HOST_RE.search(parts.netloc) or CONTROL_RE.search(url):
        return "malformed URL (invalid characters in the host)"
    return None
