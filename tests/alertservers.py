"""Real local receivers for the alert tests: a small SMTP server of our own (no new
dependency; enough of RFC 5321 and AUTH PLAIN for smtplib) and a webhook receiver that
fails a set number of times before it accepts."""

from __future__ import annotations

import base64
import socket
import socketserver
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from tests.httpbase import QuietHandler


def free_port() -> int:
    """A port nothing listens on (yet): an SMTP server that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpServer

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.say("220 127.0.0.1 test ESMTP")
        sender, recipients, authed = "", [], not self.server.credentials
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = command[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-127.0.0.1\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "HELO":
                self.say("250 127.0.0.1")
            elif verb == "AUTH":
                parts = command.split()
                token = parts[2] if len(parts) > 2 else ""
                if not token:
                    self.say("334 ")
                    token = self.rfile.readline().decode().strip()
                _, user, password = base64.b64decode(token).decode().split("\0")
                authed = (user, password) == self.server.credentials
                self.say("235 ok" if authed else "535 authentication failed")
            elif verb == "MAIL":
                if not authed:
                    self.say("530 authentication required")
                    continue
                sender, recipients = command[10:].strip(), []
                self.say("250 ok")
            elif verb == "RCPT":
                recipients.append(command[8:].strip())
                self.say("250 ok")
            elif verb == "DATA":
                self.say("354 end with .")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                with self.server.lock:
                    self.server.messages.append(
                        {"from": sender, "to": recipients, "data": b"".join(lines)}
                    )
                self.say("250 queued")
            elif verb == "QUIT":
                self.say("221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.say("250 ok")
            else:
                self.say("502 not implemented")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, credentials: tuple[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", port), SmtpHandler)
        self.credentials = credentials
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


def start_smtp(port: int = 0, credentials: tuple[str, str] | None = None) -> SmtpServer:
    server = SmtpServer(port, credentials)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Receiver(QuietHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.posts.append((dict(self.headers.items()), body))
            fail = self.server.failures > 0
            self.server.failures -= 1
        self.send(500 if fail else 200, b"no" if fail else b"ok", "text/plain")


class WebhookReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, failures: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), Receiver)
        self.failures = failures  # answer 500 this many times first
        self.lock = threading.Lock()
        self.posts: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


def start_receiver(failures: int = 0) -> WebhookReceiver:
    server = WebhookReceiver(failures)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
