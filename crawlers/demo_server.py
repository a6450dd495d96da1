"""The bundled demo web (data/demo/site) served on 127.0.0.1, for the demo and the tests.

The demo's articles live at stable addresses under `http://demo.aitrack.test/` (`.test`
is reserved for testing and never resolves on the internet). This server listens on a
free port of 127.0.0.1 and acts as the HTTP proxy for that host, so a crawl reaches it
with `http_proxy=http://127.0.0.1:PORT`: URLs, and therefore article ids, stay the same
from one run to the next whatever port we got. Requests made to the server directly
(a person browsing http://127.0.0.1:PORT/) are served too, with links pointing back at it.

It is a small static server rather than SimpleHTTPRequestHandler because pages carry a
`{{BASE}}` token that becomes the site's address, and because crawls should meet real
validators: ETag and Last-Modified, answered with 304 when unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawlers import DATA

DEMO_SITE = DATA / "demo" / "site"
DEMO_SOURCES = DATA / "demo" / "sources.yaml"
TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
BASE_TOKEN = b"{{BASE}}"
DEMO_HOST = "demo.aitrack.test"
DEMO_BASE = f"http://{DEMO_HOST}"


class DemoHandler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        with self.server.track(self.path):
            self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        with self.server.track(self.path):
            self._serve(head=False)

    def _serve(self, head: bool) -> None:
        if self.server.delay:
            time.sleep(self.server.delay)  # tests use a slow site to catch a crawl mid-way
        target = urlsplit(self.path)
        if target.scheme:  # a proxy request: only our demo host is served
            if target.hostname != DEMO_HOST:
                self._send(
                    502,
                    b"the demo proxy only serves demo.aitrack.test\n",
                    "text/plain; charset=utf-8",
                    head=head,
                )
                return
            base = DEMO_BASE
        else:
            base = self.server.base_url
        path = self._resolve(unquote(target.path))
        if path is None:
            self._send(404, b"not found\n", "text/plain; charset=utf-8", head=head)
            return
        body = path.read_bytes().replace(BASE_TOKEN, base.encode())
        mtime = path.stat().st_mtime
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        last_modified = formatdate(mtime, usegmt=True)
        if self._not_modified(etag, mtime):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return
        ctype = TEXT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        extra = {"ETag": etag, "Last-Modified": last_modified}
        self._send(200, body, ctype or "application/octet-stream", head=head, extra=extra)

    def _resolve(self, url_path: str) -> Path | None:
        root = self.server.root
        if "\x00" in url_path:
            return None  # a %00 in the path: no file has one, and pathlib raises on it
        candidate = (root / url_path.lstrip("/")).resolve()
        if root not in candidate.parents and candidate != root:
            return None  # no escaping the site folder with ../
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match:
            return etag in [t.strip() for t in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(mtime) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self, status: int, body: bytes, ctype: str, head: bool, extra: dict[str, str] | None = None
    ) -> None:
        send_body(self, status, body, ctype, extra, head=head)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


def send_body(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    ctype: str,
    extra: dict[str, str] | None = None,
    head: bool = False,
) -> None:
    """Answer with a complete body; a client that already hung up is its own business."""
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (extra or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    if not head:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.wfile.write(body)


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, root: Path = DEMO_SITE, port: int = 0, verbose: bool = False, delay: float = 0.0
    ) -> None:
        super().__init__(("127.0.0.1", port), DemoHandler)
        self.root = root.resolve()
        self.verbose = verbose
        self.delay = delay
        # What tests measure at the server: each request's path, start and end (monotonic
        # seconds), and the most requests it ever had in flight at once.
        self.requests: list[tuple[str, float, float]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def track(self, path: str) -> Iterator[None]:
        start = time.monotonic()
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
                self.requests.append((path, start, time.monotonic()))

    @property
    def base_url(self) -> str:
        """The server's own address: browse it, or use it as the proxy for the demo host."""
        return f"http://127.0.0.1:{self.server_address[1]}"


def start_demo_server(root: Path = DEMO_SITE, port: int = 0, delay: float = 0.0) -> DemoServer:
    """Serve `root` on 127.0.0.1 (a free port by default) in a daemon thread."""
    server = DemoServer(root, port, delay=delay)
    threading.Thread(target=server.serve_forever, name="demo-server", daemon=True).start()
    return server
