"""What the scale-out bench (bench/scale.py) and its tests (tests/test_scale.py) share:
a real redis-server on a free loopback port, the bench site spread over several hosts,
and the sources file that crawls it.

Hosts: every address of 127.0.0.0/8 reaches the loopback interface, so the bench site
(bench/site.py) served on 127.0.0.1, 127.0.0.2, ... is that many hosts to a crawler's
per-host politeness, with no DNS and no listening port beyond loopback.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.site import start_site, stop_site  # noqa: E402

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(folder: Path, durable: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of our own in `folder`, on a free loopback port: (process, URL).
    `durable`: with an append-only file (fsync every second), for restarts."""
    if not Path(REDIS_SERVER).exists():
        raise RuntimeError("redis-server is missing: `make system-deps` installs it")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--dir", str(folder), "--appendonly", "yes" if durable else "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    stop_redis(process)
    raise RuntimeError(f"redis-server did not start on port {port}")


def stop_redis(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_hosts(pages: int, hosts: int) -> tuple[list[subprocess.Popen[str]], list[str]]:
    """The bench site over `hosts` loopback addresses, `pages` in all (a seed per host,
    so the hosts' articles differ): (processes, base URLs)."""
    processes, bases = [], []
    try:
        for n in range(hosts):
            share = pages // hosts + (1 if n < pages % hosts else 0)
            process, base = start_site(share, seed=n + 1, host=f"127.0.0.{n + 1}")
            processes.append(process)
            bases.append(base)
    except BaseException:
        stop_hosts(processes)
        raise
    return processes, bases


def stop_hosts(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        stop_site(process)


def write_sources(path: Path, bases: list[str], pages_per_host: int) -> Path:
    """One sitemap source per host."""
    entries = []
    for n, base in enumerate(bases, 1):
        entries.append(
            f"  - slug: host-{n}\n"
            f"    name: Bench host {n}\n"
            "    kind: sitemap\n"
            f'    urls: ["{base}/sitemap.xml"]\n'
            f"    max_pages: {pages_per_host + 100}\n"
            "    publisher: bench/site.py\n"
            "    category: news\n"
            "    jurisdiction: US\n"
        )
    path.write_text("sources:\n" + "".join(entries), encoding="utf-8")
    return path


# Unthrottled, as bench/crawl.py: politeness is for other people's servers.
FAST = [
    "-s",
    "AUTOTHROTTLE_ENABLED=0",
    "-s",
    "LOG_LEVEL=WARNING",
]
