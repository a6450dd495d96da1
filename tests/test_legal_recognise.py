"""Legal identifiers (issue 18): canonical ids, spans as evidence, context, look-alikes,
the labeled set's floor, and `aitrack legal`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pipelines.legal import recognise
from pipelines.legal.context import congress_of
from tests.conftest import run_aitrack

ROOT = Path(__file__).resolve().parent.parent


def ids(text: str, published: str | None = "2024-05-01") -> set[tuple[str, str]]:
    return {(m.kind, m.id) for m in recognise(text, published)}


def test_every_span_is_the_text_it_claims() -> None:
    text = (
        "In Kadrey v. Meta Platforms, Inc., No. 3:23-cv-03417 (N.D. Cal.), the notice "
        "2023-18624 at 88 FR 59942 and docket COLC-2023-0006 came up, as did EO 14110, "
        "16 CFR Part 310, Pub. L. 119-12, Regulation (EU) 2024/1689, 2021/0106(COD), "
        "ukpga/2023/50 and 19-CA-090932."
    )
    mentions = recognise(text, "2024-05-01")
    assert [m.kind for m in mentions] == [
        "case", "docket", "fr_document", "fr_citation", "reg_docket", "executive_order",
        "cfr", "public_law", "celex", "eu_procedure", "uk_act", "nlrb_case",
    ]  # fmt: skip
    for m in mentions:
        assert text[m.start : m.end] == m.text
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Executive Order 14110", ("executive_order", "EO 14110")),
        ("E.O. 14110", ("executive_order", "EO 14110")),
        ("88 Fed. Reg. 75191", ("fr_citation", "88 FR 75191")),
        ("47 C.F.R. § 64.1200", ("cfr", "47 CFR 64.1200")),
        ("Public Law 119-12", ("public_law", "PL 119-12")),
        ("P.L. 119-12", ("public_law", "PL 119-12")),
        ("Directive 2001/29/EC", ("celex", "32001L0029")),
        ("Regulation (EU) No 1025/2012", ("celex", "32012R1025")),
        ("CELEX 32024R1689", ("celex", "32024R1689")),
        ("document COLC-2023-0006-0001", ("reg_docket", "COLC-2023-0006")),
        ("The New York Times Co. v. Microsoft Corp.", ("case", "New York Times v. Microsoft")),
        ("NYT v. Microsoft", ("case", "New York Times v. Microsoft")),
    ],
)
def test_spellings_meet_at_one_canonical_id(text: str, expected: tuple[str, str]) -> None:
    assert ids(text) == {expected}


@pytest.mark.parametrize(
    "text",
    [
        "Call the desk at 202-555-0143 or (415) 555-0199.",
        "Bills from the 2023-2024 session died in committee.",
        "The holding at 576 U.S. 644 still stands.",
        "Two USB 3 ports; Python v3.12 only.",
        "Shipping starts 2024-10-11.",
        "The court set argument in No. 24-1234 for June.",  # no Supreme Court named
    ],
)
def test_look_alikes_yield_nothing(text: str) -> None:
    assert ids(text) == set()


def test_the_congress_comes_from_the_date_or_the_text() -> None:
    assert congress_of("2023-01-02") == 117  # the 118th sits from noon on 3 January
    assert congress_of("2023-01-03") == 118
    assert congress_of("2025-05-20") == 119
    assert ids("S. 146 passed.", "2025-05-20") == {("bill", "119-s-146")}
    assert ids("In the 118th Congress, S. 146 died.", "2025-05-20") == {("bill", "118-s-146")}
    assert ids("H.R. 5628", None) == {("bill", "hr-5628")}  # no date: no Congress


def test_a_state_bill_takes_its_state_from_the_context() -> None:
    text = "Colorado passed SB 24-205.\nIn Texas, HB 149 followed; CA SB 1047 did not."
    assert ids(text) == {
        ("state_bill", "CO SB 24-205"),
        ("state_bill", "TX HB 149"),
        ("state_bill", "CA SB 1047"),
    }
    # A newspaper is not a state.
    assert ids("The New York Times covered SB 1047 in California.") == {
        ("state_bill", "CA SB 1047")
    }


def test_a_docket_takes_its_court_only_when_one_is_named_near() -> None:
    assert ids("Filed as 1:23-cv-11195 (S.D.N.Y.).") == {("docket", "nysd:1:23-cv-11195")}
    assert ids("Filed as 1:23-cv-11195.") == {("docket", "1:23-cv-11195")}
    far = "Filed as 1:23-cv-11195.\nA separate suit is in the Southern District of New York."
    assert ids(far) == {("docket", "1:23-cv-11195")}


def test_a_case_name_loses_the_words_around_it() -> None:
    found = recognise("After Bartz v. Anthropic. Judges then ruled.", None)
    assert [(m.id, m.text) for m in found] == [("Bartz v. Anthropic", "Bartz v. Anthropic")]
    assert ids("Authors Guild v. OpenAI Inc. in Manhattan") == {("case", "Authors Guild v. OpenAI")}


def test_the_labeled_set_meets_the_targets_on_its_held_out_part() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import legal  # bench/legal.py

    test = legal.score(legal.load(legal.LABELED / "test.txt"))
    dev = legal.load(legal.LABELED / "dev.txt")
    assert len(dev) + test["sentences"] >= 200
    assert test["precision"] >= 0.97 and test["recall"] >= 0.93


def test_aitrack_legal_prints_kind_id_text_start_end(tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("The TAKE IT DOWN Act, S. 146, is Pub. L. 119-12.\n")
    result = run_aitrack("legal", str(doc), "--published", "2025-05-20")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [(o["kind"], o["id"], o["text"]) for o in out] == [
        ("bill", "119-s-146", "S. 146"),
        ("public_law", "PL 119-12", "Pub. L. 119-12"),
    ]
    assert all({"start", "end"} <= set(o) for o in out)
    piped = run_aitrack("legal", "-", stdin=doc.read_bytes())
    assert json.loads(piped.stdout)[1]["id"] == "PL 119-12"


def test_aitrack_legal_on_a_missing_file_says_so_in_one_line(tmp_path: Path) -> None:
    result = run_aitrack("legal", str(tmp_path / "nope.txt"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "nope.txt" in result.stderr and "Traceback" not in result.stderr
