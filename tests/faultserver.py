"""A fault-injecting HTTP server for the tests and the soak bench, on 127.0.0.1 only.

Each path answers with one fault (see FAULTS); good article pages are copies of demo
articles, so that the good articles around the bad ones can be checked for. Counts of
requests per path let tests check how often a retry came.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
from collections import Counter
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from crawlers.demo_server import DEMO_SITE
from tests.httpbase import QuietHandler

# Crawl settings for runs against this server: short timeouts, no pacing.
FAST_SETTINGS = [
    f"-s{name}={value}"
    for name, value in (
        ("DOWNLOAD_TIMEOUT", 2),
        ("AITRACK_RETRY_AFTER_MAX", 5),
        ("AUTOTHROTTLE_ENABLED", 0),
        ("CONCURRENT_REQUESTS_PER_DOMAIN", 8),
    )
]
GOOD_PAGES = sorted((DEMO_SITE / "civic-ledger").glob("20*/*/*/*.html"))
EVAL_FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "feeds"

# path -> what it does; the tests' source files list these URLs in feeds.
FAULTS = {
    "/status/500": "HTTP 500, always",
    "/status/503": "HTTP 503 with Retry-After: 1, always",
    "/flaky/503": "HTTP 503 with Retry-After: 1 once, then the article",
    "/flaky/429": "HTTP 429 with Retry-After: 2 once, then the article",
    "/status/429-long": "HTTP 429 with Retry-After: 3600",
    "/slow": "answers after the crawl's timeout",
    "/reset": "resets the connection",
    "/truncated": "promises 50,000 bytes, sends 1,000, closes",
    "/truncated-gzip": "gzip-encoded body cut in half",
    "/charset/cp1252": "Windows-1252 text, no charset anywhere",
    "/charset/shift-jis": "Shift_JIS text declared only in <meta charset>",
    "/charset/bom": "UTF-8 with a byte-order mark, no charset",
    "/huge": "a 50 MB page",
    "/redirect/loop": "redirects to itself forever",
    "/redirect/offsite": "redirects to another domain (which does not resolve)",
    "/pdf": "a PDF at an article URL",
    "/image": "a PNG at an article URL",
    "/json": "JSON at an article URL",
    "/empty": "an empty 200",
    "/script-title": "an article with <script> in its title and body",
}


def good_html(n: int) -> bytes:
    page = GOOD_PAGES[n % len(GOOD_PAGES)].read_bytes()
    return page.replace(b"{{BASE}}", b"http://127.0.0.1")


CP1252_PAGE = (
    "<html><head><title>Caf\u00e9 owners weigh AI menus</title></head><body><article>"
    + "<p>Caf\u00e9 owners in Li\u00e8ge say \u201csmart\u201d menus powered by artificial "
    "intelligence cost \u20ac40 a month \u2014 and customers notice the difference.</p>"
    * 8
    + "</article></body></html>"
).encode("cp1252")
SHIFT_JIS_PAGE = (
    '<html><head><meta charset="Shift_JIS"><title>AI規制の新法案</title></head><body>'
    "<article>" + "<p>政府は人工知能の安全性に関する新しい法案を国会に提出した。"
    "企業には透明性の確保が求められる。</p>" * 8 + "</article></body></html>"
).encode("shift_jis")
BOM_PAGE = b"\xef\xbb\xbf" + (
    "<html><head><title>Na\u00efve AI rules</title></head><body><article>"
    + "<p>Lawmakers in Z\u00fcrich debated na\u00efve assumptions about artificial "
    "intelligence and the \u201cright to explanation\u201d.</p>" * 8 + "</article></body></html>"
).encode("utf-8")
SCRIPT_PAGE = (
    b"<html><head><title>AI rules <script>alert(1)</script></title></head><body><article>"
    b"<h1>AI rules <script>alert(2)</script></h1>"
    + b"<p>The regulator said artificial intelligence rules apply. "
    b"&lt;script&gt;alert(3)&lt;/script&gt; appeared in a quoted exploit.</p>"
    * 8
    + b"</article></body></html>"
)


class FaultHandler(QuietHandler):
    server: FaultServer

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] += 1
            hits = self.server.hits[path]
        if path == "/robots.txt":
            return self.send(200, b"User-agent: *\nDisallow:\n", "text/plain")
        if path.startswith("/good/") or path.startswith("/many/"):
            return self.send(200, good_html(int(path.rsplit("/", 1)[1].split(".")[0])))
        if path in ("/feed.xml", "/big-feed.xml") or path.startswith("/soak-feed"):
            return self.send(200, self.server.feeds[path], "application/rss+xml")
        if path.startswith("/calendar/"):
            return self.calendar(path)
        if path.startswith("/evalfeeds/"):
            file = EVAL_FEEDS / path.removeprefix("/evalfeeds/")
            return self.send(200, file.read_bytes(), "application/xml")
        return self.fault(path, hits)

    def fault(self, path: str, hits: int) -> None:
        if path == "/status/500":
            return self.send(500, b"Internal Server Error", "text/plain")
        if path == "/status/503":
            return self.send(503, b"busy", "text/plain", {"Retry-After": "1"})
        if path == "/flaky/503":
            if hits == 1:
                return self.send(503, b"busy", "text/plain", {"Retry-After": "1"})
            return self.send(200, good_html(1))
        if path == "/flaky/429":
            if hits == 1:
                return self.send(429, b"slow down", "text/plain", {"Retry-After": "2"})
            return self.send(200, good_html(2))
        if path == "/status/429-long":
            return self.send(429, b"come back tomorrow", "text/plain", {"Retry-After": "3600"})
        if path == "/slow":
            time.sleep(self.server.slow_seconds)
            return self.send(200, good_html(3))
        if path == "/reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return None
        if path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "50000")
            self.end_headers()
            self.wfile.write(good_html(4)[:1000])
            self.close_connection = True
            return None
        if path == "/truncated-gzip":
            body = gzip.compress(good_html(5))
            body = body[: len(body) // 2]
            return self.send(200, body, extra={"Content-Encoding": "gzip"})
        if path == "/charset/cp1252":
            return self.send(200, CP1252_PAGE, "text/html")
        if path == "/charset/shift-jis":
            return self.send(200, SHIFT_JIS_PAGE, "text/html")
        if path == "/charset/bom":
            return self.send(200, BOM_PAGE, "text/html")
        if path == "/huge":
            return self.huge()
        if path == "/redirect/loop":
            return self.send(302, b"", extra={"Location": f"/redirect/loop?n={hits}"})
        if path == "/redirect/offsite":
            return self.send(302, b"", extra={"Location": "http://elsewhere.invalid/story"})
        if path == "/pdf":
            return self.send(200, b"%PDF-1.7\n" + b"\x00" * 2000, "application/pdf")
        if path == "/image":
            return self.send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, "image/png")
        if path == "/json":
            return self.send(200, json.dumps({"title": "not a page"}).encode(), "application/json")
        if path == "/empty":
            return self.send(200, b"")
        if path == "/script-title":
            return self.send(200, SCRIPT_PAGE)
        return self.send(404, b"not found", "text/plain")

    def calendar(self, path: str) -> None:
        """A spider trap: every month links to the next one, forever."""
        year, month = (int(x) for x in path.strip("/").split("/")[1:3])
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        body = (
            f"<html><body><ul><li class='item'><a href='/good/{month}.html'>Story</a></li></ul>"
            f"<a class='next' href='/calendar/{nxt[0]}/{nxt[1]:02d}'>Next month</a>"
            "</body></html>"
        ).encode()
        return self.send(200, body)

    def huge(self) -> None:
        size = 50 * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        try:
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler stopped reading at its size limit, as it should
        self.close_connection = True


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, slow_seconds: float = 5.0) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.slow_seconds = slow_seconds
        self.feeds: dict[str, bytes] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        return  # clients that give up mid-answer are what this server is for

    def add_feed(self, path: str, links: list[str]) -> None:
        items = "".join(
            f"<item><title>Item {i}</title><link>{self.base_url}{link}</link>"
            f"<pubDate>Tue, 02 Apr 2024 14:05:00 -0400</pubDate></item>"
            for i, link in enumerate(links)
        )
        self.feeds[path] = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>faults</title>{items}</channel></rss>"
        ).encode()


def start_fault_server(slow_seconds: float = 5.0) -> FaultServer:
    server = FaultServer(slow_seconds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
