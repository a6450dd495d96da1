"""What every kind of spider shares: article requests with hints, and failure accounting.

A spider crawls one source. It fetches the source's index pages (`parse_index`, written
by each kind) and yields requests for article pages that carry what the index knew.
Every failure is recorded against the source and URL with a reason, counted in the
crawler's stats, and the crawl goes on.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import fields, replace
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawlers.frontier import release_request
from crawlers.links import resolve_link, why_not_crawlable
from crawlers.middlewares import NOT_MODIFIED, TruncatedResponse
from crawlers.robots import RobotsRefusal
from crawlers.sources import Source
from crawlers.state import CrawlState, needs_fetch
from crawlers.stats import STAT_PREFIX
from pipelines.dates import now_iso
from pipelines.extract import decode_html
from pipelines.model import Article, Hints

HTML_TYPES = ("text/html", "application/xhtml+xml")
BAD_LINK = "bad_link"  # failure kind of a link an index gave that cannot be fetched


class SourceSpider(scrapy.Spider):
    """Base class: subclasses set `kind` and implement `parse_index`."""

    name: str | None = None  # each kind names itself; the base is not a runnable spider
    kind = ""

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(name=source.slug, **kwargs)
        self.source = source
        self.failures: list[dict[str, str]] = []
        self.index_pages = 0
        self.index_failed = False
        self.article_requests = 0
        self.links_found = 0
        self.index_not_modified = 0
        # Validators of index pages read in full; saved by the runner only if the whole
        # source succeeds, so a failed or killed run is retried in full next time.
        self.index_validators: dict[str, tuple[str | None, str | None]] = {}
        self.state: CrawlState | None = None
        self._allow = re.compile(source.allow) if source.allow else None
        # Keys from the environment go into requests only: every URL, reason and text
        # this spider stores, logs or archives passes through `redact` first.
        self.redact = source.redact

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        delay = spider.source.delay_seconds
        if delay is not None:
            # The source's own pacing, as a floor: what a spider's `download_delay` did
            # before Scrapy 2.19 deprecated it for this setting. No jitter below it.
            crawler.settings.set("DOWNLOAD_DELAY", delay, priority="spider")
            crawler.settings.set("DOWNLOAD_DELAY_JITTER", 0.0, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawler.signals.connect(self.on_dropped, signal=signals.request_dropped)
        context = getattr(self.crawler, "aitrack", None)
        if context is not None and context.frontier is not None:
            # A worker of a scaled-out crawl: what the store knows comes from Redis, and
            # the index URLs were queued once for every worker by `aitrack enqueue`.
            self.state = context.shared_state(self.redact)
            return
        self.state = CrawlState(self.crawler.settings.get("AITRACK_DB"), self.redact)
        for template in self.source.urls:
            yield self.index_request(self.source.request_url(template))

    def closed(self, reason: str) -> None:
        if self.state is not None:
            self.state.close()

    # -- requests -------------------------------------------------------------

    def index_request(self, url: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.on_index,
            errback=self.on_error,
            headers=self.source.request_headers() or None,
            meta={"aitrack_role": "index", **self._keyed_meta(), **meta},
        )

    def _keyed_meta(self) -> dict[str, Any]:
        if not self.redact:
            return {}
        # A keyed index URL must not travel to the pages it lists as their Referer, nor
        # a key header to another site a redirect names (KeyedHeadersMiddleware).
        return {
            "referrer_policy": "no-referrer",
            "aitrack_keyed_headers": self.source.keyed_headers,
        }

    def link(self, response: Response, href: Any, role: str = "article") -> str | None:
        """An index's link made absolute, or None (counted as `bad_link`, with its reason)
        when it is not one we can fetch. Every kind reads its links through here."""
        url, why = resolve_link(response.url, href)
        if why:
            self.skip_bad_link(str(href)[:300], why, role)
        return url

    def skip_bad_link(self, href: str, why: str, role: str) -> None:
        # A failure of the index's content, not of a fetch: a retry cannot mend it, so
        # the runner still saves the index's validators (BAD_LINK is not retried).
        self.record_failure(href, BAD_LINK, why, role=f"{role} link")

    def article_request(self, url: str, hints: Hints) -> scrapy.Request | None:
        """A request for an article page, or None when the URL cannot be fetched, `allow`
        filters it out or the stored copy is current (not new, no newer date in the
        index, refresh not due)."""
        why = why_not_crawlable(url)
        if why:
            self.skip_bad_link(url, why, "article")
            return None
        if self._allow and not self._allow.search(url):
            self.crawler.stats.inc_value("aitrack/filtered_by_allow")
            return None
        self.links_found += 1
        if self.article_requests >= self.source.max_pages:
            # The per-source page cap: a 10,000-entry feed or a trap costs at most this.
            self.crawler.stats.inc_value("aitrack/capped")
            return None
        stored = None
        if self.state is not None:
            stored = self.state.stored_article(url)
            if needs_fetch(stored, hints, self.source.refresh_hours) is None:
                self.crawler.stats.inc_value("aitrack/skipped_current")
                return None
        self.article_requests += 1
        meta = {"aitrack_role": "article", "aitrack_hints": hints, **self._keyed_meta()}
        # What is stored under the link, looked up once: ConditionalGetMiddleware sends
        # its validators (the request's URL may differ from the link: `rewrite`).
        meta["aitrack_stored"] = stored
        fetch = self.source.rewrite.apply(url) if self.source.rewrite else None
        if fetch:
            meta["aitrack_link"] = url  # fetched elsewhere (`rewrite`), stored as the link
        return scrapy.Request(
            fetch or url, callback=self.parse_article, errback=self.on_error, meta=meta
        )

    # -- callbacks ------------------------------------------------------------

    def on_index(self, response: Response) -> Iterable[Any]:
        self.count_download(response)
        self.index_pages += 1
        self.crawler.stats.inc_value("aitrack/index_pages")
        if response.status == NOT_MODIFIED:
            self.index_not_modified += 1  # nothing new since the last complete read
            return
        try:
            yield from self.parse_index(response)
        except IndexFormatError as exc:
            self.record_failure(response.url, "index_format", str(exc), role="index")
            return
        validators = (_header(response, b"ETag"), _header(response, b"Last-Modified"))
        if any(validators):
            # Saved and looked up (CrawlState) under the redacted URL: the template.
            self.index_validators[self.redact(response.url)] = validators

    def parse_index(self, response: Response) -> Iterable[Any]:  # pragma: no cover
        raise NotImplementedError

    def count_download(self, response: Response) -> None:
        """Add the response's download latency to the run's per-stage timers."""
        latency = response.meta.get("download_latency", 0.0) * 1000
        self.crawler.stats.inc_value(STAT_PREFIX + "download", latency, start=0.0)

    def parse_article(self, response: Response) -> Iterable[Article]:
        self.count_download(response)
        if response.status == NOT_MODIFIED:
            yield Article(
                url=self.redact(response.meta.get("aitrack_link", response.url)),
                source=self.source.slug,
                fetched_at=now_iso(),
                status=response.status,
                html="",
                not_modified=True,
                hints=self.redact_hints(response.meta.get("aitrack_hints") or Hints()),
            )
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        is_html = any(t in content_type for t in HTML_TYPES) or (
            not content_type and isinstance(response, TextResponse)
        )
        rewrite = self.source.rewrite
        if "aitrack_link" in response.meta and rewrite and rewrite.html_field:
            html = html_in_json(response.body, rewrite.html_field)
            if html is None:
                self.record_failure(
                    response.url, "not_html", f"no HTML at {rewrite.html_field!r} in the JSON"
                )
                return
        elif not is_html or not isinstance(response, TextResponse):
            self.record_failure(
                response.url, "not_html", f"Content-Type {content_type or 'missing'}"
            )
            return
        else:
            # Our decoding, not Scrapy's guess: it read undeclared Windows-1252 as
            # Windows-1250 ("Liège" became "Ličge"). The same rules as `aitrack extract`.
            html = decode_html(response.body, content_type)
        hints = self.redact_hints(response.meta.get("aitrack_hints") or Hints())
        self.crawler.stats.inc_value("aitrack/article_bodies")
        yield Article(
            url=self.redact(response.meta.get("aitrack_link", response.url)),
            source=self.source.slug,
            fetched_at=now_iso(),
            status=response.status,
            html=self.redact(html),  # a page that echoes the key must not store it
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            hints=hints,
        )

    def on_error(self, failure: Failure) -> None:
        try:
            self._record_error(failure)
        finally:
            release_request(self.crawler, failure.request)  # a frontier's lease, if any

    def _record_error(self, failure: Failure) -> None:
        request = failure.request
        role = request.meta.get("aitrack_role", "article")
        # After redirects, report the URL the index gave us; the reason names the last hop.
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        cause = getattr(failure.value, "cause", None) if failure.check(RobotsRefusal) else None
        if cause is not None:
            # robots.txt got no answer at all: the host is down, so report why, as below.
            failure = Failure(cause)
        message = failure.getErrorMessage()
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            if failure.check(RobotsRefusal) and role == "index":
                # An index robots.txt forbids cannot list anything: fail the source visibly.
                self.record_failure(url, "robots", message, role=role)
            elif "redirect" in message.lower():
                self.record_failure(url, "redirect_loop", message, role=role)
            else:
                # robots.txt said no, or a limit dropped it on purpose: a skip, not an error.
                self.crawler.stats.inc_value("aitrack/skipped_requests")
                self.logger.info("skipped %s: %s", self.redact(url), self.redact(message))
            return
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
            if "aitrack_retry_after" in request.meta:
                limit = self.crawler.settings.getfloat("AITRACK_RETRY_AFTER_MAX")
                reason += (
                    f", Retry-After {request.meta['aitrack_retry_after']:.0f}s is over "
                    f"the {limit:.0f}s a run waits"
                )
            kind = f"http_{status}"
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            kind, reason = "timeout", "timed out"
        elif failure.check(DNSLookupError, CannotResolveHostError):
            kind, reason = "dns", f"DNS lookup failed for {request.url}"
        elif failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
            kind, reason = "connection", "connection refused"
        elif failure.check(DownloadCancelledError) and "max size" in message:
            kind, reason = "too_large", message
        elif failure.check(ResponseDataLossError, TruncatedResponse):
            kind, reason = "truncated", message or "the body ended before its announced length"
        else:
            kind, reason = "network", f"{failure.type.__name__}: {message}"
        self.record_failure(url, kind, reason, role=role)

    def on_dropped(self, request: scrapy.Request, spider: Any = None) -> None:
        """The scheduler drops a request it has seen in this run. For a redirect that
        means another page of the index led to the same place: say so, not nothing."""
        redirects = request.meta.get("redirect_urls")
        if redirects:
            self.record_failure(
                redirects[0],
                "redirect_duplicate",
                f"redirects to {request.url}, already requested in this run",
                role=request.meta.get("aitrack_role", "article"),
            )

    def record_failure(self, url: str, kind: str, reason: str, role: str = "article") -> None:
        """Log and count a failure against this source; an index failure fails the source."""
        if role == "index":
            self.index_failed = True
        url, reason = self.redact(url), self.redact(reason)
        self.failures.append({"url": url, "kind": kind, "reason": reason, "role": role})
        self.crawler.stats.inc_value(f"aitrack/errors/{kind}")
        self.logger.warning("%s %s failed (%s): %s", role, url, kind, reason)

    def redact_hints(self, hints: Hints) -> Hints:
        """`hints` with the source's secrets taken out of every text the index gave."""
        if not self.redact:
            return hints
        changes = {
            f.name: self.redact(value)
            for f in fields(hints)
            if isinstance(value := getattr(hints, f.name), str)
        }
        return replace(hints, **changes)


class IndexFormatError(ValueError):
    """An index page that does not have the shape the source promises."""


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def html_in_json(body: bytes, path: str) -> str | None:
    """The HTML string at a dotted path of a JSON answer, as a page; None if there is none."""
    import json

    try:
        html = dig(json.loads(body), path)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(html, str) or not html.strip():
        return None
    return f"<html><body><article>{html}</article></body></html>"


def dig(record: Any, path: str) -> Any:
    """Follow a dotted path ("attributes.title", "agencies.0.name") into JSON data."""
    current = record
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
