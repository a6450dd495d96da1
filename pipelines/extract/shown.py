"""Dates as readers see them written on the page: whether a day is shown, and the day
printed next to the headline (the dateline or byline most news and blog templates put
right under it).

Both read the visible text only (no scripts, no styles), because the question they
answer is what a reader is told, as opposed to what the markup declares.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

# Month names and their usual abbreviations in the languages of the pages we crawl
# (English, German, French, Spanish, Italian, Portuguese, Dutch). A day written with a
# month name ("06. Mär. 2023", "3 déc. 2021") is what most non-English sites print.
MONTH_NAMES = {
    1: "jan|january|januar|janvier|janv|enero|ene|gennaio|gen|jänner|janeiro|januari",
    2: "feb|february|februar|février|févr|fevereiro|fev|febrero|febbraio|februari",
    3: "mar|march|märz|mär|maerz|mars|marzo|março|mrt|maart",
    4: "apr|april|avril|avr|abril|abr|aprile",
    5: "may|mai|mayo|maggio|mag|maio|mei",
    6: "jun|june|juni|juin|junio|giugno|giu|junho",
    7: "jul|july|juli|juillet|juil|julio|luglio|lug|julho",
    8: "aug|august|août|agosto|ago|augustus",
    9: "sep|sept|september|septembre|septiembre|settembre|set|setembro",
    10: "oct|october|oktober|okt|octobre|octubre|ottobre|ott|outubro|out",
    11: "nov|november|novembre|noviembre|novembro",
    12: "dec|december|dezember|dez|décembre|déc|diciembre|dic|dicembre|dezembro",
}
MONTH_OF = {name: m for m, names in MONTH_NAMES.items() for name in names.split("|")}
_MONTH = "|".join(sorted(MONTH_OF, key=len, reverse=True))
_DAY_WORD = r"(?:st|nd|rd|th|er|º)?\.?"

# Written days, each with named groups y, m (a number or a month name) and d.
WRITTEN_DAY = re.compile(
    r"(?<![\d.])(?:"
    # ISO and its slash/dot variants, year first: 2023-11-07, 2023/11/07, 2023. 11. 7.
    rf"(?P<y1>(?:19|20)\d\d)(?P<s1>[-/.])\s?(?P<m1>\d{{1,2}})(?P=s1)\s?(?P<d1>\d{{1,2}})(?!\d)"
    # East Asian: 2023年11月7日
    rf"|(?P<y2>(?:19|20)\d\d)年\s?(?P<m2>\d{{1,2}})月\s?(?P<d2>\d{{1,2}})日"
    # Day first with dots (Central European): 4.2.2022, 04. 02. 2022, 28.09.19
    rf"|(?P<d3>\d{{1,2}})\.\s?(?P<m3>\d{{1,2}})\.\s?(?P<y3>(?:19|20)?\d\d)(?![\d:])"
    # Day and month name: 6. Mär. 2023, 3 déc. 2021, 21 de enero de 2022
    rf"|(?P<d4>\d{{1,2}}){_DAY_WORD}\s+(?:de\s+)?(?P<m4>{_MONTH})\.?,?\s+(?:de\s+)?"
    rf"(?P<y4>(?:19|20)\d\d)"
    # Month name first: November 8, 2023; Nov. 8th 2023
    rf"|\b(?P<m5>{_MONTH})\.?\s+(?P<d5>\d{{1,2}}){_DAY_WORD},?\s+(?P<y5>(?:19|20)\d\d)"
    r")(?!\d)",
    re.IGNORECASE,
)
# Day and month separated by slashes: 17/02/2022 is day first, 11/28/2023 month first;
# 03/04/2022 says neither, and is not read.
SLASHED_DAY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)(?![\d/])")
# Bounds of a written day around its digits (see `_near_digits`): before its first digit
# a month name, a full stop and two spaces; between two digit runs at most an ordinal,
# "de", a month name and their punctuation and spaces.
_LONGEST_MONTH = max(len(name) for name in MONTH_OF)
PRECEDING = _LONGEST_MONTH + 4
GAP = 2 * _LONGEST_MONTH + 24
LONG_SPACE = re.compile(r"\s{3}")
DIGITS = re.compile(r"\d+")
# A machine timestamp left in the text (2021-10-27T20:35:36+01:00) is markup that a
# stylesheet hides from readers, not a date they are shown.
MACHINE_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d[^\s]*")
HEADLINE_WINDOW = 250  # characters of text after the headline: kicker, byline, dateline
DATELINE_LINE = 80  # a text of its own this short is a byline or dateline, not prose
# Words that label a day as the last update, in the languages of MONTH_NAMES. (German
# "Stand" is not one: it means "as of", the day the page presents itself as of.)
UPDATE_LABEL = re.compile(
    r"\b(?:updated|last (?:updated|modified|changed)|modified|aktualisiert|geändert"
    r"|mis à jour|modifié|actualizado|actualización|aggiornato|atualizado|bijgewerkt)\b"
    r"[^\d]{0,12}$",
    re.IGNORECASE,
)
# What may precede a dateline's day at the head of a paragraph: a place name or two,
# a comma, a parenthesis.
DATELINE_HEAD = re.compile(r"^(?:[A-ZÀ-Ý][\w.-]*\s?){0,3}[,(:–-]?\s?\(?$")


def visible_text(node: Any) -> str:
    """The text readers are shown under `node`, machine timestamps left out."""
    parts = node.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return MACHINE_TIMESTAMP.sub(" ", " ".join(" ".join(parts).split()))


def written_days(text: str, ambiguous: bool = False) -> list[str]:
    """Every day written in `text`, in order, as ISO days. A slashed day that reads
    either way (03/04/2022) is left out, or with `ambiguous`, given in both readings."""
    return [day for _, day in _days_with_positions(text, ambiguous)]


def _near_digits(text: str) -> list[tuple[int, int]]:
    """Spans of `text` outside which no day can be written: every written day holds a
    digit, reaches at most PRECEDING characters before its first one (a month name, a
    full stop, a space or two) and GAP between two of its digit runs, and ends within
    two characters of its last digit (日). Scanning only these spans finds the same
    matches as scanning the text, at a fraction of the cost on a long page with few
    numbers. Whitespace runs make a gap unbounded, so a text with a run of three or more
    is scanned whole (visible text, whitespace collapsed, seldom has one)."""
    if LONG_SPACE.search(text):
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    for run in DIGITS.finditer(text):
        start, end = max(run.start() - PRECEDING, 0), min(run.end() + 3, len(text))
        if spans and run.start() - spans[-1][1] <= GAP:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _days_with_positions(text: str, ambiguous: bool = False) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    spans = _near_digits(text)
    written = (m for start, end in spans for m in WRITTEN_DAY.finditer(text, start, end))
    for match in written:
        groups = {k[0]: v for k, v in match.groupdict().items() if v and k[0] in "ymd"}
        day = _iso_day(groups["y"], groups["m"], groups["d"])
        if day:
            found.append((match.start(), day))
    for match in (m for start, end in spans for m in SLASHED_DAY.finditer(text, start, end)):
        first, second, year = (int(g) for g in match.groups())
        if first > 12 >= second:
            day = _iso_day(str(year), str(second), str(first))
        elif second > 12 >= first:
            day = _iso_day(str(year), str(first), str(second))
        elif ambiguous:
            for month, day_of_month in ((first, second), (second, first)):
                if day := _iso_day(str(year), str(month), str(day_of_month)):
                    found.append((match.start(), day))
            continue
        else:
            continue
        if day:
            found.append((match.start(), day))
    return sorted(found)


def _iso_day(year: str, month: str, day: str) -> str | None:
    y = int(year) if len(year) == 4 else int(year) + (2000 if int(year) < 70 else 1900)
    m = int(month) if month.isdigit() else MONTH_OF.get(month.casefold())
    try:
        return date(y, m, int(day)).isoformat() if m and 1995 <= y <= 2100 else None
    except ValueError:
        return None


def shows_day(tree: Any, day: str) -> bool:
    """Whether the page's visible text shows this day in a common numeric or written form."""
    body = tree.find("body")
    return day in written_days(visible_text(body if body is not None else tree), ambiguous=True)


def headline_day(tree: Any, headlines: list[str]) -> str | None:
    """The first day written in the text that follows the page's headline: the dateline
    or byline that news and blog templates print right under it ("By Jane Roe, November
    8, 2023", "Berlin, 28.10.2021", "Written: 2023-11-07").

    The headline is the <h1> whose text is one of the page's declared headlines (or is
    contained in one: <title> adds the site's name), or else such an <h2> (templates
    that keep <h1> for the site's logo); a page with no such heading has no dateline we
    can place, and None is returned.
    """
    wanted = [_flat(h) for h in headlines if h and _flat(h)]
    for heading in [*tree.iter("h1"), *tree.iter("h2")]:
        text = _flat(heading.text_content())
        if text and any(text == w or (len(text) >= 12 and text in w) for w in wanted):
            return _dateline_day(heading)
    return None


def _dateline_day(heading: Any) -> str | None:
    """The first day written as a dateline in the text after `heading`: in a short line
    of its own (a byline, "Stand: 28.04.2020"), or at the head of a paragraph after no
    more than a place name ("Berlin, 28.10.2021. The Red Cross..."). A day in running
    prose ("the rules that took effect on 15 January") dates an event, not the page; a
    day labelled as an update ("Updated: ...", "Aktualisiert am ...") is skipped."""
    seen, before = 0, ""
    for part in heading.xpath("following::text()[not(ancestor::script) and not(ancestor::style)]"):
        text = " ".join(MACHINE_TIMESTAMP.sub(" ", part).split())
        if not text:
            continue
        for start, day in _days_with_positions(text):
            # The label may sit in its own element: "<span>Updated:</span> <time>...".
            if UPDATE_LABEL.search((before + " " + text[:start])[-30:]):
                continue  # when it was last changed, not when it was published
            if len(text) <= DATELINE_LINE or DATELINE_HEAD.match(text[:start]):
                return day
        seen, before = seen + len(text), text
        if seen > HEADLINE_WINDOW:
            return None
    return None


def _flat(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())
