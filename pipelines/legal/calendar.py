"""The calendar of deadlines: the query behind /calendar, weeks, and iCalendar text.

Pure functions over a SQLite connection or rows: the Datasette plugin
(data/datasette/plugins/aitrack_legal.py) only turns them into pages and feeds."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

KIND_NAMES = {
    "comments_close": "Comments close",
    "reply_comments": "Reply comments due",
    "effective": "Takes effect",
    "compliance": "Compliance date",
    "hearing": "Hearing",
    "application": "Applies",
}


@dataclass(frozen=True)
class CalendarFilters:
    kind: str = ""  # a deadline kind
    jurisdiction: str = ""  # US matches US and US-CA; EU matches EU
    topic: str = ""  # a topic of an article that names the object
    since: str = ""  # ISO day; "" for no lower bound
    until: str = ""


def deadlines(conn: sqlite3.Connection, f: CalendarFilters, limit: int = 500) -> list[dict]:
    """Deadlines with their object, in date order, filtered."""
    where, params = [], []
    if f.kind:
        where.append("d.kind = ?")
        params.append(f.kind)
    if f.jurisdiction:
        where.append("(o.jurisdiction = ? or o.jurisdiction like ?)")
        params += [f.jurisdiction, f.jurisdiction + "-%"]
    if f.topic:
        where.append(
            "exists (select 1 from article_legal_objects l join article_topics t "
            "on t.article_id = l.article_id where t.topic = ? and (l.object_key = o.key "
            "or l.object_key in (select value from json_each(coalesce(o.same_as, '[]')))))"
        )
        params.append(f.topic)
    if f.since:
        where.append("substr(d.date, 1, 10) >= ?")
        params.append(f.since)
    if f.until:
        where.append("substr(d.date, 1, 10) <= ?")
        params.append(f.until)
    sql = (
        "select d.id, d.object_key, d.kind, d.label, d.date, d.time_zone, d.source, "
        "d.evidence, d.recorded_at, o.kind as object_kind, o.canonical_id, o.title, "
        "o.jurisdiction, o.court_or_agency, o.official_url, "
        "(select count(*) from deadline_history h where h.deadline_id = d.id) as changes "
        "from deadlines d join legal_objects o on o.key = d.object_key"
        + (" where " + " and ".join(where) if where else "")
        + " order by d.date, d.id limit ?"
    )
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(sql, [*params, limit]).fetchall()]


def week_of(day: str) -> str:
    """The Monday (ISO day) of the week a deadline falls in."""
    d = date.fromisoformat(day[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def by_week(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    weeks: dict[str, list[dict]] = {}
    for row in rows:
        weeks.setdefault(week_of(row["date"]), []).append(row)
    return list(weeks.items())


def summary(row: dict) -> str:
    """One line for a deadline: what happens, to what."""
    what = KIND_NAMES.get(row["kind"], row["kind"])
    name = row.get("title") or f"{row['object_kind']} {row['canonical_id']}"
    label = f" ({row['label']})" if row.get("label") else ""
    return f"{what}{label}: {name}"


# -- iCalendar (RFC 5545) ---------------------------------------------------------------------


def _escape(text: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1): CRLF and a space before each
    continuation, never splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # a continuation's leading space is one of its 75
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def ics_document(
    rows: list[dict[str, Any]], name: str, dtstamp: str, host: str, page_url: str = ""
) -> str:
    """A VCALENDAR of all-day events, one per deadline. `dtstamp` is a UTC instant
    (ISO); UIDs are stable per deadline row, so a calendar updates an event when its date
    moves instead of adding another."""
    stamp = dtstamp.replace("-", "").replace(":", "")[:15] + "Z"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//aitrack//legal deadlines//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for row in rows:
        day = date.fromisoformat(row["date"][:10])
        uid = hashlib.sha256(f"{row['object_key']}|{row['kind']}|{row.get('label') or ''}".encode())
        description = row.get("evidence") or ""
        if row.get("source"):
            description += f"\n(source: {row['source']})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid.hexdigest()[:24]}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(summary(row))}",
            f"DESCRIPTION:{_escape(description)}",
            f"CATEGORIES:{_escape(row['kind'])}",
        ]
        if row.get("url"):
            lines.append(f"URL:{row['url']}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
