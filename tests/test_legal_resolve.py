"""Resolution against official APIs (issue 18), tested against a real HTTP server on
127.0.0.1 that answers like the Federal Register v1, Regulations.gov v4 and Congress.gov
v3 APIs, with answers written here using their documented field names."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlite_utils

from pipelines.legal import federal_register, regulations_gov
from pipelines.legal.apis import LegalApi, load_apis
from pipelines.legal.resolve import resolve_all, resolve_objects
from pipelines.store import open_db
from pipelines.store.legal import ensure_object
from tests.conftest import run_aitrack
from tests.httpbase import QuietHandler

KEY = "test-key-9f2c1b7e"
FR_DEFAULT_FIELDS = {"document_number", "title", "type", "html_url", "publication_date"}
FR_DOCS = {
    "2023-18624": {
        "document_number": "2023-18624",
        "title": "Artificial Intelligence and Copyright",
        "type": "Notice",
        "html_url": "https://www.federalregister.gov/d/2023-18624",
        "publication_date": "2023-08-30",
        "agencies": [{"name": "Copyright Office, Library of Congress"}],
        "citation": "88 FR 59942",
        "comments_close_on": "2023-10-18",
        "effective_on": None,
        "docket_ids": ["Docket No. 2023-6", "COLC-2023-0006"],
        "regulations_dot_gov_info": {"docket_id": "COLC-2023-0006"},
        "dates": "Initial written comments are due by 11:59 p.m. Eastern Time on October 18, 2023.",
        "cfr_references": [],
    }
}  # fmt: skip
REGS_DOCUMENTS = [
    {
        "id": "COLC-2023-0006-0001",
        "type": "documents",
        "attributes": {
            "docketId": "COLC-2023-0006",
            "documentType": "Notice",
            "commentEndDate": "2023-10-31T03:59:59Z",  # 11:59 pm EDT on 30 October
        },
    }
]


class ApiState:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        self.throttle = False


class ApiHandler(QuietHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:  # noqa: N802
        state: ApiState = self.server.state  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        state.requests.append((url.path, query, dict(self.headers)))
        if state.throttle:
            return self.send(429, b"{}", "application/json")
        path = url.path
        if path.startswith("/fr/documents/") and path.endswith(".json"):
            doc = FR_DOCS.get(path.rsplit("/", 1)[1][: -len(".json")])
            if doc is None:
                return self.send(404, b'{"errors": ["not found"]}', "application/json")
            # Like the real API: only the default fields unless fields[] names others.
            wanted = set(query.get("fields[]", [])) or FR_DEFAULT_FIELDS
            return self.json({k: v for k, v in doc.items() if k in wanted})
        if path.startswith("/regs/"):
            if self.headers.get("X-Api-Key") != KEY:
                return self.send(403, b'{"error": "API_KEY_MISSING"}', "application/json")
            if path == "/regs/dockets/COLC-2023-0006":
                attributes = {"title": "Artificial Intelligence and Copyright", "agencyId": "COLC"}
                return self.json({"data": {"id": "COLC-2023-0006", "attributes": attributes}})
            if path == "/regs/documents":
                docket = query.get("filter[docketId]", [""])[0]
                data = [d for d in REGS_DOCUMENTS if d["attributes"]["docketId"] == docket]
                return self.json({"data": data, "meta": {"totalElements": len(data)}})
        if path == "/cl/dockets/":
            if self.headers.get("Authorization") != f"Token {KEY}":
                return self.send(401, b"{}", "application/json")
            if query.get("court") == ["cand"] and query.get("docket_number") == ["3:23-cv-03417"]:
                docket = {
                    "case_name": "Kadrey v. Meta Platforms, Inc.",
                    "docket_number": "3:23-cv-03417",
                    "court_id": "cand",
                    "date_filed": "2023-07-07",
                    "date_terminated": None,
                    "absolute_url": "/docket/1/kadrey-v-meta-platforms-inc/",
                }
                return self.json({"count": 1, "results": [docket]})
            return self.json({"count": 0, "results": []})
        if path == "/congress/bill/119/s/146":
            if self.headers.get("X-Api-Key") != KEY:
                return self.send(403, b"{}", "application/json")
            bill = {
                "title": "TAKE IT DOWN Act",
                "latestAction": {"actionDate": "2025-05-19", "text": "Became Public Law."},
                "laws": [{"number": "119-12", "type": "Public Law"}],
            }  # fmt: skip
            return self.json({"bill": bill})
        return self.send(404, b"{}", "application/json")

    def json(self, payload: object) -> None:
        self.send(200, json.dumps(payload).encode(), "application/json")


@pytest.fixture
def api() -> Iterator[tuple[str, ApiState]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ApiHandler)
    server.state = ApiState()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.state  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def catalogue(base: str) -> list[LegalApi]:
    keyed = ("API_DATA_GOV_KEY",)
    return [
        LegalApi("federal-register-v1", "FR", f"{base}/fr", ("fr_document", "executive_order")),
        LegalApi("regulations-gov-v4", "Regs", f"{base}/regs", ("reg_docket",), keyed),
        LegalApi("congress-gov-v3", "Congress", f"{base}/congress", ("bill",), keyed),
    ]


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = open_db(tmp_path / "t.db")
    with database.conn:
        ensure_object(database, "fr_document", "2023-18624")
        ensure_object(database, "bill", "119-s-146")
    return database


def deadline(db: sqlite_utils.Database, key: str, kind: str = "comments_close") -> tuple:
    return db.execute(
        "select date, time_zone, source, evidence from deadlines where object_key = ? and kind = ?",
        [key, kind],
    ).fetchone()


def test_the_federal_register_is_asked_for_the_fields_it_hides(db, api) -> None:
    base, state = api
    report = resolve_objects(db, catalogue(base), env={})
    path, query, _ = state.requests[0]
    assert path == "/fr/documents/2023-18624.json"
    assert {"comments_close_on", "effective_on", "docket_ids", "regulations_dot_gov_info"} <= set(
        query["fields[]"]
    )
    assert deadline(db, "fr_document:2023-18624")[:3] == (
        "2023-10-18",
        "America/New_York",
        "api:federal-register-v1",
    )
    row = db.execute(
        "select title, official_url, same_as from legal_objects where key = ?",
        ["fr_document:2023-18624"],
    ).fetchone()
    assert row[0] == "Artificial Intelligence and Copyright"
    assert set(json.loads(row[2])) == {"fr_citation:88 FR 59942", "reg_docket:COLC-2023-0006"}
    assert report.resolved == 1


def test_a_search_is_never_paged_past_50() -> None:
    assert "page=50" in federal_register.search_url("https://x/api/v1", [("term", "ai")], 50)
    with pytest.raises(ValueError, match="resets"):
        federal_register.search_url("https://x/api/v1", [("term", "ai")], page=51)


def test_without_a_key_the_keyed_apis_are_skipped_with_the_reason(db, api) -> None:
    base, state = api
    report = resolve_objects(db, catalogue(base), env={})
    assert any("regulations-gov-v4 needs API_DATA_GOV_KEY" in line for line in report.skipped)
    assert any("congress-gov-v3 needs API_DATA_GOV_KEY" in line for line in report.skipped)
    assert not [r for r in state.requests if r[0].startswith(("/regs", "/congress"))]
    note = db.execute(
        "select resolve_note from legal_objects where key = 'reg_docket:COLC-2023-0006'"
    ).fetchone()[0]
    assert "needs API_DATA_GOV_KEY" in note


def test_regulations_gov_end_dates_are_eastern_days_and_the_key_is_not_kept(
    db, api, tmp_path: Path
) -> None:
    base, state = api
    resolve_objects(db, catalogue(base), env={"API_DATA_GOV_KEY": KEY})
    date, zone, source, evidence = deadline(db, "reg_docket:COLC-2023-0006")
    assert (date, zone, source) == ("2023-10-30", "America/New_York", "api:regulations-gov-v4")
    assert "2023-10-31T03:59:59Z" in evidence
    assert regulations_gov.eastern_day("2024-03-06T04:59:59Z") == "2024-03-05"  # winter
    # The key went in a header, never in a URL, and is nowhere in the database.
    keyed = [r for r in state.requests if r[0].startswith("/regs")]
    assert keyed and all(r[2].get("X-Api-Key") == KEY and KEY not in str(r[1]) for r in keyed)
    db.conn.commit()
    for path in tmp_path.glob("t.db*"):
        assert KEY.encode() not in path.read_bytes()


def test_congress_gov_gives_the_bill_its_title_and_public_law(db, api) -> None:
    base, _ = api
    resolve_objects(db, catalogue(base), env={"API_DATA_GOV_KEY": KEY})
    title, same_as, url = db.execute(
        "select title, same_as, official_url from legal_objects where key = 'bill:119-s-146'"
    ).fetchone()
    assert title == "TAKE IT DOWN Act" and json.loads(same_as) == ["public_law:PL 119-12"]
    assert url == "https://www.congress.gov/bill/119th-congress/senate-bill/146"


def test_an_extension_in_the_api_replaces_the_date_and_keeps_history(db, api) -> None:
    base, _ = api
    resolve_objects(db, catalogue(base), env={})
    resolve_objects(db, catalogue(base), env={})  # cached: nothing asked, nothing added
    assert db["deadline_history"].count == 0
    FR_DOCS["2023-18624"]["comments_close_on"] = "2023-10-30"
    try:
        report = resolve_objects(db, catalogue(base), env={}, refresh_days=0)
    finally:
        FR_DOCS["2023-18624"]["comments_close_on"] = "2023-10-18"
    assert report.deadlines == {"replaced": 1}
    assert deadline(db, "fr_document:2023-18624")[0] == "2023-10-30"
    history = db.execute("select date, replaced_at from deadline_history").fetchall()
    assert [h[0] for h in history] == ["2023-10-18"]


def test_a_throttled_api_is_not_polled(db, api) -> None:
    base, state = api
    with db.conn:
        ensure_object(db, "fr_document", "2024-20529")
    state.throttle = True
    report = resolve_objects(db, catalogue(base), env={})
    assert len([r for r in state.requests if r[0].startswith("/fr")]) == 1
    assert any("throttled" in line for line in report.failures)


def test_the_curated_stages_of_the_ai_act_are_stored_once(db) -> None:
    curated = Path(__file__).parent.parent / "data/legal_deadlines.yaml"
    lines = resolve_all(db, [], curated, {})
    lines_again = resolve_all(db, [], curated, {})
    assert "new" in lines[0] and "new" not in lines_again[0]
    dates = [
        r[0]
        for r in db.execute(
            "select date from deadlines where object_key = 'celex:32024R1689' "
            "and kind = 'application' order by date"
        )
    ]
    assert dates == ["2025-02-02", "2025-08-02", "2026-08-02", "2027-08-02"]


def test_the_catalogue_is_checked_with_file_entry_and_field(tmp_path: Path) -> None:
    assert {a.slug for a in load_apis(Path(__file__).parent.parent / "data/legal_apis.yaml")} == {
        "federal-register-v1",
        "regulations-gov-v4",
        "congress-gov-v3",
        "courtlistener-v4",
    }
    bad = tmp_path / "apis.yaml"
    bad.write_text("apis:\n  - {slug: federal-register-v1, kind: feed, urls: [x]}\n")
    with pytest.raises(ValueError, match="entry 1.*kind must be api"):
        load_apis(bad)


def test_aitrack_legal_resolve_on_a_missing_database_says_so(tmp_path: Path) -> None:
    result = run_aitrack("legal-resolve", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 2 and "no database" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_api_is_given_up_for_the_run_after_one_try(db) -> None:
    with db.conn:
        ensure_object(db, "fr_document", "2024-20529")
    dead = [LegalApi("federal-register-v1", "FR", "http://127.0.0.1:9/fr", ("fr_document",))]
    report = resolve_objects(db, dead, env={})
    assert len([f for f in report.failures if "fr_document" in f]) == 1
    assert report.failures[-1] == "federal-register-v1: unreachable, stopped"
    # Nothing was marked as fetched: the next run asks again.
    assert (
        db.execute("select count(*) from legal_objects where fetched_at is not null").fetchone()[0]
        == 0
    )


def test_courtlistener_is_asked_at_most_per_run_and_names_the_case(db, api) -> None:
    base, state = api
    with db.conn:
        ensure_object(db, "docket", "cand:3:23-cv-03417")
        ensure_object(db, "docket", "nysd:1:23-cv-11195")
        ensure_object(db, "docket", "3:24-cv-05417")  # no court: never asked
    cl = [
        LegalApi("courtlistener-v4", "CL", f"{base}/cl", ("docket",), ("COURTLISTENER_TOKEN",), 1)
    ]
    report = resolve_objects(db, cl, env={"COURTLISTENER_TOKEN": KEY})
    assert len([r for r in state.requests if r[0] == "/cl/dockets/"]) == 1
    assert any("1 objects wait for the next run" in line for line in report.skipped)
    title, same_as, url = db.execute(
        "select title, same_as, official_url from legal_objects "
        "where key = 'docket:cand:3:23-cv-03417'"
    ).fetchone()
    assert title == "Kadrey v. Meta Platforms, Inc."
    assert url.endswith("/kadrey-v-meta-platforms-inc/")
    assert json.loads(same_as) == ["case:Kadrey v. Meta"]  # the id recognition gives it
    resolve_objects(db, cl, env={"COURTLISTENER_TOKEN": KEY})  # the next run: the other one
    asked = [r[1]["docket_number"][0] for r in state.requests if r[0] == "/cl/dockets/"]
    assert asked == ["3:23-cv-03417", "1:23-cv-11195"]


def test_a_host_whose_robots_txt_refuses_us_is_not_asked_even_with_a_token(tmp_path) -> None:
    """The resolvers fetch outside the crawl's robots middleware: CourtListener's
    robots.txt (data/robots_forbidden.yaml) refuses every generic agent, so its API is
    skipped with the rule, token or not, and the keyless Federal Register still runs. The
    database holds no object, so nothing is fetched either way."""
    db = tmp_path / "r.db"
    open_db(db).close()
    result = run_aitrack(
        "legal-resolve", "--db", str(db), env={"COURTLISTENER_TOKEN": "tok-5e1d9a"}
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("courtlistener-v4: skipped: refused by robots.txt") for line in lines
    ), lines
    assert not any(line.startswith("federal-register-v1: skipped") for line in lines), lines
    assert "tok-5e1d9a" not in result.stdout + result.stderr
