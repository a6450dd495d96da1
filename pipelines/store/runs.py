"""Run bookkeeping: `crawl_runs` rows, and each source's health after a run."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from pipelines.dates import now_iso


def start_run(db: sqlite_utils.Database, sources_file: str, sources_count: int) -> int:
    """Insert a crawl_runs row with status 'running'; returns its id."""
    with db.atomic():
        table = db["crawl_runs"].insert(
            {
                "started_at": now_iso(),
                "status": "running",
                "sources_file": sources_file,
                "sources_count": sources_count,
            }
        )
    return int(table.last_pk)


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    status: str,
    counts: dict[str, Any],
    stats: dict[str, Any],
) -> None:
    """Close a crawl_runs row with its final status, counts and per-source stats."""
    counts = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in counts.items()}
    with db.atomic():
        db["crawl_runs"].update(
            run_id,
            {
                "finished_at": now_iso(),
                "status": status,
                **counts,
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            },
        )


def record_source_health(
    db: sqlite_utils.Database,
    slug: str,
    ok: bool,
    error: str | None,
    listed_nothing: bool,
    flag_empty: int = 5,
    flag_failed: int = 3,
) -> str | None:
    """Update a source's health after a run; returns why it is flagged, if it is.

    A source is flagged when it has failed `flag_failed` runs in a row, or listed no
    article at all for `flag_empty` runs in a row: both mean a site changed or broke.
    """
    now = now_iso()
    with db.atomic():
        row = db["sources"].get(slug)
        failures = 0 if ok else (row.get("consecutive_failures") or 0) + 1
        empty = (row.get("consecutive_empty_runs") or 0) + 1 if listed_nothing else 0
        flag = None
        if failures >= flag_failed:
            flag = f"failed {failures} runs in a row"
        elif empty >= flag_empty:
            flag = f"listed nothing for {empty} runs in a row"
        changes: dict[str, Any] = {
            "last_run_at": now,
            "articles_total": db["articles"].count_where("source = ?", [slug]),
            "consecutive_failures": failures,
            "consecutive_empty_runs": empty,
            "flagged": flag,
        }
        if ok:
            changes["last_success_at"] = now
        else:
            changes.update(last_error_at=now, last_error=error)
        db["sources"].update(slug, changes)
    return flag


def mark_abandoned_runs(db: sqlite_utils.Database) -> int:
    """Close runs left 'running' by a crawl that was killed; call while holding the lock."""
    with db.atomic():
        cursor = db.execute("update crawl_runs set status = 'abandoned' where status = 'running'")
    return cursor.rowcount
