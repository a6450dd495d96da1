"""What the tests' own HTTP servers share: HTTP/1.1, no request log on stderr, and one
way to answer with a complete body (crawlers.demo_server.send_body)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from crawlers.demo_server import send_body


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        extra: dict[str, str] | None = None,
    ) -> None:
        send_body(self, status, body, ctype, extra)
