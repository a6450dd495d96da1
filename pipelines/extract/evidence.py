"""A safety net against over-pruning: independent opinions about what the story is.

Pruning by markup is what makes our bodies cleaner than trafilatura's, and also what can
lose a whole story on a site that names its story container like furniture. So when the
first result looks doubtful, it is compared with independent evidence:

1. trafilatura's body on the unpruned page (same options): what we would have had;
2. the page's own JSON-LD `articleBody`, or, without one, readability-lxml's body (a
   different algorithm: scores of paragraph containers, not trafilatura's tree rules).

The unpruned body's paragraphs are then put to a vote: a paragraph is kept when our
pruned body or the third opinion also has it. Two of three extractors agreeing on a
paragraph is the majority vote that Bevendorff et al. (SIGIR 2023, "An Empirical
Comparison of Web Content Extraction Algorithms") found to beat every single
extractor. Furniture that pruning removed stays out unless both others keep it.

The second and third opinions cost as much as the first, so they run only when the
first looks doubtful (`is_doubtful`); bench/extraction.py measures how often, and the
time it costs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipelines.extract.script import ends_sentence, word_count

GRAM = 6  # characters: works for scripts with and without spaces alike
CONTAINED = 0.5  # share of a paragraph's n-grams another text must have to "have" it
# Doubt: the body has fewer words of prose than this (trafilatura's fast mode gives up
# early on some pages, or returns a menu; a pruned story container leaves a stub)...
SHORT_WORDS = 150
# A paragraph is prose when it ends a sentence or is longer than a menu item or heading.
PROSE_PARAGRAPH_WORDS = 12
# ... or pruning removed more paragraph text than this share of what we kept...
REMOVED_SHARE = 0.5
# ... or we kept less than this of the JSON-LD articleBody the page declares.
ARTICLE_BODY_COVERAGE = 0.8
# The unpruned body must have this much more prose than ours before it is worth a vote.
GAIN_FACTOR, GAIN_WORDS = 1.2, 20


def is_doubtful(text: str, removed_words: int, article_body: str | None) -> str | None:
    """Why the pruned body may have lost part of the story, or None if nothing says so:
    "short" (too little prose: fast mode may have given up, or returned a stub),
    "article-body" (we hold too little of the JSON-LD articleBody) or "removed"
    (pruning removed much text next to what we kept, and nothing else doubts).

    `removed_words` is the paragraph text that pruning removed: on most news pages that
    is a comment section or teasers, much smaller than the story; when it is large next
    to what we kept, a story container may have been taken for furniture.
    """
    words = word_count(text)
    if prose_words(text) < SHORT_WORDS:
        return "short"
    if (
        article_body
        and word_count(article_body) > words
        and coverage(article_body, text) < ARTICLE_BODY_COVERAGE
    ):
        return "article-body"
    # Last, so that "removed" is the only reason when it is given (it has a cheap check).
    return "removed" if removed_words > REMOVED_SHARE * words else None


def gains(ours: str, other: str) -> bool:
    """Whether `other` holds enough more prose than `ours` to be worth a vote."""
    # Compared in words of prose: a body that is a long menu has gained nothing to lose.
    return prose_words(other) > GAIN_FACTOR * prose_words(ours) + GAIN_WORDS


def vote(
    ours: str,
    unpruned: str,
    third: Callable[[], str | None],
) -> tuple[str, str]:
    """Our body, or the unpruned body's paragraphs that a second extractor confirms, with
    "checked" (ours kept) or "voted" for the provenance.

    `third` is called only when the unpruned body holds much more than ours.
    """
    if not gains(ours, unpruned):
        return ours, "checked"
    other = third() or ""
    ours_grams, other_grams = _grams(ours), _grams(other)
    kept = [
        p
        for p in unpruned.split("\n\n")
        if _share(_grams(p), ours_grams) >= CONTAINED or _share(_grams(p), other_grams) >= CONTAINED
    ]
    voted = "\n\n".join(kept)
    # Both must hold what we had: if the unpruned body is about something else (another
    # container won), keep ours unless the third opinion sides with the unpruned one.
    if coverage(ours, voted) < ARTICLE_BODY_COVERAGE and coverage(other, ours) >= coverage(
        other, voted
    ):
        return ours, "checked"
    return (voted, "voted") if prose_words(voted) > prose_words(ours) else (ours, "checked")


def prose_words(text: str) -> int:
    """Words in paragraphs that read as prose, not as menu items or headings."""
    counts = (word_count(p) for p in text.split("\n\n"))
    return sum(
        n
        for p, n in zip(text.split("\n\n"), counts, strict=True)
        if n > PROSE_PARAGRAPH_WORDS or ends_sentence(p)
    )


def coverage(reference: str, text: str) -> float:
    """Share of `reference`'s character n-grams that `text` has."""
    return _share(_grams(reference), _grams(text))


def _grams(text: str) -> set[str]:
    flat = " ".join(re.findall(r"\w+", text.casefold()))
    return {flat[i : i + GRAM] for i in range(max(len(flat) - GRAM + 1, 0))}


def _share(part: set[str], whole: set[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0
