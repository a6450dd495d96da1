"""Is this text language at all? A cheap check before text is stored or tagged.

A 200 KB `text/html` body of random bytes came out of extraction as 200,000 copies of
one letter and was stored as an article; `aitrack tag` found topics in random bytes and
in a PDF. Text that is not language is an extraction failure with a reason.

The checks look only at the shape of the characters, so they hold in every script:
words are letters (and the marks that Thai, Hindi or Arabic put on them), and only
scripts written without spaces (Chinese, Japanese, Thai, ...) may run on for long
without one. Each threshold is far from what real text does, in any language: English's
most common letter is 12% of its letters, Chinese's most common character about 4%.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

SAMPLE_CHARS = 50_000  # enough to judge; a long article costs no more than this
REPLACEMENT = "\ufffd"  # what a decoder puts for bytes that are not in the encoding
MAX_JUNK_SHARE = 0.02  # replacement and control characters: binary read as text
MIN_LETTER_SHARE = 0.4  # of visible characters; English prose has about 0.95
MAX_ONE_CHAR_SHARE = 0.4  # of visible characters
MIN_DISTINCT = 8  # distinct letters in any text of MIN_JUDGED letters or more
MIN_JUDGED = 40  # shorter texts are judged only on junk and letters
MAX_MEAN_WORD = 25  # characters per space-separated token outside unspaced scripts
# Scripts written without spaces between words: Han, Hiragana, Katakana, Thai, Lao,
# Tibetan, Myanmar, Khmer (and the CJK compatibility and extension blocks).
UNSPACED_RE = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"
)
ALLOWED_CONTROLS = set("\t\n\r\f\v")


def why_not_language(text: str) -> str | None:
    """Why `text` is not language (a short reason), or None if it may well be."""
    sample = text[:SAMPLE_CHARS]
    # Judged per distinct character (a few hundred), not per character (thousands): the
    # same answers, at a tenth of the cost on every article.
    counts = Counter(sample)
    visible = {c: n for c, n in counts.items() if not c.isspace()}
    seen = sum(visible.values())
    if not seen:
        return "no text"
    categories = {c: unicodedata.category(c) for c in visible}
    junk = sum(
        n
        for c, n in visible.items()
        if c == REPLACEMENT or categories[c] in ("Cc", "Cs", "Co", "Cn")
    )
    junk += sum(
        n for c, n in counts.items() if c.isspace() and c not in ALLOWED_CONTROLS and c < " "
    )
    if junk / len(sample) > MAX_JUNK_SHARE:
        return "binary data read as text (control or undecodable characters)"
    letters = {c: n for c, n in visible.items() if categories[c][0] in "LM"}
    letter_count = sum(letters.values())
    if letter_count / seen < MIN_LETTER_SHARE:
        return "no words (mostly digits and symbols)"
    if seen < MIN_JUDGED:
        return None
    char, count = Counter(visible).most_common(1)[0]
    if count / seen > MAX_ONE_CHAR_SHARE:
        return f"one character repeated ({char!r} is {count / seen:.0%} of the text)"
    if len(letters) < MIN_DISTINCT:
        return f"too few distinct letters ({len(letters)})"
    unspaced = len(UNSPACED_RE.findall(sample))
    if unspaced / letter_count < 0.3:
        tokens = sample.split()
        mean = sum(len(t) for t in tokens) / len(tokens)
        if mean > MAX_MEAN_WORD:
            return f"no spaces between words (a word is {mean:.0f} characters on average)"
    return None
