"""`aitrack sources check`: fetch each source's first URL live and say what came back.

It asks each host's robots.txt first, with the crawl's own policy and user agent
(crawlers/robots.py), so a source the crawl would be refused is reported as refused,
with the rule, rather than as fine.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from crawlers.robots import DISALLOW_ALL, RobotsPolicy, fetch_policy, robots_url
from crawlers.settings import USER_AGENT
from crawlers.sources import Source


@dataclass
class CheckResult:
    slug: str
    verdict: str  # ok | refused | http-error | bad-content | unreachable
    detail: str


def user_agent(source: Source) -> str:
    """The User-Agent the crawl sends for this source (a source's headers may set one)."""
    return source.headers.get("User-Agent", USER_AGENT)


def check_source(
    source: Source, timeout: float = 15.0, robots: RobotsPolicy | None = None
) -> CheckResult:
    """Check robots.txt, then fetch the source's first URL and check that it has the shape
    its kind expects. `robots` is the host's policy when the caller already has it.

    The request carries the source's keys; the result names the URL as written, and its
    detail is redacted, because it is printed.
    """
    result = _check(source, timeout, robots)
    return CheckResult(result.slug, result.verdict, source.redact(result.detail))


def _check(source: Source, timeout: float, robots: RobotsPolicy | None) -> CheckResult:
    from crawlers.spiders.base import IndexFormatError
    from crawlers.spiders.feed import parse_feed
    from crawlers.spiders.sitemap import parse_sitemap

    url = source.urls[0]  # as written: what is shown, and what robots.txt is asked about
    agent = user_agent(source)
    if robots is None:
        robots = fetch_policy(url, agent, timeout)
    delay = robots.crawl_delay(agent)
    delay_note = f"; robots.txt Crawl-delay {delay:g}s" if delay else ""
    if robots.outcome == DISALLOW_ALL and robots.cause is not None:
        return CheckResult(source.slug, "unreachable", f"{robots.url}: {robots.why}")
    refusal = robots.refusal(url, agent)
    if refusal:
        return CheckResult(source.slug, "refused", f"{url} {refusal}{delay_note}")
    headers = {**source.request_headers(), "User-Agent": agent}
    request = urllib.request.Request(source.request_url(url), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(10 * 1024 * 1024)
            ctype = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return CheckResult(source.slug, "http-error", f"HTTP {exc.code} from {url}{delay_note}")
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
        return CheckResult(source.slug, "bad-content", f"{ctype}: {exc}{delay_note}")
    detail = f"{len(body)} bytes, {ctype}" + (f", {found} entries" if found >= 0 else "")
    return CheckResult(source.slug, "ok", detail + delay_note)


def check_sources(sources: list[Source], timeout: float = 15.0) -> list[CheckResult]:
    """Check sources concurrently (they are mostly on different hosts); each host's
    robots.txt is read once, as in a crawl."""

    # As in a crawl, robots.txt is asked without the source's headers (no API keys).
    def host(s: Source) -> tuple[str, str]:
        return robots_url(s.urls[0]), user_agent(s)

    hosts = sorted({host(s) for s in sources})
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = pool.map(lambda h: fetch_policy(h[0], h[1], timeout), hosts)
        policies = dict(zip(hosts, found, strict=True))
        return list(pool.map(lambda s: check_source(s, timeout, policies[host(s)]), sources))
