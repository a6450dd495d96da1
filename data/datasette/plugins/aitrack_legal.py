"""The legal objects' pages (issue 18): /calendar (HTML, .ics, .atom, .json, and per topic
under /calendar/topic/<slug>), and /object/<kind>/<id>, an object's record, the articles
that name it and its timeline.

The queries and the iCalendar text are pipelines/legal/calendar.py; this file turns them
into responses. Text from crawled pages and APIs reaches templates as plain strings
(Jinja escapes them); only http(s) links are links."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, unquote, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from pipelines.atom import Entry, feed_document, safe_url
from pipelines.legal.calendar import (
    KIND_NAMES,
    CalendarFilters,
    by_week,
    deadlines,
    ics_document,
    summary,
)
from pipelines.legal.mentions import KINDS

CAL_FORMAT = r"(?P<format>\.ics|\.atom|\.json)?"


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^/calendar{CAL_FORMAT}$", calendar_page),
        (rf"^/calendar/topic/(?P<topic>[a-z0-9_-]+){CAL_FORMAT}$", calendar_page),
        (r"^/object/(?P<kind>[a-z_]+)/(?P<id>.+)$", object_page),
    ]


@hookimpl
def render_cell(value: Any, column: str, datasette: Any) -> Markup | None:
    """The canned queries' `object_page` column as a link to the object's page."""
    if column == "object_page" and isinstance(value, str) and value.startswith("/object/"):
        kind, _, canonical_id = value[len("/object/") :].partition("/")
        href = datasette.urls.path(object_path(kind, canonical_id))
        return Markup('<a href="{}">{}</a>').format(href, canonical_id)
    return None


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def object_path(kind: str, canonical_id: str) -> str:
    # Slashes stay (the route takes the rest of the path): ukpga/2023/50, 2021/0106(COD).
    return f"/object/{kind}/{quote(canonical_id, safe='/:()')}"


async def calendar_page(datasette: Any, request: Any) -> Response:
    fmt = request.url_vars.get("format")
    topic = request.url_vars.get("topic") or request.args.get("topic", "")
    past = request.args.get("past") == "1"
    kind = request.args.get("kind", "")
    filters = CalendarFilters(
        kind=kind if kind in KIND_NAMES else "",
        jurisdiction=request.args.get("jurisdiction", "").strip()[:12],
        topic=topic[:60],
        # Feeds carry every date (a calendar keeps its past); the page shows what is next.
        since="" if fmt in (".ics", ".json") else ("" if past else _today()),
        until=_today() if past and not fmt else "",
    )
    db = datasette.get_database()
    rows = await db.execute_fn(lambda conn: deadlines(conn, filters))
    if past and not fmt:
        rows.reverse()  # the most recent first
    base_url = request.url.split(request.path, 1)[0]
    for row in rows:
        row["page"] = datasette.urls.path(object_path(row["object_kind"], row["canonical_id"]))
        row["url"] = base_url + row["page"]
        row["summary"] = summary(row)
        row["official_url"] = safe_url(row["official_url"])
    name = "aitrack: legal deadlines" + (f" ({topic})" if topic else "")
    if fmt == ".ics":
        host = request.host.split(":")[0] or "aitrack"
        text = ics_document(rows, name, datetime.now(UTC).isoformat(), host)
        return Response(text, content_type="text/calendar; charset=utf-8")
    if fmt == ".json":
        keep = ("object_key", "kind", "label", "date", "time_zone", "source", "evidence")
        return Response.json(
            {"deadlines": [{k: r[k] for k in keep} | {"page": r["page"]} for r in rows]}
        )
    if fmt == ".atom":
        entries = [
            Entry(
                id=f"tag:aitrack,2026:deadline/{r['id']}",
                title=f"{r['date'][:10]}: {r['summary']}",
                updated=(r["recorded_at"] or f"{r['date'][:10]}T00:00:00+00:00"),
                link=r["official_url"],
                related=r["url"],
                content=r["evidence"],
            )
            for r in rows
        ]
        return Response(
            feed_document(name, request.url, entries),
            content_type="application/atom+xml; charset=utf-8",
        )
    topics = [dict(r) for r in await db.execute("select slug, name from topics order by name")]
    args = {"kind": filters.kind, "jurisdiction": filters.jurisdiction}
    args = {k: v for k, v in args.items() if v}
    path = f"/calendar/topic/{topic}" if topic else "/calendar"
    context = {
        "title": "Legal calendar" + (f": {topic}" if topic else ""),
        "weeks": [
            (week, date.fromisoformat(week).strftime("%d %b %Y"), items)
            for week, items in by_week(rows)
        ],
        "filters": filters,
        "past": past,
        "kinds": KIND_NAMES,
        "topics": topics,
        "ics_url": datasette.urls.path(path + ".ics") + ("?" + urlencode(args) if args else ""),
        "atom_url": datasette.urls.path(path + ".atom") + ("?" + urlencode(args) if args else ""),
        "past_url": datasette.urls.path(path) + "?" + urlencode({**args, "past": "1"}),
        "upcoming_url": datasette.urls.path(path) + ("?" + urlencode(args) if args else ""),
    }
    html = await datasette.render_template("calendar.html", context, request=request)
    return Response.html(html)


async def object_page(datasette: Any, request: Any) -> Response:
    # Datasette hands the route's groups over still percent-encoded ("CA%20SB%201047").
    kind, canonical_id = request.url_vars["kind"], unquote(request.url_vars["id"])
    key = f"{kind}:{canonical_id}"
    db = datasette.get_database()
    rows = (await db.execute("select * from legal_objects where key = ?", [key])).rows
    if not rows:
        context = {"what": "legal object", "typed": canonical_id, "suggestions": []}
        context["title"] = "Not found"
        html = await datasette.render_template("not_found.html", context, request=request)
        return Response.html(html, status=404)
    record = dict(rows[0])
    record["official_url"] = safe_url(record["official_url"])
    same_as = [k for k in json.loads(record.get("same_as") or "[]") if isinstance(k, str)]
    # Objects that name this one in their own record count as the same object too.
    others = await db.execute(
        "select key from legal_objects where same_as is not null and exists "
        "(select 1 from json_each(same_as) where value = ?)",
        [key],
    )
    same_as += [r[0] for r in others.rows if r[0] not in same_as]
    keys = [key, *same_as]
    marks = ", ".join("?" for _ in keys)
    articles = [
        dict(r)
        for r in (
            await db.execute(
                "select a.id, a.title, a.published_day, a.source, group_concat(distinct l.text) "
                f"as named_as from article_legal_objects l join articles a on a.id = l.article_id "
                f"where l.object_key in ({marks}) group by a.id "
                "order by a.published_day desc limit 200",
                keys,
            )
        ).rows
    ]
    current = [
        dict(r)
        for r in (
            await db.execute(
                f"select * from deadlines where object_key in ({marks}) order by date", keys
            )
        ).rows
    ]
    history = [
        dict(r)
        for r in (
            await db.execute(
                f"select * from deadline_history where object_key in ({marks}) order by date",
                keys,
            )
        ).rows
    ]
    timeline = sorted(
        [(a["published_day"] or "", "article", a["title"] or "(untitled)", a) for a in articles]
        + [(d["date"][:10], "deadline", KIND_NAMES.get(d["kind"], d["kind"]), d) for d in current]
        + [(h["date"][:10], "replaced", KIND_NAMES.get(h["kind"], h["kind"]), h) for h in history],
        key=lambda t: t[0],
    )
    context = {
        "title": record["title"] or f"{kind} {canonical_id}",
        "record": record,
        "kind_description": KINDS.get(kind, ""),
        "same_as": [
            (k, datasette.urls.path(object_path(*k.split(":", 1)))) for k in same_as if ":" in k
        ],
        "articles": articles,
        "deadlines": current,
        "timeline": timeline,
        "kinds": KIND_NAMES,
    }
    html = await datasette.render_template("object.html", context, request=request)
    return Response.html(html)
