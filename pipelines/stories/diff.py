"""Side-by-side differences between a story's original and a copy (the /story page).

Paragraphs are aligned first (difflib over whole paragraphs: an added intro or
newsletter box is one inserted paragraph), then a changed pair is compared word by
word. Pure data out, text never markup: the site escapes every piece it shows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

Piece = tuple[str, str]  # (kind, text): kind is same | del | ins
WORDS = re.compile(r"\S+\s*")
SAME_PARAGRAPH = 0.5  # share of words in common for two paragraphs to be one, edited


@dataclass
class Row:
    """One row of the two columns: what the original has, and what the copy has."""

    kind: str  # same | changed | removed | added
    left: list[Piece]
    right: list[Piece]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def side_by_side(original: str, copy: str, context: int = 1) -> list[Row]:
    """Rows for the differences, with `context` identical paragraphs around each; runs of
    more identical paragraphs become one `same` row saying how many were skipped."""
    a, b = paragraphs(original), paragraphs(copy)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = a[i1:i2]
            if len(same) > 2 * context + 1:
                keep = same[:context] if rows else []
                for p in keep:
                    rows.append(Row("same", [("same", p)], [("same", p)]))
                skipped = len(same) - len(keep) - context
                note = f"… {skipped} identical paragraph{'s' if skipped != 1 else ''} …"
                rows.append(Row("skipped", [("same", note)], [("same", note)]))
                same = same[-context:] if context else []
            for p in same:
                rows.append(Row("same", [("same", p)], [("same", p)]))
        elif tag == "delete":
            rows.extend(Row("removed", [("del", p)], []) for p in a[i1:i2])
        elif tag == "insert":
            rows.extend(Row("added", [], [("ins", p)]) for p in b[j1:j2])
        else:
            rows.extend(_pair(a[i1:i2], b[j1:j2]))
    return rows


def _pair(left: list[str], right: list[str]) -> list[Row]:
    """Rows for a run of differing paragraphs: each original paragraph is paired, in
    order, with the first copy paragraph that mostly shares its words (an edited
    paragraph); the copy's paragraphs passed over on the way are additions (an intro),
    and an original paragraph with no partner was removed."""
    rows: list[Row] = []
    position = 0
    for paragraph in left:
        words = WORDS.findall(paragraph)
        partner = next(
            (
                n
                for n in range(position, len(right))
                if difflib.SequenceMatcher(None, words, WORDS.findall(right[n])).ratio()
                >= SAME_PARAGRAPH
            ),
            None,
        )
        if partner is None:
            rows.append(Row("removed", [("del", paragraph)], []))
            continue
        rows.extend(Row("added", [], [("ins", p)]) for p in right[position:partner])
        rows.append(Row("changed", *_words(paragraph, right[partner])))
        position = partner + 1
    rows.extend(Row("added", [], [("ins", p)]) for p in right[position:])
    return rows


def _words(a: str, b: str) -> tuple[list[Piece], list[Piece]]:
    x, y = WORDS.findall(a), WORDS.findall(b)
    left: list[Piece] = []
    right: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(("same", "".join(x[i1:i2])))
            right.append(("same", "".join(y[j1:j2])))
        else:
            if i2 > i1:
                left.append(("del", "".join(x[i1:i2])))
            if j2 > j1:
                right.append(("ins", "".join(y[j1:j2])))
    return left, right
