"""`aitrack sources check`: fetch each source's first URL live and say what came back."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from crawlers.settings import USER_AGENT
from crawlers.sources import Source


@dataclass
class CheckResult:
    slug: str
    verdict: str  # ok | http-error | bad-content | unreachable
    detail: str


def check_source(source: Source, timeout: float = 15.0) -> CheckResult:
    """Fetch the source's first URL and check that it has the shape its kind expects.

    The request carries the source's keys; the result names the URL as written, and its
    detail is redacted, because it is printed.
    """
    result = _check(source, timeout)
    return CheckResult(result.slug, result.verdict, source.redact(result.detail))


def _check(source: Source, timeout: float) -> CheckResult:
    from crawlers.spiders.base import IndexFormatError
    from crawlers.spiders.feed import parse_feed
    from crawlers.spiders.sitemap import parse_sitemap

    url = source.request_url(source.urls[0])
    headers = {"User-Agent": USER_AGENT, **source.request_headers()}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(10 * 1024 * 1024)
            ctype = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return CheckResult(source.slug, "http-error", f"HTTP {exc.code} from {source.urls[0]}")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return CheckResult(source.slug, "unreachable", f"{reason}")
    try:
        if source.kind == "feed":
            found = len(parse_feed(body, url, ctype).items)
        elif source.kind == "sitemap":
            found = len(parse_sitemap(body).entries)
        elif source.kind == "api":
            json.loads(body)
            found = -1
        else:
            found = -1
    except (IndexFormatError, ValueError) as exc:
        return CheckResult(source.slug, "bad-content", f"{ctype}: {exc}")
    detail = f"{len(body)} bytes, {ctype}" + (f", {found} entries" if found >= 0 else "")
    return CheckResult(source.slug, "ok", detail)


def check_sources(sources: list[Source], timeout: float = 15.0) -> list[CheckResult]:
    """Check sources concurrently (they are mostly on different hosts)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda s: check_source(s, timeout), sources))
