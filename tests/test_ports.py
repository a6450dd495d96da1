"""A crawl opens no listening socket (issue 12, item 5).

Scrapy starts, per crawler, a telnet console and a remote-control HTTP server that runs
Python sent to it; aitrack runs one crawler per source, so a crawl of the catalogue had
dozens of code-execution ports. This runs a real crawl in a subprocess against a slow
local server and, while it runs, lists the listening TCP sockets of its whole process
tree (workers included) from /proc: there must be none. (The workers' fork server
listens on a Unix socket in a private directory, which is not a network port and is
not counted here.)
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils

from tests.conftest import AITRACK, ROOT, write_sources
from tests.faultserver import FAST_SETTINGS, start_fault_server

TCP_LISTEN = "0A"  # the state column of /proc/net/tcp{,6}

pytestmark = pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs /proc")


def process_tree(root: int) -> set[int]:
    """`root` and every process descended from it, from /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name is in parentheses and may hold spaces: split after it.
        fields = text.rsplit(")", 1)[1].split()
        parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = fd.readlink().name
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    except OSError:
        pass
    return inodes


def listening_ports(pid: int) -> dict[str, int]:
    """inode -> port of the TCP sockets in LISTEN state in `pid`'s network namespace."""
    ports = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == TCP_LISTEN:
                ports[cols[9]] = int(cols[1].rsplit(":", 1)[1], 16)
    return ports


def listeners_of_tree(root: int) -> set[tuple[int, int]]:
    """(pid, port) for every listening TCP socket held by a process in root's tree."""
    found = set()
    for pid in process_tree(root):
        held = socket_inodes(pid)
        if not held:
            continue
        for inode, port in listening_ports(pid).items():
            if inode in held:
                found.add((pid, port))
    return found


def test_a_crawl_opens_no_listening_socket(tmp_path) -> None:
    server = start_fault_server(slow_seconds=1.5)  # each article page takes 1.5 s
    try:
        server.add_feed("/feed.xml", [f"/slow?n={n}" for n in range(6)])
        server.add_feed("/big-feed.xml", [f"/slow?m={n}" for n in range(6)])
        sources = write_sources(
            tmp_path / "s.yaml",
            [
                f"slug: one\n    name: O\n    kind: feed\n    urls: [{server.base_url}/feed.xml]",
                f"slug: two\n    name: T\n    kind: feed\n"
                f"    urls: [{server.base_url}/big-feed.xml]",
            ],
        )
        db = tmp_path / "p.db"
        # Two worker processes, so that their sockets are looked at too.
        settings = [*FAST_SETTINGS, "-sAITRACK_WORKERS=2"]
        proc = subprocess.Popen(
            [*AITRACK, "crawl", "--sources", str(sources), "--db", str(db), *settings],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        seen: set[tuple[int, int]] = set()
        looks = 0
        try:
            while proc.poll() is None:
                fetching = server.hits["/feed.xml"] > 0  # the engines have started
                seen |= listeners_of_tree(proc.pid)
                looks += fetching
                time.sleep(0.1)
            stderr = proc.communicate(timeout=60)[1].decode()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        server.shutdown()
    assert proc.returncode == 0, stderr[-3000:]
    # The crawl was looked at while its engines ran (when Scrapy's servers would be up).
    assert looks >= 5, f"only {looks} looks at the crawl's processes while it fetched"
    assert sqlite_utils.Database(db)["articles"].count == 12
    assert not seen, f"listening sockets (pid, port) in the crawl's process tree: {seen}"
