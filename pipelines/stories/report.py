"""One line about a database's stories, for the demo's summary and `aitrack stories`."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def story_counts(db_path: str | Path) -> str:
    """How many stories, and how many of them more than one outlet covered."""
    with sqlite3.connect(db_path) as conn:
        total, shared, copies, events = conn.execute(
            "select count(*), coalesce(sum(outlet_count > 1), 0), "
            "(select count(*) from articles where story_relation = 'copy'), "
            "(select count(*) from articles where story_relation = 'same_event') from stories"
        ).fetchone()
    conn.close()
    return (
        f"stories: {total}, {shared} covered by more than one source "
        f"({copies} copies, {events} same-event articles)"
    )
