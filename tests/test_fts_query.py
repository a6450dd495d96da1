"""pipelines.store.fts_query: anything typed becomes a valid FTS5 query that means it."""

from __future__ import annotations

import random
import sqlite3

import pytest

from pipelines.store.fts_query import MAX_TERMS, parse, to_fts

TEXT = (
    "SAG-AFTRA members ratified the co-pilot clause; C++ and AT&T were named. "
    "OpenAI's regulators said regulation and regulatory rules matter for deepfakes."
)


@pytest.fixture(scope="module")
def conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table stemmed using fts5(title, body, tokenize='porter')")
    conn.execute(
        "create virtual table words using fts5(title, body, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    for table in ("stemmed", "words"):
        conn.execute(f"insert into {table} values ('A title', ?)", [TEXT])
        conn.execute(f"insert into {table} values ('Other', 'nothing about the union here')")
        conn.execute(f"insert into {table} values ('Third', 'Microsoft Copilot for e-mail')")
    return conn


def hits(conn: sqlite3.Connection, typed: str, table: str = "stemmed") -> int:
    return conn.execute(
        f"select count(*) from {table} where {table} match ?", [to_fts(typed)]
    ).fetchone()[0]


@pytest.mark.parametrize(
    "typed",
    ["SAG-AFTRA", "co-pilot", "C++", "AT&T", "OpenAI's", 'SAG-AFTRA "co-pilot', "regulators"],
)
def test_what_journalists_typed_finds_the_article(conn, typed) -> None:
    first = "select count(*) from {0} where {0} match ? and rowid = 1"
    for table in ("stemmed", "words"):
        assert conn.execute(first.format(table), [to_fts(typed)]).fetchone()[0] == 1


def test_a_prefix_finds_every_unstemmed_word(conn) -> None:
    assert parse("regulat*").has_prefix
    assert hits(conn, "regulat*", "words") == 1
    assert conn.execute(
        "select count(*) from words where words match ? and body like '%regulatory%'",
        [to_fts("regulat*")],
    ).fetchone()[0]


def test_a_hyphenated_word_also_finds_it_written_as_one(conn) -> None:
    assert hits(conn, "co-pilot") == 2  # "co-pilot" and "Copilot"
    assert hits(conn, "email") == 0 and hits(conn, "e-mail") == 1
    assert hits(conn, "regulators -co-pilot", "words") == 0


def test_operators_phrases_and_exclusion_keep_their_meaning(conn) -> None:
    assert hits(conn, "union OR deepfakes") == 2
    assert hits(conn, "union AND deepfakes") == 0
    assert hits(conn, "union deepfakes") == 0
    assert hits(conn, '"ratified the co-pilot"') == 1
    assert hits(conn, '"co-pilot ratified"') == 0
    assert hits(conn, "regulators -union") == 1
    assert hits(conn, "regulators -deepfakes") == 0
    assert hits(conn, "regulators NOT deepfakes") == 0


@pytest.mark.parametrize("typed", ["", "   ", '"', '""', "***", "OR", "NOT NOT", "-", "()", "\x00"])
def test_nothing_searchable_is_empty_and_matches_nothing(conn, typed) -> None:
    assert parse(typed).empty
    assert to_fts(typed) == '""'
    assert hits(conn, typed) == 0


def test_a_prefix_of_one_or_two_letters_is_the_word_itself() -> None:
    assert not parse("a*").has_prefix and not parse("AI*").has_prefix
    assert parse("AI*").fts() == '"AI"' and parse("reg*").has_prefix


def test_a_pasted_paragraph_is_bounded() -> None:
    assert len(parse("word " * 1000).terms) == MAX_TERMS


def test_did_you_mean_replaces_only_the_plain_word() -> None:
    query = parse('copywrite "copywrite law" fair*')
    assert query.words() == ["copywrite"]
    assert query.replaced("copywrite", "copyright").text() == 'copyright "copywrite law" fair*'


ALPHABET = list("abcAZ09 -_+*\"'&()^:.,;!?~`@#$%{}[]<>/\\|=\t\né中ß") + [
    "OR",
    "AND",
    "NOT",
    "NEAR",
    "NEAR(",
    "\u0301",
    "\x00",
    "²",
]


def test_no_string_is_an_fts5_syntax_error(conn) -> None:
    rnd = random.Random(16)
    for _ in range(5000):
        typed = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 24)))
        query = to_fts(typed)
        for table in ("stemmed", "words"):
            try:
                conn.execute(f"select count(*) from {table} where {table} match ?", [query])
            except sqlite3.OperationalError as exc:  # pragma: no cover - the failure itself
                pytest.fail(f"{typed!r} -> {query!r}: {exc}")
        # What a person would type again parses to the same query.
        assert to_fts(parse(typed).text()) == query, typed
