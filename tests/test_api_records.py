"""Record-only API sources (`follow: false`) store a readable text built from their fields.

Regulations.gov and Congress.gov list documents and bills with a title and facts but no
summary; before, every record failed with "index record has no summary text". The
catalogue's own entries for them are crawled here against a local server whose answers
use the field names the two APIs document (Regulations.gov v4 `documents`, Congress.gov
v3 `bill`). The records are written for this test.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
import yaml

from crawlers import DATA
from tests.conftest import run_aitrack

REGULATIONS = {
    "data": [
        {
            "id": "FTC-2026-0042-0001",
            "type": "documents",
            "attributes": {
                "title": "Automated decision tools in consumer lending: proposed trade rule",
                "documentType": "Proposed Rule",
                "agencyId": "FTC",
                "docketId": "FTC-2026-0042",
                "postedDate": "2026-11-20T05:00:00Z",
                "commentEndDate": "2027-01-20T04:59:59Z",
                "frDocNum": "2026-21234",
                "lastModifiedDate": "2026-11-21T10:00:00Z",
            },
            "links": {"self": "https://api.regulations.gov/v4/documents/FTC-2026-0042-0001"},
        },
        {
            "id": "NIST-2026-0007-0003",
            "type": "documents",
            "attributes": {
                "title": "Request for information on evaluating artificial intelligence models",
                "documentType": "Notice",
                "agencyId": "NIST",
                "docketId": "NIST-2026-0007",
                "postedDate": "2026-11-18T05:00:00Z",
                "commentEndDate": None,
                "frDocNum": None,
                "lastModifiedDate": "2026-11-18T12:00:00Z",
            },
            "links": {"self": "https://api.regulations.gov/v4/documents/NIST-2026-0007-0003"},
        },
    ],
    "meta": {"totalElements": 2, "pageNumber": 1, "pageSize": 100},
}
CONGRESS = {
    "bills": [
        {
            "congress": 119,
            "type": "HR",
            "number": "4821",
            "title": "Algorithmic Hiring Transparency Act",
            "originChamber": "House",
            "originChamberCode": "H",
            "latestAction": {
                "actionDate": "2026-11-18",
                "text": "Sent to the Committee on Education and the Workforce for review.",
            },
            "updateDate": "2026-11-19",
            "url": "https://api.congress.gov/v3/bill/119/hr/4821?format=json",
        }
    ],
    "pagination": {"count": 1},
}


def catalogue_entries(slugs: list[str], base: str) -> list[dict]:
    """The catalogue's own entries, pointed at the local server."""
    doc = yaml.safe_load((DATA / "sources.yaml").read_text(encoding="utf-8"))
    entries = [e for e in doc["sources"] if e["slug"] in slugs]
    for entry in entries:
        entry["urls"] = [
            u.replace("https://api.regulations.gov", base).replace("https://api.congress.gov", base)
            for u in entry["urls"]
        ]
    return entries


def test_record_only_api_sources_store_text_built_from_their_fields(
    tmp_path: Path, site_server
) -> None:
    root = site_server.root
    (root / "v4").mkdir()
    (root / "v4" / "documents").write_text(json.dumps(REGULATIONS))
    (root / "v3").mkdir()
    (root / "v3" / "bill").write_text(json.dumps(CONGRESS))
    sources = tmp_path / "sources.yaml"
    entries = catalogue_entries(["regulations-gov-ai", "congress-gov-bills"], site_server.base_url)
    assert len(entries) == 2
    sources.write_text(yaml.safe_dump({"sources": entries}))
    db_path = tmp_path / "a.db"
    result = run_aitrack(
        "crawl",
        "--sources",
        str(sources),
        "--db",
        str(db_path),
        env={"API_DATA_GOV_KEY": "test-key"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite_utils.Database(db_path)
    rows = {r["url"].rsplit("/", 1)[1]: r for r in db["articles"].rows}
    assert set(rows) == {"FTC-2026-0042-0001", "NIST-2026-0007-0003", "4821?format=json"}

    ftc = rows["FTC-2026-0042-0001"]
    assert ftc["title"] == REGULATIONS["data"][0]["attributes"]["title"]
    for fact in (
        "Type: Proposed Rule.",
        "Agency: FTC.",
        "Docket: FTC-2026-0042.",
        "Comments close: 2027-01-20T04:59:59Z.",
        "Federal Register document number: 2026-21234.",
    ):
        assert fact in ftc["body"], (fact, ftc["body"])
    assert ftc["body"].startswith("Automated decision tools in consumer lending")
    # A fact the record leaves empty is left out, not written as "None".
    nist = rows["NIST-2026-0007-0003"]
    assert "Agency: NIST." in nist["body"] and "Comments close" not in nist["body"]
    assert "None" not in nist["body"]

    bill = rows["4821?format=json"]
    assert bill["title"] == "Algorithmic Hiring Transparency Act"
    for fact in (
        "Type: HR.",
        "Bill number: 4821.",
        "Congress: 119.",
        "Origin chamber: House.",
        "Latest action: Sent to the Committee on Education and the Workforce for review.",
        "Latest action date: 2026-11-18.",
    ):
        assert fact in bill["body"], (fact, bill["body"])
    run = next(db["crawl_runs"].rows)
    stats = json.loads(run["stats"])["sources"]
    assert all(s["ok"] and not s["failures"] for s in stats.values()), stats
