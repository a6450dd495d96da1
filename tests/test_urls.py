"""Canonical URLs: the same article under tracking junk is the same row."""

from pipelines.urls import article_id, canonicalize_url


def test_tracking_parameters_and_fragments_are_removed() -> None:
    url = "https://Example.ORG/news/a.html?utm_source=rss&utm_medium=feed&fbclid=x&id=7#top"
    assert canonicalize_url(url) == "https://example.org/news/a.html?id=7"


def test_default_port_dropped_other_ports_kept_query_sorted() -> None:
    assert canonicalize_url("http://example.org:80/a?b=2&a=1") == "http://example.org/a?a=1&b=2"
    assert canonicalize_url("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080/a"


def test_path_case_is_kept_because_servers_treat_it_as_significant() -> None:
    assert canonicalize_url("https://example.org/News/A.html") == "https://example.org/News/A.html"


def test_article_id_is_16_hex_of_sha256_and_stable() -> None:
    a = article_id(canonicalize_url("https://example.org/a?utm_campaign=z"))
    b = article_id(canonicalize_url("https://example.org/a"))
    assert a == b and len(a) == 16 and int(a, 16) >= 0
