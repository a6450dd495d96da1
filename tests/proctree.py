"""The process tree as Linux shows it in /proc: for tests that check that nothing a
command started outlives it."""

from __future__ import annotations

import time
from pathlib import Path


def parents() -> dict[int, int]:
    """pid -> parent pid of every process now alive (zombies excluded)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: split after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            found[int(entry.name)] = int(fields[1])
    return found


def descendants(pid: int) -> set[int]:
    """Every live process below pid."""
    tree = parents()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, parent in tree.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def alive(pids: set[int]) -> set[int]:
    now = parents()
    return {pid for pid in pids if pid in now}


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait until none of pids is alive; returns those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
