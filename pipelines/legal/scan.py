"""Recognise the legal objects of articles already stored (a database from before
issue 18, or after the recognisers changed): `aitrack legal-resolve --scan`."""

from __future__ import annotations

import sqlite_utils

from pipelines.dates import now_iso
from pipelines.legal.article import article_legal
from pipelines.store.legal import write_article_legal


def scan_articles(db: sqlite_utils.Database, batch: int = 200) -> int:
    """Replace every stored article's mentions (and add the deadlines its sentences state),
    one transaction per batch; returns the number of articles read. Re-running changes
    nothing: mentions are replaced, deadlines already known are "same"."""
    done, last = 0, ""
    while True:
        rows = db.execute(
            "select id, url, title, body, published_day from articles where id > ? "
            "order by id limit ?",
            [last, batch],
        ).fetchall()
        if not rows:
            return done
        now = now_iso()
        with db.conn:
            for article_id, url, title, body, published in rows:
                mentions, deadlines = article_legal(url or "", title, body or "", published)
                write_article_legal(db, article_id, mentions, deadlines, now)
        done += len(rows)
        last = rows[-1][0]
