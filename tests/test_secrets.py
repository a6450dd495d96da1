"""No key from the environment is stored, logged, archived or served (issue 12, item 4).

Three API sources on a real 127.0.0.1 server take their keys from the environment: two in
the query string (`api_key=${API_DATA_GOV_KEY}`, as Regulations.gov and Congress.gov do)
and one in a header (`X-Api-Key: ${HDR_TOKEN}`). The server checks the keys, echoes them
back in its `next` links and in a record's URL (api.data.gov's links carry `api_key=`),
and fails some requests, so that error messages and retries are logged. The real CLI
crawls twice (INFO, then DEBUG) with a WARC archive; then every byte of the database, its
WAL (also copied while the crawl runs), the logs and the gunzipped archive is searched
for the keys' random parts, which any encoding of them keeps.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import sqlite_utils

from crawlers.check import check_source
from crawlers.sources import load_sources
from pipelines.redaction import Redactor, redact_logs
from tests.conftest import AITRACK, ROOT, write_sources
from tests.faultserver import FAST_SETTINGS, good_html
from tests.httpbase import QuietHandler

API_CORE = secrets.token_hex(16)
API_KEY = f"k{API_CORE}"  # api.data.gov keys are letters and digits
HDR_CORE = secrets.token_hex(12)
HDR_TOKEN = f"T{HDR_CORE}+/="  # a token that URL-encoding changes
AI_TEXT = (
    "The agency proposed rules on artificial intelligence systems used in hiring, and "
    "asked the public to comment on how automated decisions should be explained."
)


class KeyedApi(QuietHandler):
    """An API that wants its keys, echoes them in `next` links, and fails some pages."""

    server: KeyedApiServer

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.server.lock:
            self.server.seen.append((self.path, dict(self.headers.items())))
        base = self.server.base_url
        if parts.path == "/robots.txt":
            return self.send(200, b"User-agent: *\nDisallow:\n", "text/plain")
        if parts.path == "/regs":
            if query.get("api_key") != API_KEY:
                return self.send(403, b'{"error": "API_KEY_INVALID"}', "application/json")
            page = int(query.get("page", "1"))
            if page == 3:
                return self.send(500, b"upstream error", "text/plain")
            records = [
                {
                    "links": {"self": f"/regs/doc/{page}-{n}"},
                    "attributes": {
                        "title": f"AI rule {page}-{n}",
                        "summary": AI_TEXT,
                        "postedDate": "2024-05-0{n}",
                    },
                }
                for n in (1, 2)
            ]
            # A self link that carries the key, as some APIs hand them out.
            records.append(
                {
                    "links": {"self": f"/regs/doc/{page}-9?api_key={API_KEY}"},
                    "attributes": {"title": "Keyed link", "summary": AI_TEXT},
                }
            )
            # api.data.gov's next links repeat the api_key they were called with.
            doc = {"data": records, "links": {"next": f"/regs?page={page + 1}&api_key={API_KEY}"}}
            return self.json(doc)
        if parts.path == "/bills":
            if query.get("api_key") != API_KEY:
                return self.send(403, b'{"error": "API_KEY_INVALID"}', "application/json")
            if self.headers.get("If-None-Match") == '"bills-v1"':
                return self.send(304, b"", "application/json", {"ETag": '"bills-v1"'})
            bills = [{"url": f"/page/{n}.html", "title": f"Bill {n}"} for n in (1, 2)]
            return self.json({"bills": bills, "pagination": {"next": None}}, {"ETag": '"bills-v1"'})
        if parts.path == "/hdr":
            if self.headers.get("X-Api-Key") != HDR_TOKEN:
                return self.send(401, b'{"detail": "bad token"}', "application/json")
            page = int(query.get("page", "1"))
            results = [
                {"absolute_url": f"/hpage/{page}{n}.html", "caseName": "Doe v. AI"} for n in (1, 2)
            ]
            # The token comes back in URLs, URL-encoded: in the next link, and in a
            # link to a page that is gone (a failure, logged and recorded).
            token = quote(HDR_TOKEN, safe="")
            results.append({"absolute_url": f"/missing.html?token={token}", "caseName": "Gone"})
            nxt = f"{base}/hdr?page=2&token={token}" if page == 1 else None
            return self.json({"results": results, "next": nxt})
        if parts.path == "/hop":  # moved to another site (the test's second server)
            return self.send(302, b"", extra={"Location": f"{self.server.elsewhere}/hdr"})
        if parts.path.startswith(("/page/", "/hpage/")):
            return self.send(200, good_html(int(parts.path.rsplit("/", 1)[1].split(".")[0])))
        return self.send(404, b"not found", "text/plain")

    def json(self, doc: object, extra: dict[str, str] | None = None) -> None:
        self.send(200, json.dumps(doc).encode(), "application/json", extra)


class KeyedApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), KeyedApi)
        self.lock = threading.Lock()
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.elsewhere = ""  # where /hop redirects

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def start_keyed_api() -> KeyedApiServer:
    server = KeyedApiServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def keyed_api() -> Iterator[KeyedApiServer]:
    server = start_keyed_api()
    yield server
    server.shutdown()


def entries(base: str) -> list[str]:
    return [
        "slug: regs\n    name: R\n    kind: api\n    requires_env: [API_DATA_GOV_KEY]\n"
        f'    urls: ["{base}/regs?page=1&api_key=${{API_DATA_GOV_KEY}}"]\n'
        "    api: {items: data, next_page: links.next, follow: false, fields: {url: links.self, "
        "title: attributes.title, published: attributes.postedDate, summary: attributes.summary}}",
        "slug: bills\n    name: B\n    kind: api\n    requires_env: [API_DATA_GOV_KEY]\n"
        f'    urls: ["{base}/bills?format=json&api_key=${{API_DATA_GOV_KEY}}"]\n'
        "    api: {items: bills, next_page: pagination.next, fields: {url: url, title: title}}",
        "slug: hdr\n    name: H\n    kind: api\n    requires_env: [HDR_TOKEN]\n"
        f"    urls: [{base}/hdr]\n"
        '    headers: {X-Api-Key: "${HDR_TOKEN}"}\n'
        "    api: {items: results, next_page: next, fields: {url: absolute_url, title: caseName}}",
    ]


def crawl(sources: Path, db: Path, archive: Path, *extra: str) -> tuple[int, str, int, set[str]]:
    """One run of the real CLI: its status, its output, and how many copies of the WAL
    were taken while it ran with which secrets in them (the run folds the WAL back
    into the database before it exits, so the final file alone would prove little)."""
    proc = subprocess.Popen(
        [
            *AITRACK,
            "crawl",
            "--sources",
            str(sources),
            "--db",
            str(db),
            "--archive",
            str(archive),
            *FAST_SETTINGS,
            "-sAITRACK_DB_BATCH=1",
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "API_DATA_GOV_KEY": API_KEY, "HDR_TOKEN": HDR_TOKEN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out: list[bytes] = []
    collector = threading.Thread(target=lambda: out.extend(proc.communicate(timeout=120)))
    collector.start()
    wal, looks, in_wal = Path(f"{db}-wal"), 0, set()
    while collector.is_alive():
        try:
            in_wal.update(leaks(wal.read_bytes()))
            looks += 1
        except OSError:
            pass  # not created yet, or just removed
        time.sleep(0.02)
    collector.join()
    return proc.returncode, (out[0] + out[1]).decode("utf-8", "replace"), looks, in_wal


def leaks(data: bytes) -> list[str]:
    """Which secrets' random parts occur in `data` (any encoding keeps them whole)."""
    return [
        name
        for name, core in (("API key", API_CORE), ("header token", HDR_CORE))
        if core.encode() in data
    ]


def test_no_key_is_stored_logged_or_archived(tmp_path, keyed_api) -> None:
    sources = write_sources(tmp_path / "s.yaml", entries(keyed_api.base_url))
    db, archive = tmp_path / "k.db", tmp_path / "archive"
    code, log_info, looks, wal_info = crawl(sources, db, archive)
    code2, log_debug, _, wal_debug = crawl(sources, db, archive, "-sLOG_LEVEL=DEBUG")

    # The crawl worked, with the keys: the server saw them, and articles were stored.
    assert code == 1 and code2 == 1, log_info[-3000:]  # regs fails on its page 3
    seen = keyed_api.seen
    assert any(f"api_key={API_KEY}" in path for path, _ in seen if path.startswith("/regs?"))
    assert any(f"api_key={API_KEY}" in path for path, _ in seen if path.startswith("/bills?"))
    assert any(h.get("X-Api-Key") == HDR_TOKEN for path, h in seen if path.startswith("/hdr"))
    assert any(path.startswith("/hdr?page=2&token=") for path, _ in seen)
    assert any(path.startswith("/regs?page=3") for path, _ in seen)
    counts = dict(
        sqlite_utils.Database(db).execute("select source, count(*) from articles group by 1")
    )
    assert counts["regs"] == 6 and counts["bills"] == 2 and counts["hdr"] == 4, counts
    # No article page was sent the keyed index URL as its Referer.
    assert not [h.get("Referer") for _, h in seen if leaks((h.get("Referer") or "").encode())]
    # The second run asked /bills conditionally: its validators were saved under the
    # template and found again under it.
    assert any(h.get("If-None-Match") == '"bills-v1"' for p, h in seen if p.startswith("/bills"))

    store = sqlite_utils.Database(db)
    regs = store["sources"].get("regs")
    assert regs["url"].endswith("api_key=${API_DATA_GOV_KEY}")
    assert json.loads(regs["urls"]) == [regs["url"]]
    validators = [r["url"] for r in store["http_validators"].rows]
    assert any(u.endswith("/bills?format=json&api_key=${API_DATA_GOV_KEY}") for u in validators)
    runs = [json.loads(r["stats"]) for r in store["crawl_runs"].rows]
    failures = [f for run in runs for f in run["sources"]["regs"]["failures"]]
    assert any("page=3&api_key=${API_DATA_GOV_KEY}" in f["url"] for f in failures), failures
    failures = [f for run in runs for f in run["sources"]["hdr"]["failures"]]
    assert any(f["url"].endswith("/missing.html?token=${HDR_TOKEN}") for f in failures), failures
    # Errors and fetched URLs were logged, with the keys' names where their values were.
    assert "Gave up retrying" in log_info and "DEBUG" in log_debug
    for log in (log_info, log_debug):
        assert "page=3&api_key=${API_DATA_GOV_KEY}" in log
        assert "token=${HDR_TOKEN}" in log
    assert "Crawled (200) <GET http" in log_debug
    store.close()

    found = {}
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            found[str(path.relative_to(tmp_path))] = leaks(data)
    warc = gzip.decompress((archive / "000001-regs.warc.gz").read_bytes())
    assert b"api_key=${API_DATA_GOV_KEY}" in warc  # the echoed next link, redacted
    for name, text in (("log at INFO", log_info), ("log at DEBUG", log_debug)):
        found[name] = leaks(text.encode())
    found["WAL while crawling"] = sorted(wal_info | wal_debug)
    assert looks > 5  # the WAL was looked at while the crawl ran
    assert not {name: what for name, what in found.items() if what}


def test_a_redactor_replaces_a_value_in_every_encoding() -> None:
    redact = Redactor({"TOKEN": "a b+/=", "KEY": "k1"})
    for form in ("a b+/=", "a%20b%2B%2F%3D", "a+b%2B%2F%3D", "a%20b%2b%2f%3d", "a%20b+/="):
        assert redact(f"x?t={form}&k=k1") == "x?t=${TOKEN}&k=${KEY}", form
    assert redact.redact_bytes(b'{"next": "?t=a%20b%2B%2F%3D"}') == b'{"next": "?t=${TOKEN}"}'
    assert not Redactor({}) and Redactor({})("k1") == "k1"


def test_log_records_are_redacted_whatever_prints_them() -> None:
    """In-process: the record factory redacts the message, its arguments and the
    traceback, for a handler installed after it (as Scrapy installs its own)."""
    previous = logging.getLogRecordFactory()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("aitrack.test.redaction")
    logger.addHandler(handler)
    try:
        source = type("S", (), {"secrets": {"API_DATA_GOV_KEY": API_KEY}})()
        redact_logs([source])
        logger.warning("GET %s failed", f"http://h/x?api_key={API_KEY}")
        try:
            raise ValueError(f"bad url http://h/y?api_key={API_KEY}")
        except ValueError:
            logger.exception("crashed")
    finally:
        logging.setLogRecordFactory(previous)
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert API_CORE not in text
    assert "x?api_key=${API_DATA_GOV_KEY} failed" in text
    assert "ValueError: bad url http://h/y?api_key=${API_DATA_GOV_KEY}" in text


def test_sources_check_sends_the_key_and_prints_the_template(tmp_path, keyed_api) -> None:
    path = write_sources(
        tmp_path / "s.yaml",
        [
            "slug: regs\n    name: R\n    kind: api\n"
            f'    urls: ["{keyed_api.base_url}/regs?page=3&api_key=${{API_DATA_GOV_KEY}}"]\n'
            "    api: {items: data, fields: {url: links.self}}"
        ],
    )
    (source,) = load_sources(path, env={"API_DATA_GOV_KEY": API_KEY})
    result = check_source(source, timeout=10)
    assert result.verdict == "http-error"
    assert result.detail.endswith("/regs?page=3&api_key=${API_DATA_GOV_KEY}")
    assert any(f"api_key={API_KEY}" in path for path, _ in keyed_api.seen)


def test_a_key_header_is_not_sent_where_a_redirect_leads(tmp_path, keyed_api) -> None:
    """Scrapy drops Authorization on a redirect to another site, not X-Api-Key."""
    other = start_keyed_api()  # another origin: same address, another port
    keyed_api.elsewhere = other.base_url
    try:
        sources = write_sources(
            tmp_path / "s.yaml",
            [
                "slug: hop\n    name: H\n    kind: api\n"
                f"    urls: [{keyed_api.base_url}/hop]\n"
                '    headers: {X-Api-Key: "${HDR_TOKEN}"}\n'
                "    api: {items: results, fields: {url: absolute_url}}"
            ],
        )
        code, log, _, _ = crawl(sources, tmp_path / "h.db", tmp_path / "archive")
    finally:
        other.shutdown()
    assert [h.get("X-Api-Key") for p, h in keyed_api.seen if p == "/hop"] == [HDR_TOKEN]
    redirected = [h for p, h in other.seen if p == "/hdr"]
    assert redirected, log[-3000:]  # the redirect was followed
    assert not [h for h in redirected if "X-Api-Key" in h]
    assert code == 2 and "HTTP 401" in log  # so the other site refused it


def test_alert_credentials_are_never_stored_or_logged(tmp_path, demo_db) -> None:
    """Issue 20: the SMTP password and the webhook secret come from the environment, are
    used, and appear in no output, no database byte and no feed file: when the login is
    refused, when the webhook fails, and when both succeed."""
    import shutil

    from tests.alertservers import start_receiver, start_smtp

    password = f"P{secrets.token_hex(12)}"
    webhook_secret = f"W{secrets.token_hex(12)}"
    db = tmp_path / "alerts.db"
    shutil.copy(demo_db, db)
    smtp = start_smtp(credentials=("desk", "another password"))  # refuses ours at first
    hook = start_receiver(failures=1)
    conf = tmp_path / "alerts.yaml"
    conf.write_text(
        "subscriptions:\n"
        "  - {name: m, follow: {topic: labor}, channel: email, recipients: [d@example.org]}\n"
        f"  - {{name: w, follow: {{topic: labor}}, channel: webhook, url: '{hook.url}'}}\n"
        f"  - {{name: f, follow: {{topic: labor}}, channel: atom, path: '{tmp_path}/f.atom'}}\n"
    )
    env = {
        "AITRACK_SMTP_HOST": "127.0.0.1",
        "AITRACK_SMTP_PORT": str(smtp.port),
        "AITRACK_SMTP_TLS": "none",
        "AITRACK_SMTP_USER": "desk",
        "AITRACK_SMTP_PASSWORD": password,
        "AITRACK_WEBHOOK_SECRET": webhook_secret,
    }
    outputs = []
    try:
        for _ in range(2):
            result = subprocess.run(
                [*AITRACK, "alerts", "--db", str(db), "--config", str(conf), "--backfill"],
                cwd=ROOT,
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=60,
            )
            outputs.append(result.stdout + result.stderr)
            smtp.credentials = ("desk", password)  # the second run's login succeeds
    finally:
        smtp.shutdown()
        hook.shutdown()
    assert "refused the login" in outputs[0] and "HTTP 500" in outputs[0]
    assert "sent" in outputs[1] and len(smtp.messages) == 1 and len(hook.posts) == 2
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    stored += b"".join(m["data"] for m in smtp.messages) + b"".join(b for _, b in hook.posts)
    for value in (password, webhook_secret):
        assert value not in "".join(outputs)
        assert value.encode() not in stored
