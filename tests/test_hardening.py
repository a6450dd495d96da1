"""Hardening of issue 12: bad input of every kind gets a clear answer, never a traceback.

Each test drives the real thing: the demo server over a raw socket, the CLI in a
subprocess, real SQLite files.
"""

from __future__ import annotations

import socket

from crawlers.demo_server import DemoServer


def raw_get(server: DemoServer, target: str) -> bytes:
    """One HTTP/1.0 request written by hand, so the path reaches the server unnormalised."""
    with socket.create_connection(server.server_address[:2], timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_nul_byte_in_a_demo_path_is_a_404_not_a_crash(demo_server: DemoServer) -> None:
    """Item 17: `%00` reached pathlib, which raised ValueError in the handler thread."""
    for target in ("/index%00.html", "/%00", "http://demo.aitrack.test/a%00b/"):
        answer = raw_get(demo_server, target)
        assert answer.startswith(b"HTTP/1.1 404"), (target, answer[:200])
    # The server still serves after them.
    assert raw_get(demo_server, "/robots.txt").startswith(b"HTTP/1.1 200")
