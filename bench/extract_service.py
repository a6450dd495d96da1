"""Both extractors behind a local HTTP service, so the shared scorers can call them
once per page without starting Python once per page.

The scorers run a shell command per page; run as `aitrack extract` that costs an
interpreter start and trafilatura's import (about a second) per page, twenty minutes for
the two extractors over the 888 pages. Here the command is `curl`, posting the page to
this service on 127.0.0.1, whose worker processes already have everything imported.
They call exactly what `aitrack extract` and bench/bare_trafilatura.py call (in
both of its modes), and answer
the same JSON; a page with no article is an HTTP error, as the CLI's exit status 1 is.
"""

from __future__ import annotations

import json
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_aitrack(html: bytes, url: str) -> dict | None:
    from pipelines.extract import ExtractionError, extract_article

    try:
        return extract_article(html, url).as_dict()
    except ExtractionError:
        return None


def run_trafilatura(html: bytes, url: str, mode: str = "default") -> dict | None:
    from bench.bare_trafilatura import extract

    return extract(html, url or None, mode)


def run_trafilatura_aitrack_options(html: bytes, url: str) -> dict | None:
    return run_trafilatura(html, url, "aitrack")


EXTRACTORS = {
    "/aitrack": run_aitrack,
    "/trafilatura": run_trafilatura,
    "/trafilatura-aitrack-options": run_trafilatura_aitrack_options,
}


def command(base: str, name: str) -> str:
    """The scorers' --cmd for one extractor ({path} and {url} are theirs to fill)."""
    return f"curl -sf --data-binary @{{path}} -H 'X-Page-Url: '{{url}} {base}/{name}"


def start_service(workers: int) -> tuple[ThreadingHTTPServer, ProcessPoolExecutor, str]:
    pool = ProcessPoolExecutor(max_workers=workers)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            fn = EXTRACTORS.get(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            result = (
                pool.submit(fn, body, self.headers.get("X-Page-Url", "")).result() if fn else None
            )
            data = json.dumps(result, ensure_ascii=False).encode() if result else b""
            self.send_response(200 if result else 422)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, pool, f"http://127.0.0.1:{server.server_address[1]}"


def stop_service(server: ThreadingHTTPServer, pool: ProcessPoolExecutor) -> None:
    server.shutdown()
    pool.shutdown()
