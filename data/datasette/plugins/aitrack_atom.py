"""Atom feeds for every query that returns `atom_id`, `atom_title` and `atom_updated`.

Our own renderer rather than datasette-atom's: that one answers an empty result (a
search with no matches yet, which a journalist may well subscribe to) with HTTP 500,
titles every feed of one query alike, and has no way to name an entry's author. It was
patched at import time; a renderer of our own needs no patch.

Everything is written through ElementTree, so titles and text from crawled pages are
escaped as XML text and can never become markup.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from datasette import hookimpl
from datasette.utils.asgi import Response

ATOM = "http://www.w3.org/2005/Atom"
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
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", request.url)
    _text(feed, "title", feed_title(datasette, request, database, query_name))
    _text(feed, "updated", max((str(r["atom_updated"]) for r in rows), default=_now()))
    ET.SubElement(feed, f"{{{ATOM}}}link", href=request.url, rel="self")
    ET.SubElement(feed, f"{{{ATOM}}}generator").text = "aitrack"
    base = request.url.split(f"/{database}", 1)[0]
    for row in rows:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", str(row["atom_id"]))
        _text(entry, "title", str(row["atom_title"] or "(untitled)"))
        _text(entry, "updated", str(row["atom_updated"]))
        if "atom_link" in columns and row["atom_link"]:
            ET.SubElement(entry, f"{{{ATOM}}}link", href=str(row["atom_link"]), rel="alternate")
        if "id" in columns and row["id"]:  # our page: why it was tagged, and its coverage
            href = f"{base}/article/{row['id']}"
            ET.SubElement(entry, f"{{{ATOM}}}link", href=href, rel="related")
        if "atom_author_name" in columns and row["atom_author_name"]:
            author = ET.SubElement(entry, f"{{{ATOM}}}author")
            _text(author, "name", str(row["atom_author_name"]))
        if "atom_content" in columns and row["atom_content"]:
            content = _text(entry, "content", str(row["atom_content"]))
            content.set("type", "text")
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        content_type="application/xml; charset=utf-8",
    )


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


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = text
    return element


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
