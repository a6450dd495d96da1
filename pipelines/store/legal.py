"""Legal object rows: objects, the articles that name them, deadlines and their history.

Called by the writer inside an article's savepoint (`write_article_legal`) and by the
resolver (`update_object`, `record_deadline`). Idempotent: re-running adds no rows."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from pipelines.dates import now_iso
from pipelines.legal.deadlines import SOURCE_RANK, Deadline
from pipelines.legal.mentions import LegalMention


def object_key(kind: str, canonical_id: str) -> str:
    return f"{kind}:{canonical_id}"


def ensure_object(
    db: sqlite_utils.Database,
    kind: str,
    canonical_id: str,
    jurisdiction: str | None = None,
    court: str | None = None,
    now: str | None = None,
) -> str:
    """The object's key, adding its row on first sight (what recognition knows only)."""
    key = object_key(kind, canonical_id)
    db.execute(
        "insert or ignore into legal_objects (key, kind, canonical_id, jurisdiction, "
        "court_or_agency, first_seen_at) values (?, ?, ?, ?, ?, ?)",
        [key, kind, canonical_id, jurisdiction, court, now or now_iso()],
    )
    return key


def write_article_legal(
    db: sqlite_utils.Database,
    article_id: str,
    mentions: list[LegalMention],
    deadlines: list[Deadline],
    now: str,
) -> None:
    """Replace an article's mentions, and record the deadlines its sentences state."""
    db.execute("delete from article_legal_objects where article_id = ?", [article_id])
    for m in mentions:
        key = ensure_object(db, m.kind, m.id, m.jurisdiction, m.court, now)
        db.execute(
            "insert or ignore into article_legal_objects (article_id, object_key, text, "
            "span_start, span_end) values (?, ?, ?, ?, ?)",
            [article_id, key, m.text, m.start, m.end],
        )
    for deadline in deadlines:
        record_deadline(db, deadline, now)


def record_deadline(db: sqlite_utils.Database, d: Deadline, now: str | None = None) -> str:
    """Store a deadline. Returns "new", "replaced", "confirmed", "same" or "older".

    A date for the same object and kind replaces the stored one when its source ranks
    higher (api > curated > article), or as high and it was stated later (an official
    API's latest answer always stands: it is the record as it is now); the replaced
    date goes to `deadline_history`. An earlier statement (an article from before the
    extension, crawled late) changes nothing. The same date from a higher-ranked source
    takes over the row's source and evidence ("confirmed"), with no history row."""
    now = now or now_iso()
    key = ensure_object(db, d.object_kind, d.object_id, now=now)
    row = db.execute(
        "select id, date, source, as_of, time_zone, evidence, recorded_at from deadlines "
        "where object_key = ? and kind = ? and label = ?",
        [key, d.kind, d.label],
    ).fetchone()
    values = [d.date, d.time_zone, d.source, d.evidence, d.as_of, now]
    if row is None:
        db.execute(
            "insert into deadlines (object_key, kind, label, date, time_zone, source, "
            "evidence, as_of, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [key, d.kind, d.label, *values],
        )
        return "new"
    deadline_id, old_date, old_source, old_as_of = row[0], row[1], row[2], row[3]
    old_rank = SOURCE_RANK.get(old_source.split(":", 1)[0], 0)
    if old_date == d.date:
        if d.rank <= old_rank:
            return "same"
        # The official record confirms what an article said: it becomes the source.
        db.execute(
            "update deadlines set time_zone = ?, source = ?, evidence = ?, as_of = ?, "
            "recorded_at = ? where id = ?",
            [*values[1:], deadline_id],
        )
        return "confirmed"
    official_again = d.rank == old_rank == SOURCE_RANK["api"]  # the record as it is now
    if not official_again and (d.rank, d.as_of or "") <= (old_rank, old_as_of or ""):
        return "older"  # a tie keeps the stored date: a re-crawl must not flip it back
    db.execute(
        "insert into deadline_history (deadline_id, object_key, kind, label, date, time_zone, "
        "source, evidence, as_of, recorded_at, replaced_at) values (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?)",
        [
            deadline_id,
            key,
            d.kind,
            d.label,
            old_date,
            row[4],
            old_source,
            row[5],
            old_as_of,
            row[6],
            now,
        ],  # fmt: skip
    )
    db.execute(
        "update deadlines set date = ?, time_zone = ?, source = ?, evidence = ?, as_of = ?, "
        "recorded_at = ? where id = ?",
        [*values, deadline_id],
    )
    return "replaced"


def update_object(db: sqlite_utils.Database, key: str, fields: dict[str, Any]) -> None:
    """Set what an official record says of an object (title, status, URL, fetched_at...)."""
    allowed = {"title", "jurisdiction", "court_or_agency", "status", "official_url"}
    allowed |= {"fetched_at", "resolve_note", "same_as"}
    columns = [c for c in fields if c in allowed]
    if columns:
        db.execute(
            f"update legal_objects set {', '.join(f'[{c}] = ?' for c in columns)} where key = ?",
            [fields[c] for c in columns] + [key],
        )
