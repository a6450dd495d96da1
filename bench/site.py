#!/usr/bin/env python3
"""The crawl benchmark's generated news site, served on 127.0.0.1 by a fast server.

N article pages of 60–120 KB (bench/site_pages.py makes them from our demo articles),
plus what a news site offers crawlers: /robots.txt (allows all, names the sitemap),
/sitemap.xml (a Google News urlset of all N, with <lastmod>, publication date and
title), /feed.xml (RSS 2.0 of all N) and / (the latest 50). Articles live at dated
paths like /2025/03/14/some-slug-123.html. Every response has a stable ETag and
Last-Modified (from seed, N and path), and a matching If-None-Match or
If-Modified-Since is answered 304, so a second crawl of the unchanged site meets the
validators real sites send.

The server is a bare asyncio protocol speaking HTTP/1.1 with keep-alive, in its own
process. Pages are rendered on request: about 0.5 ms of CPU per request, render and
send (measured: ~1,700 requests/s against curl, 20–30% of a core while a bare Scrapy
spider fetches 400 pages/s), and N=10,000 needs no pre-rendering (~100 MB resident).
Responses are not compressed, which spares both sides gzip's CPU.

    .venv/bin/python bench/site.py --pages 2000 [--port 0] [--seed 1]
        prints "READY <port>" once listening; serves until SIGTERM or Ctrl-C.
    .venv/bin/python bench/site.py --measure [--pages 2000]
        render cost per page, and the server's throughput and CPU under a local client.

From Python (the crawl harness, the tests): `start_site(pages)` launches the server
process and returns it with its base URL; `stop_site(process)` ends it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ would come first on sys.path, where a script's name can shadow
# a package (one called incremental.py once hid Twisted's): import from the root instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.site_pages import (  # noqa: E402  (re-exported for the harness and tests)
    all_pages,
    body_paragraphs,
    last_modified,
    page_info,
    page_number,
    render_feed,
    render_home,
    render_page,
    render_robots,
    render_sitemap,
)

__all__ = [
    "body_paragraphs",
    "page_info",
    "process_cpu_seconds",
    "render_feed",
    "render_home",
    "render_page",
    "render_sitemap",
    "start_site",
    "stop_site",
]

HOST = "127.0.0.1"
MAX_HEAD_BYTES = 64 * 1024
HTML = "text/html; charset=utf-8"
REASONS = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
}


class Resource:
    """A response body with its validators."""

    __slots__ = ("body", "content_type", "etag", "last_modified", "modified_ts")

    def __init__(self, body: bytes, content_type: str, etag: str, modified_ts: float) -> None:
        self.body = body
        self.content_type = content_type
        self.etag = etag
        self.modified_ts = int(modified_ts)
        self.last_modified = formatdate(self.modified_ts, usegmt=True)


class Site:
    """What the server answers: indexes rendered once at start, articles on request."""

    def __init__(self, pages: int, seed: int, base_url: str) -> None:
        self.pages, self.seed, self.base = pages, seed, base_url
        all_pages(pages, seed)  # fills page_info's cache: no request pays for it
        changed = last_modified(pages, seed).timestamp()
        self.indexes = {
            "/": Resource(render_home(base_url, pages, seed), HTML, self.etag("/"), changed),
            "/robots.txt": Resource(
                render_robots(base_url),
                "text/plain; charset=utf-8",
                self.etag("/robots.txt"),
                changed,
            ),
            "/sitemap.xml": Resource(
                render_sitemap(base_url, pages, seed),
                "application/xml; charset=utf-8",
                self.etag("/sitemap.xml"),
                changed,
            ),
            "/feed.xml": Resource(
                render_feed(base_url, pages, seed),
                "application/rss+xml; charset=utf-8",
                self.etag("/feed.xml"),
                changed,
            ),
        }

    def etag(self, path: str) -> str:
        """Stable for a given site (seed, N) and path: restarts of the server keep it."""
        digest = hashlib.sha1(f"{self.seed}:{self.pages}:{path}".encode()).hexdigest()
        return f'"{digest[:20]}"'

    def resource(self, path: str) -> Resource | None:
        found = self.indexes.get(path)
        if found is not None:
            return found
        n = page_number(path)
        if n is None or n >= self.pages:
            return None
        info = page_info(n, self.seed)
        if info.path != path:  # right number, wrong date or slug
            return None
        body = render_page(n, self.seed, self.base)
        return Resource(body, HTML, self.etag(path), info.modified.timestamp())


def not_modified(resource: Resource, headers: dict[bytes, bytes]) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}
        return b"*" in tags or resource.etag.encode() in tags
    since = headers.get(b"if-modified-since")
    if since is None:
        return False
    try:
        return resource.modified_ts <= parsedate_to_datetime(since.decode("latin-1")).timestamp()
    except (TypeError, ValueError):
        return False


def response_bytes(
    status: int, resource: Resource | None, keep_alive: bool, head: bool, body: bytes = b""
) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {REASONS[status]}",
        "Server: aitrack-bench-site",
        f"Date: {formatdate(usegmt=True)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    if resource is not None:
        lines += [f"ETag: {resource.etag}", f"Last-Modified: {resource.last_modified}"]
        lines.append("Cache-Control: public, max-age=60")
    if status != 304:
        if resource is not None:
            body = resource.body
            lines.append(f"Content-Type: {resource.content_type}")
        else:
            lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append(f"Content-Length: {len(body)}")
    else:
        body = b""
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + body


class HttpProtocol(asyncio.Protocol):
    """HTTP/1.1 for GET and HEAD, persistent connections and pipelining; nothing else
    (no request bodies, no chunked uploads: crawlers send neither)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD_BYTES:
                    self._finish(400, b"request head too large\n", keep_alive=False)
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            self._handle(head)

    def _handle(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].split(b" ", 2)
        except ValueError:
            self._finish(400, b"bad request line\n", keep_alive=False)
            return
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        connection = headers.get(b"connection", b"").lower()
        keep_alive = connection != b"close" and (
            version == b"HTTP/1.1" or connection == b"keep-alive"
        )
        if method not in (b"GET", b"HEAD"):
            self._finish(405, b"GET and HEAD only\n", keep_alive)
            return
        path = target.split(b"?", 1)[0].decode("latin-1")
        if path.startswith("http://"):  # absolute-form, as sent to a proxy
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        resource = self.site.resource(path)
        head_only = method == b"HEAD"
        if resource is None:
            self._finish(404, b"not found\n", keep_alive, head_only)
            return
        status = 304 if not_modified(resource, headers) else 200
        self.transport.write(response_bytes(status, resource, keep_alive, head=True))
        if status == 200 and not head_only:
            self.transport.write(resource.body)  # not joined to the head: no 100 KB copy
        if not keep_alive:
            self.transport.close()

    def _finish(self, status: int, body: bytes, keep_alive: bool, head: bool = False) -> None:
        self.transport.write(response_bytes(status, None, keep_alive, head, body))
        if not keep_alive:
            self.transport.close()


async def serve(pages: int, seed: int, port: int, host: str = HOST) -> None:
    """Listen, print READY <port>, and serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    # Bind first: the site's URLs need the port the system gave us.
    sock = socket.create_server((host, port), backlog=1024, reuse_port=False)
    port = sock.getsockname()[1]
    site = Site(pages, seed, f"http://{host}:{port}")
    server = await loop.create_server(lambda: HttpProtocol(site), sock=sock)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"READY {port}", flush=True)
    async with server:
        await stop.wait()


# -- for the harness and the tests -------------------------------------------------------


def start_site(
    pages: int, seed: int = 1, port: int = 0, timeout: float = 60, host: str = HOST
) -> tuple[subprocess.Popen[str], str]:
    """Launch the server process and wait for it to listen: (process, base URL). `host`
    may be any loopback address (127.0.0.2, ...): each is a host of its own to a crawler's
    politeness, which is how bench/scale.py makes a site of several hosts."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--pages",
            str(pages),
            "--seed",
            str(seed),
            "--port",
            str(port),
            "--host",
            host,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        stop_site(process)
        raise RuntimeError(f"the site server did not start (said {line!r})")
    return process, f"http://{host}:{int(line.split()[1])}"


def stop_site(process: subprocess.Popen[str]) -> None:
    """SIGTERM, wait, and release the pipe."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc), to tell whether the
    server kept up: sample before and after a run and divide by the wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- --measure: render cost and server throughput ----------------------------------------


def measure_render(count: int = 1000, seed: int = 1) -> dict[str, float]:
    """Milliseconds per page over `count` pages never rendered before in this process."""
    start = time.perf_counter()
    sizes = [len(render_page(n, seed)) for n in range(count)]
    elapsed = time.perf_counter() - start
    return {
        "render_ms_per_page": round(elapsed / count * 1000, 3),
        "mean_kb": round(sum(sizes) / count / 1000, 1),
        "min_kb": round(min(sizes) / 1000, 1),
        "max_kb": round(max(sizes) / 1000, 1),
    }


def measure_server(pages: int, clients: int, seed: int = 1) -> dict[str, float]:
    """Fetch every article once over `clients` keep-alive connections (threads in this
    process, so the client shares the machine's cores with the server, as a crawler would)."""
    process, base = start_site(pages, seed)
    try:
        paths = [info.path for info in all_pages(pages, seed)]
        lock, done, fetched = threading.Lock(), [0], [0]

        def client() -> None:
            conn = http.client.HTTPConnection(HOST, int(base.rsplit(":", 1)[1]))
            while True:
                with lock:
                    if done[0] >= len(paths):
                        break
                    path, done[0] = paths[done[0]], done[0] + 1
                conn.request("GET", path)
                body = conn.getresponse().read()
                with lock:
                    fetched[0] += len(body)
            conn.close()

        cpu_before = process_cpu_seconds(process.pid)
        start = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        cpu = process_cpu_seconds(process.pid) - cpu_before
    finally:
        stop_site(process)
    return {
        "requests_per_s": round(len(paths) / elapsed, 1),
        "mb_per_s": round(fetched[0] / elapsed / 1e6, 1),
        "server_cpu_percent": round(cpu / elapsed * 100, 1),
        "server_cpu_ms_per_request": round(cpu / len(paths) * 1000, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default=HOST, help="a loopback address to listen on")
    parser.add_argument("--measure", action="store_true", help="print render and server figures")
    parser.add_argument("--clients", type=int, default=16, help="connections for --measure")
    args = parser.parse_args()
    if args.measure:
        print(measure_render(seed=args.seed))
        print(measure_server(args.pages, args.clients, args.seed))
        return 0
    asyncio.run(serve(args.pages, args.seed, args.port, args.host))
    return 0


if __name__ == "__main__":
    sys.exit(main())
