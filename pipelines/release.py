"""`aitrack release`: a fixed, citable version of the database (issue 20).

A release folder holds a consistent snapshot of the database (SQLite's backup API: one
read transaction, so a crawl may keep committing while it is taken and the copy is the
database as of one instant), CSV exports of the main tables, a CITATION text and a
manifest.json with the schema version, row counts, the time window, aitrack's version
and the sha256 of every file. It is built in a hidden folder next to the target and
renamed into place only when complete: nothing half-written is ever at `out`.

`with_text=False` leaves out article bodies (in the snapshot, its search index and the
CSV files) because the text belongs to its publishers; URLs, metadata, tags with their
evidence and entities stay. Alert subscriptions and the ledger are emptied in every
release: what journalists follow is theirs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pipelines.dates import now_iso

MAIN_TABLES = (
    "sources",
    "crawl_runs",
    "articles",
    "article_sources",
    "article_revisions",
    "topics",
    "article_topics",
    "entities",
    "article_entities",
    "stories",
    "legal_objects",
    "article_legal_objects",
    "deadlines",
    "deadline_history",
)
TEXT_COLUMNS = {"articles": "body", "article_revisions": "body"}
PRIVATE_TABLES = ("alert_deliveries", "alert_subscriptions")
SNAPSHOT = "aitrack.db"


class ReleaseError(Exception):
    """The release cannot be made; the message says why in one line."""


@dataclass
class Release:
    path: Path
    manifest: dict[str, Any]


def make_release(db_path: str | Path, out: str | Path, with_text: bool = True) -> Release:
    """Write a release of db_path to the folder `out` (which must not hold anything)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReleaseError(f"{out} already exists and is not an empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        counts, window, schema = _snapshot(Path(db_path), partial / SNAPSHOT, with_text)
        _export_csv(partial / SNAPSHOT, partial / "csv", with_text)
        manifest: dict[str, Any] = {
            "name": "aitrack database release",
            "created_at": now_iso(),
            "aitrack_version": aitrack_version(),
            "schema_version": schema,
            "with_text": with_text,
            "window": window,
            "counts": counts,
        }
        (partial / "CITATION").write_text(citation(manifest), encoding="utf-8")
        manifest["files"] = {
            path.relative_to(partial).as_posix(): {
                "sha256": sha256(path),
                "bytes": path.stat().st_size,
            }
            for path in sorted(partial.rglob("*"))
            if path.is_file()
        }
        (partial / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if out.exists():
            out.rmdir()  # empty, checked above
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Release(out, manifest)


def _snapshot(
    source: Path, target: Path, with_text: bool
) -> tuple[dict[str, int], dict[str, Any], dict[str, Any]]:
    """Copy the database as of one instant; then counts, window and schema from the copy."""
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise ReleaseError(f"cannot open {source}: {exc}") from None
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: one read transaction, whatever commits meanwhile
    finally:
        src.close()
    try:
        dst.execute("pragma journal_mode = delete")  # one self-contained file
        dst.execute("pragma secure_delete = on")  # what is deleted is zeroed, not just freed
        with dst:
            for table in PRIVATE_TABLES:
                if _has_table(dst, table):
                    dst.execute(f"delete from {table}")
        if not with_text:
            _remove_text(dst)
        check = dst.execute("pragma integrity_check").fetchone()[0]
        if check != "ok":
            raise ReleaseError(f"the snapshot failed its integrity check: {check}")
        counts = {t: dst.execute(f"select count(*) from {t}").fetchone()[0] for t in MAIN_TABLES}
        row = dst.execute(
            "select min(published_day), max(published_day), min(first_seen_at), "
            "max(first_seen_at) from articles"
        ).fetchone()
        names = ("published_from", "published_to", "first_seen_from", "first_seen_to")
        window = dict(zip(names, row, strict=True))
        migrations = [
            r[0]
            for r in dst.execute(
                "select name from _sqlite_migrations where migration_set = 'aitrack' order by id"
            )
        ]
        schema = {"migrations": len(migrations), "latest": migrations[-1] if migrations else None}
    finally:
        dst.close()
    return counts, window, schema


def _remove_text(conn: sqlite3.Connection) -> None:
    """Empty every body, then rebuild the search indexes from what is left (titles and
    summaries) and compact the file, so no page keeps the text. The articles' triggers
    are set aside meanwhile: re-indexing row by row took twice as long as the rebuild."""
    triggers = conn.execute(
        "select name, sql from sqlite_master where type = 'trigger' and tbl_name = 'articles'"
    ).fetchall()
    indexes = [
        name
        for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table' and name in "
            "('articles_fts', 'articles_fts_words')"
        )
    ]
    with conn:
        for name, _ in triggers:
            conn.execute(f"drop trigger [{name}]")
        conn.execute("update articles set body = ''")
        conn.execute("update article_revisions set body = null")
        for name in indexes:
            conn.execute(f"insert into [{name}] ([{name}]) values ('rebuild')")
        for _, sql in triggers:
            conn.execute(sql)
    conn.execute("vacuum")


def _export_csv(snapshot: Path, folder: Path, with_text: bool) -> None:
    folder.mkdir()
    conn = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        for table in MAIN_TABLES:
            columns = [r[1] for r in conn.execute(f"pragma table_info({table})")]
            if not with_text:
                columns = [c for c in columns if c != TEXT_COLUMNS.get(table)]
            cursor = conn.execute(
                f"select {', '.join(f'[{c}]' for c in columns)} from {table} order by rowid"
            )
            with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                while rows := cursor.fetchmany(1000):
                    writer.writerows(rows)
    finally:
        conn.close()


def citation(manifest: dict[str, Any]) -> str:
    counts, window = manifest["counts"], manifest["window"]
    text = "with article texts" if manifest["with_text"] else "without article texts"
    return (
        "To cite this release of the aitrack database:\n\n"
        f"  aitrack contributors ({manifest['created_at'][:4]}). aitrack: a tracker of news "
        "about AI policy, AI lawsuits and AI labor deals. Database release of "
        f"{manifest['created_at']}, aitrack {manifest['aitrack_version']}, schema "
        f"{manifest['schema_version']['latest']}. {counts['articles']} articles from "
        f"{counts['sources']} sources, published {window['published_from']} to "
        f"{window['published_to']}, {text}.\n\n"
        "manifest.json lists every file of the release with its sha256. Articles remain "
        "the work of their publishers: cite the original article (articles.url) when "
        "quoting it.\n"
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def aitrack_version() -> str:
    try:
        return version("aitrack")
    except PackageNotFoundError:
        return "unknown"


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    query = "select 1 from sqlite_master where type = 'table' and name = ?"
    return conn.execute(query, [name]).fetchone() is not None
