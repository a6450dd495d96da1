"""The legal pages on the demo database (issue 18), through Datasette's test client:
/calendar by week with filters, a valid iCalendar feed (RFC 5545) and Atom, the object
page, and the canned queries. The demo's deadlines come from its local API fixtures."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
import sqlite_utils
from datasette.app import Datasette

from tests.test_site import make_datasette


@pytest.fixture(scope="module")
def legal_site(demo_db: Path) -> Datasette:
    return make_datasette(demo_db)


def test_the_demo_has_legal_objects_and_api_deadlines(demo_db: Path) -> None:
    db = sqlite_utils.Database(demo_db)
    assert db["legal_objects"].count >= 10 and db["article_legal_objects"].count >= 10
    from_apis = db.execute("select count(*) from deadlines where source like 'api:%'").fetchone()[0]
    assert from_apis >= 3
    # Regulations.gov's UTC end date became the Eastern day before.
    row = db.execute(
        "select date, evidence from deadlines where object_key = 'reg_docket:BIS-2024-0047'"
    ).fetchone()
    assert row[0] == "2024-10-11" and "2024-10-12T03:59:59Z" in row[1]


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


async def test_calendar_ics_is_valid_rfc5545(legal_site, demo_db: Path) -> None:
    response = await legal_site.client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends in CRLF
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line  # folded at 75 octets
    lines = unfold(response.text)
    events = response.text.count("BEGIN:VEVENT")
    total = sqlite_utils.Database(demo_db)["deadlines"].count
    assert events == total == response.text.count("END:VEVENT")
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(uids) == len(set(uids)) == events
    assert len([line for line in lines if line.startswith("DTSTAMP:")]) == events
    assert all(re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", line) for line in lines if "DTSTAMP" in line)
    assert {"VERSION:2.0", "PRODID:-//aitrack//legal deadlines//EN"} <= set(lines)
    starts = [line for line in lines if line.startswith("DTSTART;VALUE=DATE:")]
    assert "DTSTART;VALUE=DATE:20241011" in starts


async def test_calendar_has_per_topic_variants_and_filters(legal_site) -> None:
    everything = (await legal_site.client.get("/calendar.ics")).text.count("BEGIN:VEVENT")
    regulation = await legal_site.client.get("/calendar/topic/regulation.ics")
    assert regulation.status_code == 200
    count = regulation.text.count("BEGIN:VEVENT")
    assert 0 < count <= everything
    labor = (await legal_site.client.get("/calendar/topic/labor.ics")).text
    assert labor.count("BEGIN:VEVENT") < everything
    eu = (await legal_site.client.get("/calendar.ics?jurisdiction=EU")).text
    assert "AI Act" in eu or "artificial intelligence" in eu.lower()
    assert "BIS" not in eu
    effective = (await legal_site.client.get("/calendar.json?kind=effective")).json()
    assert effective["deadlines"] and {d["kind"] for d in effective["deadlines"]} == {"effective"}


async def test_calendar_page_lists_upcoming_by_week_and_past_on_request(legal_site) -> None:
    page = await legal_site.client.get("/calendar")
    assert page.status_code == 200
    assert "Week of" in page.text  # the AI Act's 2027 stage is still ahead
    assert "2027-08-02" in page.text and "2024-10-11" not in page.text
    past = await legal_site.client.get("/calendar?past=1")
    assert "2024-10-11" in past.text
    feed = feedparser.parse((await legal_site.client.get("/calendar.atom?past=1")).content)
    assert feed.bozo == 0 and feed.entries


async def test_object_page_shows_record_articles_and_timeline(legal_site) -> None:
    page = await legal_site.client.get("/object/fr_document/2024-20529")
    assert page.status_code == 200
    text = page.text
    assert "Establishment of Reporting Requirements" in text
    assert "comments_close_on: 2024-10-11" in text  # the API's evidence in the timeline
    assert "/article/" in text and "reg_docket:BIS-2024-0047" in text
    # An id with slashes and parentheses works, quoted or not.
    ai_act = await legal_site.client.get(f"/object/celex/{quote('32024R1689')}")
    assert ai_act.status_code == 200 and "Art. 113(c)" in ai_act.text
    for path in (
        "/object/eu_procedure/2021/0106(COD)",
        "/object/eu_procedure/" + quote("2021/0106(COD)", safe=""),
        "/object/state_bill/" + quote("CA SB 1047"),
    ):
        assert (await legal_site.client.get(path)).status_code == 200, path
    assert 'href="/object/eu_procedure/2021/0106(COD)"' in ai_act.text
    missing = await legal_site.client.get("/object/celex/39999R9999")
    assert missing.status_code == 404


async def test_canned_queries_cases_and_rules_open_for_comment(legal_site) -> None:
    cases = (await legal_site.client.get("/aitrack/cases.json?_shape=array")).json()
    assert any(r["canonical_id"] == "Andersen v. Stability AI" for r in cases)
    page = (await legal_site.client.get("/aitrack/cases")).text
    assert '<a href="/object/case/Andersen%20v.%20Stability%20AI">' in page
    open_rules = (
        await legal_site.client.get(
            "/aitrack/rules_open_for_comment.json?_shape=array&as_of=2024-09-15"
        )
    ).json()
    assert {r["canonical_id"] for r in open_rules} >= {"2024-20529", "BIS-2024-0047"}
    later = (
        await legal_site.client.get(
            "/aitrack/rules_open_for_comment.json?_shape=array&as_of=2024-10-12"
        )
    ).json()
    assert "2024-20529" not in {r["canonical_id"] for r in later}
