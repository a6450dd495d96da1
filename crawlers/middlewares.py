"""Downloader middlewares: conditional GET, and the optional raw archive (WARC)."""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from pipelines.redaction import Redactor

NOT_MODIFIED = 304
RETRY_AFTER_STATUSES = (429, 503)


class TruncatedResponse(Exception):
    """A compressed body that ends before its stream does."""


class TruncatedBodyMiddleware:
    """Refuses a gzip or deflate body whose stream is cut short.

    HttpCompressionMiddleware decompresses what it gets without complaint, so a body cut
    in transit would become half an article. This runs before it and fails the request
    instead, with a reason.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        encoding = response.headers.get(b"Content-Encoding", b"").lower()
        if encoding in (b"gzip", b"x-gzip", b"deflate") and response.body:
            wbits = 16 + zlib.MAX_WBITS if b"gzip" in encoding else zlib.MAX_WBITS
            stream = zlib.decompressobj(wbits)
            try:
                while True:  # bounded: stop once the stream is complete or input is used up
                    stream.decompress(stream.unconsumed_tail or response.body, 1 << 20)
                    if stream.eof or not stream.unconsumed_tail:
                        break
            except zlib.error as exc:
                raise TruncatedResponse(f"broken {encoding.decode()} body: {exc}") from None
            if not stream.eof:
                raise TruncatedResponse(f"{encoding.decode()} body ends before its stream does")
        return response


class RetryAfterMiddleware:
    """Honours a server's Retry-After on 429 and 503 before Scrapy's RetryMiddleware
    retries: the retry waits as long as the server asked (without blocking the crawl),
    up to AITRACK_RETRY_AFTER_MAX seconds. A longer wait is not worth holding a cron run
    for: the response goes on as a failure, with the server's hint in its reason.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("AITRACK_RETRY_AFTER_MAX", 30.0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in RETRY_AFTER_STATUSES or request.meta.get("dont_retry"):
            return response
        wait = parse_retry_after(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            request.meta["dont_retry"] = True  # fail now; the reason says why
            request.meta["aitrack_retry_after"] = wait
            return response
        self.crawler.stats.inc_value("aitrack/retry_after_waits")
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor
        from twisted.internet.task import deferLater

        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return response


def parse_retry_after(value: bytes | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class KeyedHeadersMiddleware:
    """Drops a source's keyed headers (`X-Api-Key: ${KEY}`) from a request that a
    redirect sends to another origin (scheme, host or port).

    Scrapy drops Authorization and Cookie on such a redirect, but not other headers:
    a custom key header would be given to whatever site the redirect names.
    """

    def process_request(self, request: Request) -> None:
        names = request.meta.get("aitrack_keyed_headers")
        redirects = request.meta.get("redirect_urls")
        if names and redirects and _origin(request.url) != _origin(redirects[0]):
            for name in names:
                request.headers.pop(name, None)
        return None


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


class ConditionalGetMiddleware:
    """Sends the validators we hold, so an unchanged feed, sitemap or page answers 304.

    Index pages use the validators saved after the last complete read of the source;
    article pages use those stored with the article. A 304 is passed to the spider's
    callback (which knows what "unchanged" means for its role), not treated as an error.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalGetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        role = request.meta.get("aitrack_role")
        state = getattr(self.crawler.spider, "state", None)
        if state is None or role not in ("index", "article"):
            return None
        if role == "index":
            validators = state.index_validators(request.url)
        else:
            if "aitrack_stored" in request.meta:  # looked up by the spider (base.py)
                stored = request.meta["aitrack_stored"]
            else:
                stored = state.stored_article(request.url)
            validators = (stored.etag, stored.last_modified) if stored else None
        if validators:
            etag, last_modified = validators
            if etag:
                request.headers.setdefault(b"If-None-Match", etag)
            if last_modified:
                request.headers.setdefault(b"If-Modified-Since", last_modified)
            request.meta.setdefault("handle_httpstatus_list", [NOT_MODIFIED])
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status == NOT_MODIFIED:
            self.crawler.stats.inc_value("aitrack/not_modified")
        return response


class ProxyMiddleware:
    """Sends every request through AITRACK_PROXY when it is set (the demo's local
    server answers for demo.aitrack.test). A setting, not the process's http_proxy
    variable, so that a run changes nothing outside itself."""

    def __init__(self, proxy: str | None) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProxyMiddleware:
        return cls(crawler.settings.get("AITRACK_PROXY"))

    def process_request(self, request: Request) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy
        return None


class ArchiveMiddleware:
    """Writes every response, with its request, to a WARC file when AITRACK_ARCHIVE_DIR
    is set: one gzipped file per source and run, `<run>-<source>.warc.gz`.

    Records carry `WARC-Aitrack-Source`, `-Role` and `-Hints` headers, so that
    `aitrack reextract` can rebuild the articles from the archive alone.

    An archive is shared like the database, so a source's keys never reach it: the
    target URI, the response headers and the body are redacted (`${NAME}` where a key
    was), and no request record (whose headers may hold a key) is written.
    """

    def __init__(self, crawler: Any, directory: str | None) -> None:
        self.crawler = crawler
        self.directory = Path(directory) if directory else None
        self.writer = None
        self.handle = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMiddleware:
        # Off unless configured; not NotConfigured, whose warning would reach every cron log.
        middleware = cls(crawler, crawler.settings.get("AITRACK_ARCHIVE_DIR"))
        from scrapy import signals

        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def _open(self) -> Any:
        if self.writer is None:
            from warcio.warcwriter import WARCWriter

            self.directory.mkdir(parents=True, exist_ok=True)
            run = self.crawler.settings.get("AITRACK_RUN_ID") or 0
            slug = self.crawler.spider.name
            self.handle = open(self.directory / f"{int(run):06d}-{slug}.warc.gz", "ab")  # noqa: SIM115
            self.writer = WARCWriter(self.handle, gzip=True)
        return self.writer

    def process_response(self, request: Request, response: Response) -> Response:
        if self.directory is None:
            return response
        from warcio.statusandheaders import StatusAndHeaders

        writer = self._open()
        redact: Redactor = getattr(self.crawler.spider, "redact", None) or Redactor()
        hints = request.meta.get("aitrack_hints")
        extra = {
            "WARC-Aitrack-Source": self.crawler.spider.name,
            "WARC-Aitrack-Role": request.meta.get("aitrack_role", ""),
            "WARC-Aitrack-Hints": redact(json.dumps(asdict(hints))) if hints else "{}",
        }
        headers = [
            (k.decode("latin-1"), redact(v.decode("latin-1")))
            for k, values in response.headers.items()
            for v in values
        ]
        http_headers = StatusAndHeaders(f"{response.status} OK", headers, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            redact(response.url),
            "response",
            payload=BytesIO(redact.redact_bytes(response.body)),
            http_headers=http_headers,
            warc_headers_dict=extra,
        )
        writer.write_record(record)
        return response

    def close(self, spider: Any = None) -> None:
        if self.handle is not None:
            self.handle.close()
