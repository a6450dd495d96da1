"""Deadlines stated in article sentences (issue 18): the kinds, the day, the object."""

from __future__ import annotations

import pytest

from pipelines.legal import recognise
from pipelines.legal.deadlines import deadlines_in_text, parse_day


def found(text: str, published: str = "2024-02-20") -> set[tuple[str, str, str]]:
    mentions = recognise(text, published)
    return {(d.object_id, d.kind, d.date) for d in deadlines_in_text(text, mentions, published)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The FTC opened docket FTC-2024-0011; comments are due March 5.",
            {("FTC-2024-0011", "comments_close", "2024-03-05")},
        ),
        (
            "Under 2024-03512 the comment period closes on April 1, 2024, and reply "
            "comments are due by April 22, 2024.",
            {
                ("2024-03512", "comments_close", "2024-04-01"),
                ("2024-03512", "reply_comments", "2024-04-22"),
            },
        ),
        (
            "Colorado's SB 24-205 takes effect on February 1, 2026.",
            {("CO SB 24-205", "effective", "2026-02-01")},
        ),
        (
            "Regulation (EU) 2024/1689 applies from 2 August 2026.",
            {("32024R1689", "application", "2026-08-02")},
        ),
        (
            "A hearing in 3:23-cv-03417 is set for May 9.",
            {("3:23-cv-03417", "hearing", "2024-05-09")},
        ),
        ("The judge read the transcript of a hearing in 3:23-cv-03417 held on May 9.", set()),
        ("Comments are due March 5, the agency said.", set()),  # no object to give it to
        ("Docket COLC-2023-0006 drew 10,000 comments in 2023.", set()),  # no date
    ],
)
def test_sentences_give_their_object_a_deadline(text: str, expected: set) -> None:
    assert found(text) == expected


def test_an_extension_later_in_the_article_wins() -> None:
    text = (
        "The office opened docket COLC-2023-0006. Initial comments are due October 18.\n"
        "It then extended the deadline to October 30."
    )
    assert found(text, "2023-09-01") == {("COLC-2023-0006", "comments_close", "2023-10-30")}


def test_a_day_without_a_year_is_the_next_one_after_the_article() -> None:
    assert parse_day("March 5", "2024-02-20") == "2024-03-05"
    assert parse_day("January 10", "2024-12-20") == "2025-01-10"  # next January
    assert parse_day("December 1", "2025-01-10") == "2024-12-01"  # a recent past day
    assert parse_day("February 30, 2024", None) is None
    assert parse_day("March 5", None) is None  # no year and no article date


def test_a_huge_text_full_of_identifiers_takes_linear_time() -> None:
    import random
    import time

    from pipelines.legal.article import article_legal

    words = "Apple v. The of Regulation (EU) 2024/1689 comments due March 5 SB 1047 No. "
    words += "3:23-cv-03417 H.R. S. In re Court the Inc. , . \n"
    pick = random.Random(1).choice
    vocabulary = words.split(" ")
    small = " ".join(pick(vocabulary) for _ in range(4000))
    big = " ".join(pick(vocabulary) for _ in range(64000))
    timings = []
    for text in (small, big):
        start = time.perf_counter()
        article_legal("https://example.org/a", "T", text, "2024-01-01")
        timings.append(time.perf_counter() - start)
    # 16 times the text: well under 16 squared the time (it was quadratic once).
    assert timings[1] < max(timings[0], 0.01) * 60
