"""The site's own search and listing pages: /search, /topic/<slug>, /entity/<name> and
/jurisdiction/<code>, each as HTML, .json and .atom.

The searching itself is pipelines/store/search.py (plain SQL over the store, run in
Datasette's reader thread under the site's time limit); this file turns its answers into
pages and feeds. Whatever a person types is searched: nothing here answers 400.
Crawled text reaches the templates as plain strings (Jinja escapes them) or, for
snippets, through `snippet_html`, which escapes before adding <mark>.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote, urlencode

from datasette import hookimpl
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from pipelines.atom import Entry, atom_time, feed_document, safe_url
from pipelines.names import canonical_entity, jurisdiction_code
from pipelines.store.fts_query import parse
from pipelines.store.search import (
    PER_PAGE,
    SNIPPET_CLOSE,
    SNIPPET_OPEN,
    Filters,
    SearchAnswer,
    search,
)

FORMAT = r"(?P<format>\.json|\.atom)?"
FEED_SIZE = 50
FILTER_ARGS = ("topic", "source", "since", "until", "ai", "jurisdiction")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^/search{FORMAT}$", search_page),
        (rf"^/topic/(?P<slug>[^/]+?){FORMAT}$", topic_page),
        (rf"^/entity/(?P<name>[^/]+?){FORMAT}$", entity_page),
        (rf"^/jurisdiction/(?P<code>[^/]+?){FORMAT}$", jurisdiction_page),
    ]


def snippet_html(snippet: str | None) -> Markup:
    """Escape a snippet, then turn its control-character markers into <mark> tags."""
    text = str(escape(snippet or ""))
    return Markup(text.replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>"))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _filters(request: Any, **fixed: str) -> Filters:
    args = request.args
    date = lambda v: v if v and len(v) <= 10 and v[:4].isdigit() else ""  # noqa: E731
    return Filters(
        topic=fixed.get("topic") or (args.get("topic") or "").strip(),
        source=(args.get("source") or "").strip(),
        since=date(args.get("since")),
        until=date(args.get("until")),
        ai_only=args.get("ai") in ("1", "on", "true"),
        jurisdiction=fixed.get("jurisdiction") or (args.get("jurisdiction") or "").strip(),
        entity_id=fixed.get("entity_id", ""),
    )


async def _run(datasette: Any, request: Any, filters: Filters, per_page: int) -> SearchAnswer:
    db = datasette.get_database()
    typed = request.args.get("q") or ""
    order = request.args.get("order") or "newest"
    page = _int(request.args.get("page"), 1)
    limit = datasette.setting("sql_time_limit_ms")

    def run(conn: Any) -> SearchAnswer:
        with sqlite_timelimit(conn, limit):
            try:
                return search(conn, typed, filters, order=order, page=page, per_page=per_page)
            except sqlite3.OperationalError:  # interrupted at the time limit: say so
                return SearchAnswer(
                    typed=typed,
                    query=parse(typed),
                    order=order,
                    page=1,
                    per_page=per_page,
                    total=0,
                    capped=False,
                    error="This search took too long; add a word or a filter to narrow it.",
                )

    return await db.execute_fn(run)


async def _last_crawl(datasette: Any) -> str:
    db = datasette.get_database()
    row = (await db.execute("select max(finished_at) from crawl_runs")).first()
    return row[0] if row and row[0] else ""


async def _render(
    datasette: Any,
    request: Any,
    fmt: str | None,
    heading: str,
    filters: Filters,
    description: str = "",
    fixed: tuple[str, ...] = (),
) -> Response:
    per_page = FEED_SIZE if fmt == ".atom" else PER_PAGE
    if fmt == ".atom":  # a feed lists a story once, and says who else covered it
        filters = replace(filters, one_per_story=True)
    answer = await _run(datasette, request, filters, per_page)
    path = request.path.rsplit(".", 1)[0] if fmt else request.path
    args = {k: request.args.get(k) for k in request.args if k != "page"}
    title = heading + (f": {answer.typed}" if answer.query.terms else "")
    if fmt == ".atom":
        return _atom(datasette, request, title, answer, await _last_crawl(datasette))
    base = datasette.urls.path(path)

    def url(fmt_: str = "", **changes: Any) -> str:
        merged = {**args, **changes}
        query = urlencode({k: v for k, v in merged.items() if v not in (None, "")})
        return base + fmt_ + (f"?{query}" if query else "")

    nav = {
        "prev": url(page=answer.page - 1) if answer.page > 1 else None,
        "next": url(page=answer.page + 1) if answer.page < answer.pages else None,
    }
    if fmt == ".json":
        return Response.json(
            {
                "query": answer.typed,
                "fts": answer.query.fts() if answer.query.terms else None,
                "order": answer.order,
                "results": [_json_result(datasette, r) for r in answer.results],
                "total": answer.total,
                "total_is_capped": answer.capped,
                "page": answer.page,
                "pages": answer.pages,
                "per_page": answer.per_page,
                "next_url": nav["next"] and nav["next"].replace(base, base + ".json", 1),
                "suggestion": answer.suggestion,
                "error": answer.error,
            }
        )
    db = datasette.get_database()
    topics = [dict(r) for r in (await db.execute("select slug, name from topics order by name"))]
    sources = [dict(r) for r in (await db.execute("select slug, name from sources order by name"))]
    context = {
        "heading": heading,
        "description": description,
        "answer": answer,
        "results": [
            {**r, "snippet_html": snippet_html(r["snippet"]), "url": safe_url(r["url"])}
            for r in answer.results
        ],
        "args": request.args,
        "fixed": fixed,
        "topics": topics,
        "sources": sources,
        "feed_url": url(".atom"),
        "json_url": url(".json"),
        "nav": nav,
        "suggestion_url": answer.suggestion and url(q=answer.suggestion, page=None),
        "newest_url": url(order="newest", page=None),
        "relevance_url": url(order="relevance", page=None),
        "title": title,
        "database": db.name,
    }
    return Response.html(await datasette.render_template("search.html", context, request=request))


def _json_result(datasette: Any, r: dict[str, Any]) -> dict[str, Any]:
    snippet = (r["snippet"] or "").replace(SNIPPET_OPEN, "").replace(SNIPPET_CLOSE, "")
    return {
        "id": r["id"],
        "title": r["title"],
        "url": safe_url(r["url"]),
        "page": datasette.urls.path(f"/article/{r['id']}"),
        "source": r["source_name"],
        "source_slug": r["source"],
        "published_at": r["published_at"],
        "topics": r["topics"],
        "is_ai": bool(r["is_ai"]),
        "snippet": snippet or None,
    }


def coverage(outlets_json: str | None) -> str:
    """ "Covered by 3 outlets: A, B, C. " for a story of several outlets, else ""."""
    outlets = json.loads(outlets_json or "[]")
    return f"Covered by {len(outlets)} outlets: {', '.join(outlets)}. " if len(outlets) > 1 else ""


def _atom(datasette: Any, request: Any, title: str, answer: SearchAnswer, updated: str) -> Response:
    base = request.url.split(request.path, 1)[0]
    entries = [
        Entry(
            id=f"tag:aitrack,2026:article/{r['id']}",
            title=r["title"] or "(untitled)",
            updated=atom_time(r["published_at"], r["first_seen_at"]),
            link=r["url"],
            related=base + datasette.urls.path(f"/article/{r['id']}"),
            author=r["author"] or r["source_name"],
            categories=r["topic_names"],
            content=coverage(r.get("story_outlets")) + (r["summary"] or ""),
        )
        for r in answer.results
    ]
    return Response(
        feed_document(f"aitrack: {title}", request.url, entries, updated=updated),
        content_type="application/atom+xml; charset=utf-8",
    )


async def _not_found(
    datasette: Any, request: Any, what: str, typed: str, known: list[tuple[str, str]]
) -> Response:
    """A 404 that says what exists: the closest names, linked."""
    labels = {label.lower(): (label, href) for label, href in known}
    close = difflib.get_close_matches(typed.lower(), list(labels), n=5, cutoff=0.5)
    suggestions = [labels[c] for c in close] or [labels[k] for k in list(labels)[:10]]
    context = {"what": what, "typed": typed, "suggestions": suggestions, "title": f"No {what}"}
    html = await datasette.render_template("not_found.html", context, request=request)
    return Response.html(html, status=404)


async def search_page(datasette: Any, request: Any) -> Response:
    fmt = request.url_vars.get("format")
    return await _render(datasette, request, fmt, "Search", _filters(request))


async def topic_page(datasette: Any, request: Any) -> Response:
    slug, fmt = unquote(request.url_vars["slug"]), request.url_vars.get("format")
    db = datasette.get_database()
    rows = [dict(r) for r in await db.execute("select slug, name, description from topics")]
    topic = next((r for r in rows if r["slug"] == slug.lower()), None)
    if topic is None:
        known = [(r["name"], datasette.urls.path(f"/topic/{r['slug']}")) for r in rows]
        known += [(r["slug"], datasette.urls.path(f"/topic/{r['slug']}")) for r in rows]
        return await _not_found(datasette, request, "topic", slug, known)
    filters = _filters(request, topic=topic["slug"])
    heading = f"Topic: {topic['name']}"
    return await _render(
        datasette, request, fmt, heading, filters, topic["description"] or "", ("topic",)
    )


async def entity_page(datasette: Any, request: Any) -> Response:
    typed, fmt = unquote(request.url_vars["name"]), request.url_vars.get("format")
    db = datasette.get_database()
    row = (
        await db.execute(
            "select id, kind, name from entities where name = ? collate nocase limit 1",
            [canonical_entity(typed)],
        )
    ).first()
    if row is None:
        names = await db.execute("select name from entities order by name limit 20000")
        known = [(r[0], datasette.urls.path(f"/entity/{quote(r[0])}")) for r in names]
        return await _not_found(datasette, request, "entity", typed, known)
    filters = _filters(request, entity_id=row["id"])
    heading = f"{row['name']}"
    return await _render(
        datasette, request, fmt, heading, filters, f"Articles naming this {row['kind']}"
    )


async def jurisdiction_page(datasette: Any, request: Any) -> Response:
    typed, fmt = unquote(request.url_vars["code"]), request.url_vars.get("format")
    db = datasette.get_database()
    code, name = jurisdiction_code(typed), canonical_entity(typed)
    codes = [r[0] for r in await db.execute("select distinct jurisdiction from sources")]
    named = (
        await db.execute(
            "select name from entities where kind = 'jurisdiction' and name = ? collate nocase",
            [name],
        )
    ).first()
    if code not in codes and not any(c.startswith(code + "-") for c in codes if c) and not named:
        rows = await db.execute("select name from entities where kind = 'jurisdiction'")
        known = [(c, datasette.urls.path(f"/jurisdiction/{c}")) for c in codes if c]
        known += [(r[0], datasette.urls.path(f"/jurisdiction/{quote(r[0])}")) for r in rows]
        return await _not_found(datasette, request, "jurisdiction", typed, known)
    filters = _filters(request, jurisdiction=typed)
    label = named[0] if named else name
    heading = f"Jurisdiction: {label}" + (f" ({code})" if code != label.upper() else "")
    description = "Articles from its sources (and its parts', e.g. US states) or naming it"
    return await _render(datasette, request, fmt, heading, filters, description, ("jurisdiction",))
