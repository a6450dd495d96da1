"""aitrack's story pages: /story/<id>, all the coverage of one story, the original first,
with side-by-side differences for syndicated copies (pipelines.stories.diff).

Every text from crawled pages is escaped by the template (autoescape); the differences
arrive as (kind, text) pieces and become markup only there.
"""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from pipelines.atom import safe_url
from pipelines.stories.diff import side_by_side

MAX_DIFFS = 10  # copies diffed on one page; the rest are listed


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/story/(?P<story_id>[0-9]{1,18})$", story_page)]


async def story_page(datasette: Any, request: Any) -> Response:
    story_id = int(request.url_vars["story_id"])
    db = datasette.get_database()
    story = (await db.execute("select * from stories where id = ?", [story_id])).first()
    if story is None:
        raise NotFound(f"No story {story_id}")
    story = dict(story)
    story["outlets"] = json.loads(story["outlets"] or "[]")
    story["topics"] = json.loads(story["topics"] or "[]")
    members = [
        dict(r)
        for r in (
            await db.execute(
                "select a.id, a.title, a.url, a.author, a.published_day, a.published_at, "
                "a.body, a.story_relation, a.story_score, a.story_why, a.story_with, "
                "coalesce(s.name, a.source) as source_name from articles a "
                "left join sources s on s.slug = a.source where a.story_id = ? "
                "order by a.id = ? desc, coalesce(a.published_at, a.first_seen_at), a.id",
                [story_id, story["original_id"]],
            )
        ).rows
    ]
    original = members[0] if members else None
    diffs = 0
    for member in members:
        member["link"] = safe_url(member["url"])  # never a javascript: link
        member["diff"] = None
        is_copy = original and member is not original and member["story_relation"] == "copy"
        if is_copy and diffs < MAX_DIFFS:
            member["diff"] = side_by_side(original["body"] or "", member["body"] or "")
            member["identical"] = all(r.kind in ("same", "skipped") for r in member["diff"])
            diffs += 1
    for member in members:
        member.pop("body")  # only the differences are shown
    context = {
        "story": story,
        "members": members,
        "original": original,
        "database": db.name,
    }
    return Response.html(await datasette.render_template("story.html", context, request=request))
