"""Recognisers of the numbered identifiers: each a pattern and a builder of the canonical
id. Look-alikes are kept out by the patterns' edges: no identifier starts or ends inside a
longer run of letters, digits or hyphens ("USB 3", "2023-2024 session", phone numbers),
and the reporter citation "576 U.S. 644" is not the bill "S. 644"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Nothing word-like or hyphen-joined on either side of an identifier.
L = r"(?<![\w\-/.])"
R = r"(?![\w\-/]|\.\d)"
YEAR = r"(?:199[4-9]|20[0-4]\d)"


@dataclass(frozen=True)
class Found:
    kind: str
    id: str
    start: int
    end: int
    jurisdiction: str | None = None
    court: str | None = None
    needs: str | None = None  # "court", "congress" or "state": filled from the context


Builder = Callable[[re.Match[str]], Found | None]
# (pattern, builder, hints): the pattern runs only on a text containing one of its hints,
# plain substrings every match must contain. Most articles name no identifier of a kind,
# and a substring test is far cheaper than a pattern that starts with a lookbehind.
RECOGNISERS: list[tuple[re.Pattern[str], Builder, tuple[str, ...]]] = []


def recogniser(
    pattern: str, flags: int = 0, hints: tuple[str, ...] = ()
) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        RECOGNISERS.append((re.compile(pattern, flags), build, hints))
        return build

    return register


def _found(m: re.Match[str], kind: str, id: str, group: int = 0, **kw: str | None) -> Found:
    return Found(kind, id, m.start(group), m.end(group), **kw)


# -- courts ----------------------------------------------------------------------------------

DOCKET_KINDS = "cv|cr|md|mc|bk|ap|mj"


@recogniser(
    L + rf"(?:No\.\s*)?(\d{{1,2}}):(\d{{2}})[-\s]?({DOCKET_KINDS})[-\s]?(\d{{2,6}})" + R,
    re.IGNORECASE,
    hints=(":",),
)
def federal_docket(m: re.Match[str]) -> Found:
    office, year, kind, number = m.groups()
    start = m.start(1)
    return Found(
        "docket",
        f"{int(office)}:{year}-{kind.lower()}-{int(number):05d}",
        start,
        m.end(),
        "US",
        needs="court",
    )


@recogniser(r"(?<![\w.])No(?:s)?\.\s*(\d{2})[-‑](\d{1,5}|A\d{1,4})" + R)
def supreme_docket(m: re.Match[str]) -> Found:
    # Only with the Supreme Court in the neighbourhood (checked by the caller's context).
    return Found(
        "docket",
        f"scotus:{m.group(1)}-{m.group(2)}",
        m.start(),
        m.end(),
        "US",
        "scotus",
        needs="supreme",
    )


NLRB_KINDS = ("CA", "CB", "CC", "CD", "CE", "CG", "CP", "RC", "RD", "RM", "UC", "UD", "AC")


@recogniser(
    L + rf"(\d{{2}})-({'|'.join(NLRB_KINDS)})-(\d{{5,6}})" + R,
    hints=tuple(f"-{k}-" for k in NLRB_KINDS),
)
def nlrb_case(m: re.Match[str]) -> Found:
    region, kind, number = m.groups()
    return _found(m, "nlrb_case", f"{region}-{kind}-{int(number):06d}", jurisdiction="US")


# -- US federal rules ------------------------------------------------------------------------


@recogniser(L + rf"({YEAR})-(\d{{5}})" + R)
def fr_document(m: re.Match[str]) -> Found:
    return _found(m, "fr_document", f"{m.group(1)}-{m.group(2)}", jurisdiction="US")


@recogniser(L + r"(\d{1,2})\s+(?:FR|Fed\.\s?Reg\.)\s+(\d{1,6})" + R, hints=("FR", "Fed."))
def fr_citation(m: re.Match[str]) -> Found:
    return _found(m, "fr_citation", f"{int(m.group(1))} FR {int(m.group(2))}", jurisdiction="US")


@recogniser(
    L + r"(\d{1,2})\s+C\.?F\.?R\.?\s+(?:(?:Parts?|part|pt\.)\s+|§+\s*)?(\d{1,4}(?:\.\d{1,5})?)" + R,
    hints=("CFR", "C.F.R", "CF.R", "C.FR"),
)
def cfr(m: re.Match[str]) -> Found:
    return _found(m, "cfr", f"{int(m.group(1))} CFR {m.group(2)}", jurisdiction="US")


AGENCY = r"[A-Z]{2,6}"


@recogniser(L + rf"({AGENCY})-({YEAR})-(\d{{4}})(?:-(\d{{4}}))?" + R, hints=("-19", "-20"))
def reg_docket(m: re.Match[str]) -> Found | None:
    agency, year, number, document = m.groups()
    if agency in {"ISO", "RFC", "CVE", "SB", "HB", "AB"}:
        return None
    # A document id (docket plus a four-digit suffix) names its docket.
    return Found("reg_docket", f"{agency}-{year}-{number}", m.start(), m.end(), "US")


@recogniser(
    r"(?<![\w.])(?:Executive\s+Order|E\.\s?O\.|EO)\s+(?:No\.\s*|#\s*)?(1[0-5]\d{3})" + R,
    re.IGNORECASE,
    hints=("rder", "RDER", "E.", "EO", "eo", "Eo", "eO"),
)
def executive_order(m: re.Match[str]) -> Found:
    return _found(m, "executive_order", f"EO {m.group(1)}", jurisdiction="US")


# -- US legislation -------------------------------------------------------------------------

FEDERAL_BILL_TYPES = {
    "hr": "hr",
    "hres": "hres",
    "hjres": "hjres",
    "hconres": "hconres",
    "s": "s",
    "sres": "sres",
    "sjres": "sjres",
    "sconres": "sconres",
}


@recogniser(
    r"(?<![\w.])(H\.\s?R\.|H\.\s?Res\.|H\.\s?J\.\s?Res\.|H\.\s?Con\.\s?Res\.|S\.\s?Res\.|"
    r"S\.\s?J\.\s?Res\.|S\.\s?Con\.\s?Res\.|S\.|HR)\s?(\d{1,5})" + R,
    hints=("H.", "S.", "HR"),
)
def federal_bill(m: re.Match[str]) -> Found:
    kind = re.sub(r"[.\s]", "", m.group(1)).lower()
    return Found(
        "bill",
        f"{FEDERAL_BILL_TYPES[kind]}-{int(m.group(2))}",
        m.start(),
        m.end(),
        "US",
        needs="congress",
    )


@recogniser(
    r"(?<![\w.])(?:Pub(?:lic|\.)\s?L(?:aw|\.)|P\.\s?L\.)\s+(?:No\.\s*)?(\d{2,3})[-‑–](\d{1,3})" + R,
    hints=("Pub", "P."),
)
def public_law(m: re.Match[str]) -> Found:
    return _found(m, "public_law", f"PL {int(m.group(1))}-{int(m.group(2))}", jurisdiction="US")


STATE_BILL_TYPES = {
    "sb": "SB", "senatebill": "SB", "ab": "AB", "assemblybill": "AB", "hb": "HB",
    "housebill": "HB", "sf": "SF", "hf": "HF", "ld": "LD", "sjr": "SJR", "hjr": "HJR",
}  # fmt: skip


@recogniser(
    r"(?<![\w.\-])(S\.?\s?B\.?|A\.?\s?B\.?|H\.?\s?B\.?|S\.?F\.?|H\.?F\.?|LD|SJR|HJR|"
    r"Senate\s+Bill|Assembly\s+Bill|House\s+Bill)\s?(?:No\.\s*)?((?:\d{2}-)?\d{1,5})" + R
)
def state_bill(m: re.Match[str]) -> Found:
    kind = STATE_BILL_TYPES[re.sub(r"[.\s]", "", m.group(1)).lower()]
    return Found("state_bill", f"{kind} {m.group(2)}", m.start(), m.end(), needs="state")


# -- EU and UK -------------------------------------------------------------------------------

EU_TYPES = {"regulation": "R", "directive": "L", "decision": "D"}


@recogniser(
    r"\b(Regulation|Directive|Decision)\s+(?:\((?:EU|EC|EEC|EU,\s?Euratom)\)\s+)?(?:No\.?\s*)?"
    r"(\d{2,4})/(\d{1,4})(?:/(EU|EC|EEC))?" + R,
    hints=("Regulation", "Directive", "Decision"),
)
def eu_act(m: re.Match[str]) -> Found | None:
    kind, first, second, suffix = m.groups()
    letter = EU_TYPES[kind.lower()]
    # Since 2015 the year comes first (2024/1689); before, a regulation was number/year
    # (1025/2012) and a directive year/number (2001/29/EC).
    if len(first) == 4 and (not suffix or letter != "R") and int(first) >= 1958:
        year, number = first, second
    elif len(second) == 4:
        year, number = second, first
    else:
        return None
    if not 1958 <= int(year) <= 2049:
        return None
    return Found("celex", f"3{year}{letter}{int(number):04d}", m.start(), m.end(), "EU")


@recogniser(L + r"(3(?:19[5-9]\d|20[0-4]\d)[RLD]\d{4})" + R)
def celex(m: re.Match[str]) -> Found:
    return _found(m, "celex", m.group(1), jurisdiction="EU")


@recogniser(
    L + rf"({YEAR}|19[5-9]\d)/(\d{{4}})\s?\((COD|CNS|APP|NLE|INI|INL|BUD|DEC)\)", hints=("(",)
)
def eu_procedure(m: re.Match[str]) -> Found:
    return _found(m, "eu_procedure", f"{m.group(1)}/{m.group(2)}({m.group(3)})", jurisdiction="EU")


@recogniser(
    r"(?<![\w])(ukpga|uksi|asp|ssi|wsi|nisr|anaw|asc|nia|ukla)/(\d{4})/(\d{1,5})" + R, hints=("/",)
)
def uk_act(m: re.Match[str]) -> Found:
    return _found(m, "uk_act", f"{m.group(1)}/{m.group(2)}/{int(m.group(3))}", jurisdiction="GB")
