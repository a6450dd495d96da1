"""Is this file an aitrack database? Asked before any command opens one.

sqlite_utils creates what it is asked to write, so without this check `aitrack retag
--db other.db` added our tables to any SQLite file, and `serve` published an empty site
for a path with a typo. The file is opened read-only, so asking never changes it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

# pipelines/store.py applies its schema as sqlite_utils Migrations("aitrack"), which
# records each step in this table under that name.
MIGRATIONS_TABLE = "_sqlite_migrations"
MIGRATION_SET = "aitrack"


def why_not_aitrack_db(path: str | Path, may_create: bool = False) -> str | None:
    """Why `path` is not an aitrack database, or None if it is one.

    With `may_create` (crawl, demo, reextract: commands that build the database), a
    missing file, an empty file or a SQLite file with no tables at all is acceptable:
    there is nothing in it to damage. A directory, a file that is not SQLite, or a SQLite
    file holding someone else's tables never is.
    """
    path = Path(path)
    if path.is_dir():
        return "is a directory, not a database file"
    if not path.exists():
        return None if may_create else "no such file"
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot read it: {exc.strerror}"
    if size == 0:
        return None if may_create else "empty file, not an aitrack database"
    try:
        tables = _tables(path)
    except sqlite3.DatabaseError as exc:  # also OperationalError: unreadable, locked
        return f"not a readable SQLite database ({exc})"
    if not tables and may_create:
        return None
    if MIGRATIONS_TABLE not in tables or "articles" not in tables:
        shown = ", ".join(sorted(tables)[:5]) or "none"
        return f"not an aitrack database (its tables: {shown})"
    return None


def _tables(path: Path) -> set[str]:
    try:
        return _read_tables(path, "mode=ro")
    except sqlite3.OperationalError:
        # A WAL database on read-only media: even a read-only connection wants to create
        # the -shm file. Nothing can write there, so reading it as immutable is safe.
        return _read_tables(path, "mode=ro&immutable=1")


def _read_tables(path: Path, options: str) -> set[str]:
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?{options}", uri=True)
    try:
        rows = conn.execute("select name from sqlite_master where type = 'table'")
        names = {row[0] for row in rows}
        if MIGRATIONS_TABLE in names:
            ours = conn.execute(
                f"select count(*) from {MIGRATIONS_TABLE} where migration_set = ?",
                [MIGRATION_SET],
            ).fetchone()[0]
            if not ours:
                names.discard(MIGRATIONS_TABLE)  # someone else's sqlite_utils migrations
        return names
    finally:
        conn.close()
