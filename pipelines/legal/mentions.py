"""One identifier found in a text: what it is, its canonical id, and where it was."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# The kinds of legal object, each with the shape of its canonical id.
KINDS = {
    "case": "a case name, corporate suffixes dropped: 'Kadrey v. Meta Platforms'",
    "docket": "court:number, court when the context names it: 'cand:3:23-cv-03417'",
    "fr_document": "a Federal Register document number: '2023-24283'",
    "fr_citation": "a Federal Register citation: '88 FR 75191'",
    "cfr": "a CFR title and part or section: '16 CFR 310'",
    "reg_docket": "a Regulations.gov docket id: 'COLC-2023-0006'",
    "executive_order": "'EO 14110'",
    "bill": "a federal bill with its Congress: '118-hr-5628'",
    "public_law": "'PL 119-12'",
    "state_bill": "state and bill: 'CA SB 1047', 'CO SB 24-205'",
    "celex": "an EU act's CELEX number: '32024R1689'",
    "eu_procedure": "an EU legislative procedure: '2021/0106(COD)'",
    "uk_act": "a legislation.gov.uk id: 'ukpga/2023/50'",
    "nlrb_case": "an NLRB case number: '19-CA-090932'",
}


@dataclass(frozen=True)
class LegalMention:
    kind: str
    id: str  # canonical: the same object gets the same id however it is written
    text: str  # the text as written (the evidence)
    start: int  # the span in the text it was found in
    end: int
    jurisdiction: str | None = None  # US, US-CA, EU, GB ...
    court: str | None = None  # CourtListener court id, when the context names the court

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def article_text(title: str | None, body: str) -> str:
    """The text the recognisers read for an article: title, blank line, body. Spans
    stored for an article are offsets in this string."""
    return f"{title}\n\n{body}" if title else body
