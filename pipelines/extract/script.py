"""Script-aware text measures: word counts and sentence ends that also hold for writing
systems that do not put spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
Myanmar) or that end sentences with their own marks (。！？ in CJK, ؟ in Arabic, । in
Devanagari, ። in Ethiopic).

Counting words by spaces makes a Chinese paragraph of 200 characters "one word", and
every rule that says "a short line is a heading or a button" then removes real text.
"""

from __future__ import annotations

import re

# Characters of scripts written without spaces between words, with the average number of
# characters per word used to turn them into a word count (a Chinese word is about two
# characters, a Japanese one two to three; Thai, Lao, Khmer and Myanmar words about four).
SPACELESS = (
    (re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"), 2),
    (re.compile(r"[\u0e00-\u0e7f\u0e80-\u0eff\u1780-\u17ff\u1000-\u109f]"), 4),
)
ANY_SPACELESS = re.compile("|".join(pattern.pattern for pattern, _ in SPACELESS))
# Marks that end a sentence, in Latin, CJK (full and half width), Arabic, Urdu, Devanagari
# and related Indic scripts, Ethiopic and Armenian, plus closing quotes and brackets after
# them.
SENTENCE_END = re.compile(r"[.!?…。！？｡؟۔।॥።։:;\"”’»」』][\"'”’»)\]」』）】\s]*$")


def word_count(text: str) -> int:
    """Words in `text`: space-separated tokens, and for spaceless scripts their characters
    divided by the usual word length of that script."""
    if not ANY_SPACELESS.search(text):  # most text on most pages: plain token count
        return len(text.split())
    count = 0
    rest = text
    for pattern, chars_per_word in SPACELESS:
        found = len(pattern.findall(rest))
        if found:
            count += -(-found // chars_per_word)  # ceiling: a lone character is a word
            rest = pattern.sub(" ", rest)
    return count + len(rest.split())


def ends_sentence(text: str) -> bool:
    """Whether a paragraph ends like a sentence in any of the scripts above."""
    return bool(SENTENCE_END.search(text.rstrip()))
