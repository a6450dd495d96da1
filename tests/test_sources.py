"""The sources catalogue: the real one loads, and every mistake names file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers import DATA
from crawlers.sources import SourcesError, load_sources, select_sources

GOOD = """
sources:
  - slug: example-feed
    name: Example
    kind: feed
    urls: [https://example.org/feed.xml]
    publisher: Example
    category: news
    jurisdiction: US
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_real_catalogue_loads_with_every_required_kind_of_source() -> None:
    sources = load_sources(DATA / "sources.yaml", env={})
    assert len(sources) >= 25
    assert {s.category for s in sources} == {"news", "government", "court", "union", "aggregator"}
    assert {s.kind for s in sources} == {"feed", "listing", "api"}
    slugs = {s.slug for s in sources}
    assert "federal-register-ai" in slugs
    assert all(s.verified in {"high", "medium", "low"} for s in sources)
    fr = next(s for s in sources if s.slug == "federal-register-ai")
    assert fr.api is not None and fr.api.fields["url"] == "html_url"


def test_keyed_sources_are_disabled_without_their_key() -> None:
    sources = load_sources(DATA / "sources.yaml", env={})
    keyed = [s for s in sources if s.requires_env]
    assert keyed and all(not s.active for s in keyed)
    with_key = load_sources(
        DATA / "sources.yaml", env={"API_DATA_GOV_KEY": "k123", "COURTLISTENER_TOKEN": "t"}
    )
    assert all(s.active for s in with_key)
    regs = [s for s in with_key if "API_DATA_GOV_KEY" in s.requires_env]
    # The source keeps the template (it is stored and shown); only requests get the key.
    assert regs and all(s.urls[0].endswith("api_key=${API_DATA_GOV_KEY}") for s in regs)
    assert all(s.request_url(s.urls[0]).endswith("api_key=k123") for s in regs)
    assert all("k123" not in repr(s) for s in with_key)
    court = next(s for s in with_key if s.headers)
    assert court.headers == {"Authorization": "Token ${COURTLISTENER_TOKEN}"}
    assert court.request_headers() == {"Authorization": "Token t"}


def test_demo_catalogue_has_one_source_of_each_kind() -> None:
    sources = load_sources(DATA / "demo" / "sources.yaml", env={})
    assert sorted(s.kind for s in sources) == ["api", "feed", "feed", "listing", "sitemap"]


@pytest.mark.parametrize(
    ("mutation", "field", "message"),
    [
        (("kind: feed", "kind: rss"), "kind", "must be one of"),
        (("    urls: [https://example.org/feed.xml]\n", ""), "urls", "missing"),
        (("urls: [https://example.org/feed.xml]", "urls: [ftp://x]"), "urls", "not an http"),
        (("category: news", "category: blog"), "category", "must be one of"),
        (("slug: example-feed", "slug: Example Feed"), "slug", "lowercase"),
        (("jurisdiction: US", "jurisdiction: US\n    colour: red"), "colour", "unknown field"),
        (("kind: feed", "kind: listing"), "listing", "required for kind"),
    ],
)
def test_each_mistake_names_file_entry_and_field(tmp_path, mutation, field, message) -> None:
    path = write(tmp_path, GOOD.replace(*mutation))
    with pytest.raises(SourcesError) as err:
        load_sources(path, env={})
    text = str(err.value)
    assert str(path) in text
    assert "entry 1" in text
    assert f"field '{field}'" in text
    assert message in text


def test_bad_css_selector_is_rejected(tmp_path) -> None:
    text = GOOD.replace("kind: feed", "kind: listing") + "    listing:\n      links: 'a[href'\n"
    with pytest.raises(SourcesError, match=r"field 'listing.links': not a valid CSS selector"):
        load_sources(write(tmp_path, text), env={})


def test_duplicate_slug_is_rejected(tmp_path) -> None:
    entry = GOOD.split("sources:\n", 1)[1]
    with pytest.raises(SourcesError, match=r"entry 2 \(example-feed\), field 'slug': duplicate"):
        load_sources(write(tmp_path, "sources:\n" + entry + entry), env={})


def test_malformed_yaml_reports_the_line(tmp_path) -> None:
    with pytest.raises(SourcesError, match=r"not valid YAML at line \d+"):
        load_sources(write(tmp_path, "sources:\n  - slug: [unclosed\n"), env={})


def test_unset_environment_variable_is_an_error_unless_required(tmp_path) -> None:
    path = write(
        tmp_path,
        GOOD.replace("[https://example.org/feed.xml]", '["https://example.org/f?key=${MY_KEY}"]'),
    )
    with pytest.raises(SourcesError, match="environment variable MY_KEY is not set"):
        load_sources(path, env={})
    source = load_sources(path, env={"MY_KEY": "x"})[0]
    assert source.urls[0].endswith("key=${MY_KEY}")
    assert source.request_url(source.urls[0]).endswith("key=x")


def test_a_bad_url_from_the_environment_is_reported_without_its_value(tmp_path) -> None:
    path = write(tmp_path, GOOD.replace("[https://example.org/feed.xml]", '["${FEED_URL}"]'))
    with pytest.raises(SourcesError, match="not an http") as caught:
        load_sources(path, env={"FEED_URL": "ftp://user:s3cr3t-value@example.org/feed"})
    assert "s3cr3t-value" not in str(caught.value)
    assert "${FEED_URL}" in str(caught.value)


def test_select_sources_rejects_unknown_slugs(tmp_path) -> None:
    sources = load_sources(write(tmp_path, GOOD), env={})
    assert select_sources(sources, ["example-feed"]) == sources
    with pytest.raises(SourcesError, match="unknown source slug"):
        select_sources(sources, ["nope"])


def test_verified_is_a_level_with_a_date_and_evidence(tmp_path) -> None:
    text = GOOD + '    verified: {level: high, on: 2026-11-29, how: "the publisher lists it"}\n'
    [source] = load_sources(write(tmp_path, text), env={})
    assert (source.verified, source.verified_on, source.verified_how) == (
        "high",
        "2026-11-29",
        "the publisher lists it",
    )
    # The older bare level is still read.
    [old] = load_sources(write(tmp_path, GOOD + "    verified: low\n"), env={})
    assert (old.verified, old.verified_on) == ("low", None)


@pytest.mark.parametrize(
    ("block", "field", "message"),
    [
        ("verified: {level: sure}", "verified.level", "must be one of"),
        ("verified: {on: 2026-11-29}", "verified.level", "missing"),
        ("verified: {level: high, on: yesterday}", "verified.on", "must be a date"),
        ("verified: {level: high, by: me}", "verified.by", "unknown field"),
        ("delay_seconds: -1", "delay_seconds", "from 0 to 3600"),
        ("delay_seconds: soon", "delay_seconds", "from 0 to 3600"),
        ("rewrite: {pattern: '(a', replace: 'https://x/{1}'}", "rewrite.pattern", "regular"),
        ("rewrite: {pattern: '(a)', replace: 'https://x/{2}'}", "rewrite.replace", "{2} is not"),
        ("rewrite: {pattern: '(a)', replace: 'ftp://x/{1}'}", "rewrite.replace", "http(s)"),
        ("rewrite: {pattern: '(a)'}", "rewrite.replace", "missing"),
    ],
)
def test_bad_per_source_options_name_their_field(tmp_path, block, field, message) -> None:
    with pytest.raises(SourcesError) as err:
        load_sources(write(tmp_path, GOOD + f"    {block}\n"), env={})
    assert f"entry 1 (example-feed), field '{field}'" in str(err.value)
    assert message in str(err.value)


def test_rewrite_fills_groups_and_changes_their_case(tmp_path) -> None:
    text = GOOD + (
        "    rewrite:\n"
        r"      pattern: '(?i)/presscorner/detail/(?P<lang>[a-z]{2})/([a-z]+)_(\d+)_(\d+)$'"
        "\n      replace: 'https://api.example/doc?reference={2|upper}/{3}/{4}&language={lang}'\n"
    )
    [source] = load_sources(write(tmp_path, text), env={})
    assert source.rewrite is not None
    assert source.rewrite.apply("https://ec.example/presscorner/detail/en/qanda_26_1167") == (
        "https://api.example/doc?reference=QANDA/26/1167&language=en"
    )
    assert source.rewrite.apply("https://ec.example/presscorner/home/en") is None


def test_api_text_fields_are_validated(tmp_path) -> None:
    api = (
        GOOD.replace("kind: feed", "kind: api")
        + "    api:\n      items: data\n      fields: {url: u, agency: a, extra: EXTRA}\n"
    )
    [source] = load_sources(
        write(tmp_path, api.replace("EXTRA", "{Comments close: c.end}")), env={}
    )
    assert source.api is not None and source.api.extra == (("Comments close", "c.end"),)
    assert source.api.fields == {"url": "u", "agency": "a"}
    with pytest.raises(SourcesError, match=r"field 'api.fields.extra': must map labels"):
        load_sources(write(tmp_path, api.replace("EXTRA", "[c.end]")), env={})
