"""The stories on the published site (the demo database through Datasette's test client):
one line per story on the front page and in the feeds, and /story/<id>."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
import sqlite_utils
from datasette.app import Datasette

from tests.test_site import make_datasette


@pytest.fixture
def site(site_db: Path) -> Datasette:
    return make_datasette(site_db)


def shared_stories(site_db: Path) -> list[dict]:
    db = sqlite_utils.Database(site_db)
    return list(db.query("select * from stories where outlet_count > 1 order by id"))


async def test_front_page_has_one_line_per_story_with_its_outlets(site, site_db) -> None:
    html = (await site.client.get("/")).text
    latest = html.split('<ul class="stories latest">', 1)[1].split("</ul>", 1)[0]
    for story in shared_stories(site_db):
        outlets = json.loads(story["outlets"])
        line = f'{story["outlet_count"]} outlets</span></a>: <span class="source">'
        assert f'href="/story/{story["id"]}"' in latest, story["title"]
        assert line + ", ".join(o.replace("&", "&amp;") for o in outlets) in latest
        # The story's title appears once, however many outlets carried it.
        assert latest.count(f'/article/{story["original_id"]}"') == 1


async def test_story_page_shows_all_coverage_and_the_differences(site, site_db) -> None:
    db = sqlite_utils.Database(site_db)
    for story in shared_stories(site_db):
        response = await site.client.get(f"/story/{story['id']}")
        assert response.status_code == 200
        members = list(
            db.query("select id, story_relation from articles where story_id = ?", [story["id"]])
        )
        for member in members:
            assert f'id="a-{member["id"]}"' in response.text
        # The original first.
        first = response.text.index('<li class="member')
        assert response.text.index(f'id="a-{story["original_id"]}"', first) - first < 100
        has_copy = any(m["story_relation"] == "copy" for m in members)
        shown = 'class="diff"' in response.text or 'class="identical"' in response.text
        assert shown == has_copy
    assert (await site.client.get("/story/999999999")).status_code == 404


async def test_topic_feed_lists_a_story_once_and_names_its_outlets(site, site_db) -> None:
    db = sqlite_utils.Database(site_db)
    for story in shared_stories(site_db):
        topic = json.loads(story["topics"])[0]
        ids = [
            r[0] for r in db.execute("select id from articles where story_id = ?", [story["id"]])
        ]
        for path in (f"/topic/{topic}.atom", f"/aitrack/topic.atom?topic={topic}"):
            feed = feedparser.parse((await site.client.get(path)).content)
            entries = [e for e in feed.entries if any(i in e.id for i in ids)]
            assert len(entries) == 1, (path, story["title"])
            assert f"Covered by {story['outlet_count']} outlets" in entries[0].summary
