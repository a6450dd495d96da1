"""Atom feeds for every query that returns `atom_id`, `atom_title` and `atom_updated`.

Our own renderer rather than datasette-atom's: that one answers an empty result (a
search with no matches yet, which a journalist may well subscribe to) with HTTP 500,
titles every feed of one query alike, and has no way to name an entry's author. It was
patched at import time; a renderer of our own needs no patch.

Everything is written through ElementTree, so titles and text from crawled pages are
escaped as XML text and can never become markup.
"""

from __future__ import annotations

import json
import re
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from pipelines.atom import Entry, feed_document

REQUIRED_COLUMNS = {"atom_id", "atom_updated", "atom_title"}
PARAMETER = re.compile(r"(?<![:\w]):(\w+)")  # a named parameter of a canned query


@hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}


def can_render_atom(columns: list[str]) -> bool:
    return REQUIRED_COLUMNS.issubset(columns)


def render_atom(
    datasette: Any,
    request: Any,
    columns: list[str],
    rows: list[Any],
    database: str,
    query_name: str | None,
    data: Any,
) -> Response:
    if not can_render_atom(columns):
        return Response.text(
            "this query has no atom_id, atom_title and atom_updated columns", status=400
        )
    base = request.url.split(f"/{database}", 1)[0]
    entries = [
        Entry(
            id=str(row["atom_id"]),
            title=str(row["atom_title"] or "(untitled)"),
            updated=str(row["atom_updated"]),
            link=row["atom_link"] if "atom_link" in columns else None,
            # our page: why it was tagged, and its coverage
            related=f"{base}/article/{row['id']}" if "id" in columns and row["id"] else None,
            author=_get(row, columns, "atom_author_name"),
            categories=[(t, t) for t in json.loads(_get(row, columns, "topics") or "[]")],
            content=_get(row, columns, "atom_content"),
        )
        for row in rows
    ]
    title = feed_title(datasette, request, database, query_name)
    return Response(
        feed_document(title, request.url, entries),
        content_type="application/xml; charset=utf-8",
    )


def _get(row: Any, columns: list[str], name: str) -> str | None:
    return str(row[name]) if name in columns and row[name] else None


def feed_title(datasette: Any, request: Any, database: str, query_name: str | None) -> str:
    """The canned query's title and the values it was asked for ("Latest articles by
    topic: privacy"), so that two feeds of one query can be told apart in a reader."""
    title = request.args.get("_feed_title")
    if title:
        return title
    query = {}
    if query_name:
        queries = (datasette.metadata(database=database) or {}).get("queries") or {}
        query = queries.get(query_name) or {}
    title = query.get("title") or query_name or "aitrack"
    names = query.get("params") or PARAMETER.findall(query.get("sql") or "")
    values = [request.args.get(name) for name in dict.fromkeys(names) if request.args.get(name)]
    return f"{title}: {', '.join(values)}" if values else title
