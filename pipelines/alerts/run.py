"""`aitrack alerts`: each subscription's new matches, one digest, then the ledger.

Order of a delivery: find the undelivered matches, send one digest, and only once the
channel has accepted it write every article of it to the ledger in one transaction. A
failed send writes nothing there, so the next run finds the same matches again (nothing
is skipped); a sent one is in the ledger, so the next run does not find it (nothing is
sent twice). Were the process killed between the send and the commit, the next run would
send that digest once more: webhooks carry the same delivery id then, to be ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.alerts import channels
from pipelines.alerts.config import AlertsConfig, Subscription
from pipelines.alerts.digest import StoryLine, digest_text, story_lines
from pipelines.alerts.match import MAX_PER_RUN, NotFollowable, delivered_stories, new_matches
from pipelines.atom import Entry, atom_time
from pipelines.dates import now_iso
from pipelines.store.schema import open_db

FEED_ENTRIES = 100  # stories an Atom subscription's file keeps
# A run reads the articles first stored since the subscription's last complete delivery,
# less this margin: an article is stamped first_seen_at when its page is processed and
# committed a little later (seconds; at worst a crawl's length), and the ledger drops the
# overlap. Older articles were all delivered before, so they need not be read again.
CATCH_UP_MARGIN = timedelta(days=1)


@dataclass
class Outcome:
    name: str
    channel: str
    stories: int = 0
    articles: int = 0
    error: str | None = None
    note: str = ""

    def line(self) -> str:
        if self.error:
            return (
                f"aitrack: alert {self.name} failed ({self.channel}): {self.error}; "
                "retried next run"
            )
        if self.note:
            return f"alert {self.name}: {self.note}"
        return (
            f"alert {self.name}: sent {self.stories} stories ({self.articles} articles) "
            f"by {self.channel}"
        )


@dataclass
class AlertsReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(o.error for o in self.outcomes) else 0


def run_alerts(
    db_path: str | Path,
    config: AlertsConfig,
    backfill: bool = False,
    env: Mapping[str, str] | None = None,
) -> AlertsReport:
    """Deliver every subscription's new matches; one outcome per subscription."""
    env = os.environ if env is None else env
    db = open_db(db_path)
    conn = db.conn
    conn.row_factory = sqlite3.Row
    report = AlertsReport()
    try:
        for sub in config.subscriptions:
            report.outcomes.append(_deliver(conn, config, sub, backfill, env))
    finally:
        db.close()
    return report


def _deliver(
    conn: sqlite3.Connection,
    config: AlertsConfig,
    sub: Subscription,
    backfill: bool,
    env: Mapping[str, str],
) -> Outcome:
    outcome = Outcome(sub.name, sub.channel)
    now = now_iso()
    since, new = _start(conn, sub, backfill)
    try:
        rows = new_matches(conn, sub, since)
        complete = len(rows) < MAX_PER_RUN  # else the rest waits for the next run
    except NotFollowable as exc:
        outcome.note = f"nothing to follow: {exc}"
        return outcome
    except sqlite3.OperationalError as exc:
        outcome.error = f"cannot search: {exc}"
        return _record_failure(conn, sub, outcome, now)
    if not rows:
        outcome.note = "nothing new" if not new else "starts now (no backfill)"
        conn.execute(
            "update alert_subscriptions set last_run_at = ?, caught_up_at = ? where name = ?",
            [now, now, sub.name],
        )
        conn.commit()
        return outcome
    already = delivered_stories(conn, sub, list({str(r["story"] or r["id"]) for r in rows}))
    lines = story_lines(rows, config.site)
    fresh = [line for line in lines if line.story not in already]
    try:
        if fresh:
            _send(conn, config, sub, fresh, env)
    except channels.DeliveryError as exc:
        outcome.error = str(exc)
        return _record_failure(conn, sub, outcome, now)
    with conn:  # the whole digest, copies of stories sent before included, or nothing
        conn.executemany(
            "insert or ignore into alert_deliveries (subscription, article_id, story, channel, "
            "delivered_at) values (?, ?, ?, ?, ?)",
            [
                (sub.name, copy["id"], line.story, sub.channel, now)
                for line in lines
                for copy in line.copies
            ],
        )
        conn.execute(
            "update alert_subscriptions set last_run_at = ?, last_sent_at = coalesce(?, "
            "last_sent_at), caught_up_at = coalesce(?, caught_up_at), "
            "consecutive_failures = 0 where name = ?",
            [now, now if fresh else None, now if complete else None, sub.name],
        )
    outcome.stories, outcome.articles = len(fresh), len(rows)
    if not fresh:
        outcome.note = f"{len(rows)} new copies of stories already sent"
    return outcome


def _start(conn: sqlite3.Connection, sub: Subscription, backfill: bool) -> tuple[str, bool]:
    """When the subscription's matches begin: its recorded start, or now for a new one
    (the beginning of the database with --backfill); and whether it is new."""
    row = conn.execute(
        "select started_at, caught_up_at from alert_subscriptions where name = ?", [sub.name]
    ).fetchone()
    if row is not None:
        since = row[0]
        if row[1]:
            margin = datetime.fromisoformat(row[1]) - CATCH_UP_MARGIN
            since = max(since, margin.isoformat(timespec="seconds"))
        conn.execute(
            "update alert_subscriptions set follow = ?, channel = ? where name = ?",
            [sub.follow, sub.channel, sub.name],
        )
        conn.commit()
        return since, False
    # To the microsecond, while first_seen_at has whole seconds: an article stored in the
    # second the subscription starts (by the crawl that `crawl --alerts` just ran) sorts
    # before it, so a new subscription never opens with what was already there.
    started = "" if backfill else datetime.now(UTC).isoformat(timespec="microseconds")
    with conn:
        conn.execute(
            "insert into alert_subscriptions (name, follow, channel, started_at, "
            "consecutive_failures) values (?, ?, ?, ?, 0)",
            [sub.name, sub.follow, sub.channel, started],
        )
    return started, True


def _send(
    conn: sqlite3.Connection,
    config: AlertsConfig,
    sub: Subscription,
    lines: list[StoryLine],
    env: Mapping[str, str],
) -> None:
    subject = f"aitrack: {len(lines)} new stor{'y' if len(lines) == 1 else 'ies'} for {sub.name}"
    if sub.channel == "email":
        channels.send_email(sub, subject, digest_text(sub.name, sub.follow, lines), env)
    elif sub.channel == "webhook":
        ids = sorted(c["id"] for line in lines for c in line.copies)
        delivery = hashlib.sha256(f"{sub.name}\n{' '.join(ids)}".encode()).hexdigest()[:32]
        body = {
            "subscription": sub.name,
            "follow": {"kind": sub.kind, "value": sub.value},
            "delivery": delivery,
            "sent_at": now_iso(),
            "stories": [line.as_dict() for line in lines],
        }
        channels.send_webhook(sub, json.dumps(body, ensure_ascii=False).encode(), delivery, env)
    else:
        entries = [_entry(line) for line in lines] + _earlier_entries(conn, config, sub)
        channels.write_atom(sub, f"aitrack: {sub.name}", entries[:FEED_ENTRIES])


def _entry(line: StoryLine) -> Entry:
    return Entry(
        id=f"tag:aitrack,2026:article/{line.article_id}",
        title=line.headline,
        updated=atom_time(line.date or None, None),
        link=line.url,
        related=line.link,
        author=line.source,
        categories=[(t["topic"], t["topic"]) for t in line.topics],
        content=line.text(),
    )


def _earlier_entries(
    conn: sqlite3.Connection, config: AlertsConfig, sub: Subscription
) -> list[Entry]:
    """The stories delivered before, newest first, so that the file keeps them."""
    rows = conn.execute(
        "select a.id, a.title, a.url, coalesce(s.name, a.source) as source_name, "
        "a.published_day, a.published_at, a.first_seen_at from alert_deliveries d "
        "join articles a on a.id = d.article_id left join sources s on s.slug = a.source "
        "where d.subscription = ? and d.article_id = (select min(d2.article_id) from "
        "alert_deliveries d2 where d2.subscription = d.subscription and d2.story = d.story) "
        "order by d.delivered_at desc, a.id limit ?",
        [sub.name, FEED_ENTRIES],
    ).fetchall()
    return [
        Entry(
            id=f"tag:aitrack,2026:article/{r['id']}",
            title=r["title"] or "(untitled)",
            updated=atom_time(r["published_at"], r["first_seen_at"]),
            link=r["url"],
            related=f"{config.site}/article/{r['id']}",
            author=r["source_name"],
        )
        for r in rows
    ]


def _record_failure(
    conn: sqlite3.Connection, sub: Subscription, outcome: Outcome, now: str
) -> Outcome:
    with conn:
        conn.execute(
            "update alert_subscriptions set last_run_at = ?, last_error_at = ?, last_error = ?, "
            "consecutive_failures = consecutive_failures + 1 where name = ?",
            [now, now, outcome.error, sub.name],
        )
    return outcome
