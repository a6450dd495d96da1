"""What an identifier's surroundings say: the Congress of a date, the state of a state
bill, the court of a docket number. Pure and small; the tables are the common forms."""

from __future__ import annotations

import re

# -- Congress ------------------------------------------------------------------------------


def congress_of(day: str | None) -> int | None:
    """The Congress sitting on an ISO day: the 118th from 3 January 2023 to 3 January 2025.

    A Congress begins at noon on 3 January of an odd year, so 1-2 January of an odd year
    still belong to the previous one."""
    if not day or not re.match(r"\d{4}-\d{2}-\d{2}", day):
        return None
    year, month, dom = int(day[:4]), int(day[5:7]), int(day[8:10])
    if year % 2 == 1 and month == 1 and dom < 3:
        year -= 1
    return (year - 1789) // 2 + 1


ORDINAL_CONGRESS = re.compile(r"\b(1[01]\d)(?:st|nd|rd|th)\s+Congress\b")


def congress_named(text: str) -> int | None:
    """'the 118th Congress' in the text wins over the article's date."""
    match = ORDINAL_CONGRESS.search(text)
    return int(match.group(1)) if match else None


# -- states --------------------------------------------------------------------------------

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming",
}  # fmt: skip

# AP-style abbreviations and a few capitals that stand for the legislature.
STATE_ALIASES = {
    "Calif.": "CA", "Colo.": "CO", "Conn.": "CT", "Fla.": "FL", "Ill.": "IL", "Mass.": "MA",
    "Mich.": "MI", "Minn.": "MN", "Tenn.": "TN", "Tex.": "TX", "Va.": "VA", "Wash.": "WA",
    "Sacramento": "CA", "Albany": "NY", "Olympia": "WA", "Washington state": "WA",
    "Washington State": "WA",
    "Californian": "CA", "Texan": "TX",
}  # fmt: skip

# "Washington" alone is the federal government far more often than the state.
_NAMES = {name: code for code, name in STATES.items() if code != "WA"} | STATE_ALIASES
# Longest first, so that "West Virginia" is not read as "Virginia".
STATE_RE = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(n) for n in sorted(_NAMES, key=len, reverse=True))
    + r")(?![\w])"
)
# Postal codes only right beside the bill ("CA SB 1047", "SB 1047 (CA)"): alone, IN, OR,
# ME and OK are words.
POSTAL_BEFORE = re.compile(r"\b([A-Z]{2})\s*$")
POSTAL_AFTER = re.compile(r"^\s*\(([A-Z]{2})\)")
# "New York Times" is a newspaper, "Washington Post" too, not a state.
NOT_A_STATE = re.compile(r"\s+(?:Times|Post|Journal|Herald|Tribune|Chronicle|Daily)\b")


def state_mentions(text: str) -> list[tuple[int, str]]:
    """(offset, postal code) of every state named in the text, in order."""
    found = []
    for match in STATE_RE.finditer(text):
        if NOT_A_STATE.match(text, match.end()):
            continue
        found.append((match.start(), _NAMES[match.group(0)]))
    return found


def state_near(text: str, start: int, end: int, mentions: list[tuple[int, str]]) -> str | None:
    """The state of a state bill at text[start:end]: a postal code beside it, else the
    nearest state named before it in the same paragraph (or just after it), else the
    state the text names most."""
    before = POSTAL_BEFORE.search(text[max(0, start - 4) : start])
    if before and before.group(1) in STATES:
        return before.group(1)
    after = POSTAL_AFTER.match(text[end : end + 6])
    if after and after.group(1) in STATES:
        return after.group(1)
    para_start = text.rfind("\n", 0, start) + 1
    earlier = [code for offset, code in mentions if para_start <= offset < start]
    if earlier:
        return earlier[-1]
    para_end = text.find("\n", end)
    para_end = len(text) if para_end < 0 else para_end
    later = [code for offset, code in mentions if end <= offset < min(para_end, end + 120)]
    if later:
        return later[0]
    before_all = [code for offset, code in mentions if offset < start]
    if before_all:
        return before_all[-1]
    if mentions:
        codes = [code for _, code in mentions]
        return max(set(codes), key=codes.count)
    return None


# -- courts --------------------------------------------------------------------------------

# Court names as articles write them -> CourtListener court ids.
COURTS = {
    r"N\.\s?D\.\s?Cal(?:\.|ifornia)?|Northern District of California": "cand",
    r"C\.\s?D\.\s?Cal(?:\.|ifornia)?|Central District of California": "cacd",
    r"S\.\s?D\.\s?Cal(?:\.|ifornia)?|Southern District of California": "casd",
    r"S\.\s?D\.\s?N\.\s?Y\.?|Southern District of New York": "nysd",
    r"E\.\s?D\.\s?N\.\s?Y\.?|Eastern District of New York": "nyed",
    r"D\.\s?Del\.?|District of Delaware|Delaware federal court": "ded",
    r"D\.\s?Mass\.?|District of Massachusetts": "mad",
    r"N\.\s?D\.\s?Ill\.?|Northern District of Illinois": "ilnd",
    r"W\.\s?D\.\s?Wash\.?|Western District of Washington": "wawd",
    r"D\.\s?Colo\.?|District of Colorado": "cod",
    r"D\.\s?D\.\s?C\.?|District of Columbia federal court|D\.C\. federal court": "dcd",
    r"M\.\s?D\.\s?Tenn\.?|Middle District of Tennessee": "tnmd",
    r"M\.\s?D\.\s?Fla\.?|Middle District of Florida": "flmd",
    r"W\.\s?D\.\s?Tex\.?|Western District of Texas": "txwd",
    r"N\.\s?D\.\s?Tex\.?|Northern District of Texas": "txnd",
}
COURT_RE = [(re.compile(rf"(?:{pattern})"), court) for pattern, court in COURTS.items()]
SUPREME_RE = re.compile(r"Supreme Court|justices|certiorari|\bSCOTUS\b", re.IGNORECASE)


def court_mentions(text: str) -> list[tuple[int, str]]:
    found = [(m.start(), court) for rx, court in COURT_RE for m in rx.finditer(text)]
    return sorted(found)


def court_near(start: int, end: int, mentions: list[tuple[int, str]], text: str) -> str | None:
    """The court named closest to a docket number within its sentence neighbourhood
    (200 characters either side, not across a paragraph break)."""
    lo = max(text.rfind("\n", 0, start) + 1, start - 200)
    hi_break = text.find("\n", end)
    hi = min(end + 200, len(text) if hi_break < 0 else hi_break)
    near = [(abs(offset - start), court) for offset, court in mentions if lo <= offset < hi]
    return min(near)[1] if near else None
