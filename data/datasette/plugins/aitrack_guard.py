"""What the public site promises whoever calls it: bounded work, safe headers, one name.

- **Bounded answers.** Any single value is capped at MAX_VALUE_BYTES by SQLite itself
  (SQLITE_LIMIT_LENGTH: `randomblob(20000000)` fails at once instead of allocating), and
  the rows of one query at MAX_ANSWER_BYTES (a row factory counts them as they are
  fetched and stops the query with an error). Together with Datasette's time limit and
  max_returned_rows, one request can no longer make the server build a gigabyte.
- **Headers.** A Content-Security-Policy (no framing, no plugins, no foreign scripts),
  X-Frame-Options, nosniff and a referrer policy on every response.
- **One name.** The database is served as `aitrack` whatever its file is called, so the
  documented `/aitrack/...` URLs work for `data/demo.db` and `/tmp/ai.db` alike, and
  `/-/databases.json` answers without the server's file paths.
- **SQL functions** for canned queries: `aitrack_fts(text)` (a safe FTS5 query for what
  was typed), `aitrack_entity(text)` and `aitrack_jurisdiction(text)` (names and codes
  as people type them; pipelines/names.py).
"""

from __future__ import annotations

import sqlite3
import weakref
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from pipelines.names import canonical_entity, jurisdiction_code
from pipelines.store.fts_query import to_fts

DATABASE_NAME = "aitrack"
MAX_VALUE_BYTES = 1_000_000  # a long article body is ~100 kB; nothing we store is 1 MB
MAX_ANSWER_BYTES = 8_000_000  # HTML or JSON of this is < 50 MB even escaped 5 times over
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    # Datasette's own pages (the SQL editor, table menus) use inline scripts; crawled
    # text is escaped before it reaches a page, so no script of theirs can be inline.
    "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class AnswerTooLarge(sqlite3.OperationalError):
    pass


def budgeted_row_factory() -> Any:
    """sqlite3.Row, counting each cursor's bytes; past the budget the fetch fails."""
    spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()

    def factory(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> sqlite3.Row:
        size = sum(len(v) if isinstance(v, str | bytes) else 8 for v in values)
        total = spent.get(cursor, 0) + size
        spent[cursor] = total
        if total > MAX_ANSWER_BYTES:
            raise AnswerTooLarge(
                f"answer larger than {MAX_ANSWER_BYTES // 1_000_000} MB: "
                "ask for fewer rows or columns"
            )
        return sqlite3.Row(cursor, values)

    return factory


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str) -> None:
    if database != "_internal":
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.row_factory = budgeted_row_factory()
    conn.create_function("aitrack_fts", 1, to_fts, deterministic=True)
    conn.create_function("aitrack_entity", 1, canonical_entity, deterministic=True)
    conn.create_function("aitrack_jurisdiction", 1, jurisdiction_code, deterministic=True)


@hookimpl
def startup(datasette: Any) -> None:
    """Serve the one database as `aitrack`, whatever its file is called. With several
    databases (someone running plain `datasette` on more files) names are left alone."""
    names = [name for name in datasette.databases if name != "_internal"]
    if len(names) == 1 and names[0] != DATABASE_NAME:
        db = datasette.databases[names[0]]
        datasette.remove_database(names[0])
        datasette.add_database(db, name=DATABASE_NAME)


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def with_headers(scope: dict, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return await app(scope, receive, send)

            async def send_with_headers(message: dict) -> None:
                if message["type"] == "http.response.start":
                    names = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                    message = dict(message, headers=[*message.get("headers", []), *extra])
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers

    return wrap


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    # Registered before Datasette's own routes, so these answer instead of its pages.
    return [(r"^/-/databases(?P<format>\.json)?$", databases_without_paths)]


async def databases_without_paths(datasette: Any, request: Any) -> Response:
    """Datasette's /-/databases.json lists each file's path on the server; this lists
    what a reader may know: names, and that they are read-only files."""
    rows = [
        {"name": db.name, "route": db.route, "is_mutable": db.is_mutable, "hash": db.hash}
        for name, db in datasette.databases.items()
        if name != "_internal"
    ]
    return Response.json(rows)
