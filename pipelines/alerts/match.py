"""A subscription's new matches: the articles it follows that the ledger has not seen.

Plain SQL over the store. An article is new for a subscription when it was first stored
at or after the subscription started (every article, when it was backfilled) and is not
in the ledger for it. Failed deliveries write nothing to the ledger, so they come back.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pipelines.alerts.config import Subscription
from pipelines.alerts.stories import STORY_COLUMN
from pipelines.names import canonical_entity
from pipelines.store.fts_query import to_fts

MAX_PER_RUN = 500  # one digest stays readable; the rest are still new on the next run


class NotFollowable(Exception):
    """The database cannot answer this subscription yet (e.g. no legal objects)."""


def new_matches(
    conn: sqlite3.Connection, sub: Subscription, since: str, limit: int = MAX_PER_RUN
) -> list[dict[str, Any]]:
    """The subscription's undelivered articles first stored at or after `since`, oldest
    first, each with its story key, source name and topics with their evidence."""
    condition, params = _condition(conn, sub)
    rows = conn.execute(
        f"select a.id, a.title, a.url, a.source, coalesce(s.name, a.source) as source_name, "
        f"a.published_at, a.published_day, a.first_seen_at, {STORY_COLUMN} as story "
        "from articles a left join sources s on s.slug = a.source "
        f"where a.first_seen_at >= ? and ({condition}) and not exists (select 1 from "
        "alert_deliveries d where d.subscription = ? and d.article_id = a.id) "
        "order by a.first_seen_at, a.id limit ?",
        [since, *params, sub.name, limit],
    ).fetchall()
    out = [dict(r) for r in rows]
    for row in out:
        row["topics"] = [
            {"topic": t, "evidence": _evidence(e)}
            for t, e in conn.execute(
                "select topic, evidence from article_topics where article_id = ? "
                "order by score desc, topic",
                [row["id"]],
            )
        ]
    return out


def delivered_stories(conn: sqlite3.Connection, sub: Subscription, stories: list[str]) -> set[str]:
    """Which of these stories the subscription has already been sent (a later copy of a
    story is recorded, not sent again)."""
    found: set[str] = set()
    for start in range(0, len(stories), 500):
        chunk = stories[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            r[0]
            for r in conn.execute(
                "select distinct story from alert_deliveries where subscription = ? "
                f"and story in ({marks})",
                [sub.name, *chunk],
            )
        )
    return found


def _condition(conn: sqlite3.Connection, sub: Subscription) -> tuple[str, list[Any]]:
    if sub.kind == "topic":
        return (
            "exists (select 1 from article_topics t where t.article_id = a.id and t.topic = ?)",
            [sub.value],
        )
    if sub.kind == "entity":
        return (
            "exists (select 1 from article_entities ae join entities e on e.id = "
            "ae.entity_id where ae.article_id = a.id and (e.id = ? or e.name = ? collate nocase))",
            [sub.value, canonical_entity(sub.value)],
        )
    if sub.kind == "story":
        return f"{STORY_COLUMN} = ?", [sub.value]
    if sub.kind == "search":
        fts = to_fts(sub.value)
        if not fts:
            raise NotFollowable(f"nothing searchable in {sub.value!r}")
        return "a.rowid in (select rowid from articles_fts where articles_fts match ?)", [fts]
    # legal_object: its key as the site writes it (`fr_document:2024-20529`, the part of
    # /object/<kind>/<id> after /object/) or its canonical id alone (`2024-20529`).
    return (
        "exists (select 1 from article_legal_objects l join legal_objects o on o.key = "
        "l.object_key where l.article_id = a.id and (o.key = ? or o.canonical_id = ? "
        "collate nocase or o.key = replace(?, '/', ':')))",
        [sub.value, sub.value, sub.value],
    )


def _evidence(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
