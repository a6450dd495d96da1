"""The default catalogue (data/sources.yaml) reads only what its owners permit.

data/robots_forbidden.yaml is a small, cited list of hosts whose robots.txt is known to
refuse aitrack; its rules are read here with the crawl's own robots policy. No default
source may be refused by them unless it is opt-in (`requires_env`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from crawlers import DATA
from crawlers.robots import policy_from_answer
from crawlers.settings import USER_AGENT
from crawlers.sources import load_sources

FORBIDDEN = yaml.safe_load((DATA / "robots_forbidden.yaml").read_text(encoding="utf-8"))["hosts"]
SOURCES = load_sources(DATA / "sources.yaml", env={})


def policy(entry: dict):
    return policy_from_answer(f"https://{entry['host']}/robots.txt", 200, entry["rules"].encode())


@pytest.mark.parametrize("entry", FORBIDDEN, ids=[e["host"] for e in FORBIDDEN])
def test_each_forbidden_host_is_cited_and_its_rules_refuse_us(entry: dict) -> None:
    assert entry["evidence"].strip() and entry["rules"].strip()
    refusal = policy(entry).refusal(f"https://{entry['host']}{entry['path']}", USER_AGENT)
    assert refusal and refusal.startswith("refused by robots.txt: Disallow:")


def test_no_default_source_is_refused_by_a_known_robots_txt() -> None:
    by_host = {e["host"]: policy(e) for e in FORBIDDEN}
    refused = []
    for source in SOURCES:
        for url in source.urls:
            known = by_host.get(urlsplit(url).hostname or "")
            if known and known.refusal(url, USER_AGENT) and not source.requires_env:
                refused.append(source.slug)
    assert refused == []


def test_the_check_catches_a_source_on_a_forbidden_host(tmp_path) -> None:
    """The test above can fail: a Google News feed in the catalogue is caught."""
    entry = next(e for e in FORBIDDEN if e["host"] == "news.google.com")
    url = "https://news.google.com/rss/search?q=AI+Act&hl=en-US&gl=US&ceid=US:en"
    assert policy(entry).refusal(url, USER_AGENT) == "refused by robots.txt: Disallow: /"


def test_every_default_source_says_why_aitrack_may_read_it_and_how_it_was_checked() -> None:
    for source in SOURCES:
        assert source.notes and "Why aitrack may read it: " in source.notes, source.slug
        assert source.verified in {"high", "medium", "low"}, source.slug
        assert source.verified_on and source.verified_how, source.slug


def test_every_api_source_has_a_page_cap_and_opt_in_sources_are_paced() -> None:
    raw = yaml.safe_load((DATA / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    capped = {e["slug"] for e in raw if "max_pages" in e}
    assert {s.slug for s in SOURCES if s.kind == "api"} <= capped
    for source in SOURCES:
        if "courtlistener.com" in source.urls[0]:
            assert source.requires_env == ("COURTLISTENER_TOKEN",)
            assert source.api is not None and source.api.follow is False
            # CourtListener allows a token 5 requests a minute.
            assert source.delay_seconds is not None and source.delay_seconds >= 12
            assert source.max_pages <= 5


def test_the_press_corner_links_are_read_through_its_documents_api() -> None:
    [ec] = [s for s in SOURCES if s.slug == "ec-presscorner"]
    assert ec.rewrite is not None and ec.rewrite.html_field == "docuLanguageResource.htmlContent"
    link = "https://ec.europa.eu/commission/presscorner/detail/en/ip_26_1166"
    assert ec.rewrite.apply(link) == (
        "https://ec.europa.eu/commission/presscorner/api/documents?reference=IP/26/1166&language=en"
    )
