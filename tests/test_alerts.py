"""Alerts against real local servers (issue 20): an SMTP server that is down on the first
run and up on the second, a webhook that answers 500 once and then 200, and runs with
nothing new that send nothing. The real CLI runs as cron would, on a copy of the demo
database; what is expected is counted from the database with SQL of the test's own."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import re
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.alertservers import free_port, start_receiver, start_smtp
from tests.conftest import run_aitrack

SITE = "http://news.example.test"
USER, PASSWORD = "desk", "pw-3f9c1e7a2b"
SECRET = "whsec-8d2e4a61c0"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "alerts.db"
    shutil.copy(demo_db, path)
    return path


def config(tmp_path: Path, *entries: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(f"site: {SITE}\nsubscriptions:\n" + "".join(f"  - {e}\n" for e in entries))
    return path


def smtp_env(port: int) -> dict[str, str]:
    return {
        "AITRACK_SMTP_HOST": "127.0.0.1",
        "AITRACK_SMTP_PORT": str(port),
        "AITRACK_SMTP_TLS": "none",  # the local test server speaks plain SMTP
        "AITRACK_SMTP_USER": USER,
        "AITRACK_SMTP_PASSWORD": PASSWORD,
    }


def alerts(db: Path, conf: Path, *extra: str, env: dict[str, str] | None = None):
    return run_aitrack("alerts", "--db", str(db), "--config", str(conf), *extra, env=env)


def stories_in_topic(db: Path, topic: str) -> dict[str, set[str]]:
    """story -> article ids, for the topic's articles (what a digest must cover)."""
    conn = sqlite3.connect(db)
    out: dict[str, set[str]] = {}
    for article, cluster in conn.execute(
        "select a.id, a.story_id from articles a join article_topics t on t.article_id = a.id "
        "where t.topic = ?",
        [topic],
    ):
        out.setdefault(cluster, set()).add(article)
    conn.close()
    return out


def ledger(db: Path, name: str) -> list[str]:
    conn = sqlite3.connect(db)
    rows = [
        r[0]
        for r in conn.execute(
            "select article_id from alert_deliveries where subscription = ?", [name]
        )
    ]
    conn.close()
    return rows


def linked_articles(text: str) -> list[str]:
    return re.findall(re.escape(SITE) + r"/article/([0-9a-f]{16})", text)


def feed_articles(path: Path) -> list[str]:
    """The article of each entry of an Atom file."""
    return re.findall(r"<id>tag:aitrack,2026:article/([0-9a-f]{16})</id>", path.read_text())


def test_smtp_down_then_up_every_match_arrives_exactly_once(db: Path, tmp_path: Path) -> None:
    conf = config(
        tmp_path,
        "{name: lawsuits, follow: {topic: litigation}, channel: email, "
        "recipients: [courts@example.org]}",
    )
    port = free_port()
    down = alerts(db, conf, "--backfill", env=smtp_env(port))
    assert down.returncode == 1, down.stderr
    assert "alert lawsuits failed (email)" in down.stderr
    assert "\n" not in down.stderr.strip() and "Traceback" not in down.stderr
    assert ledger(db, "lawsuits") == []  # nothing recorded: the next run retries

    server = start_smtp(port, credentials=(USER, PASSWORD))
    try:
        up = alerts(db, conf, env=smtp_env(port))
        assert up.returncode == 0, up.stderr
        assert len(server.messages) == 1
        message = email.message_from_bytes(server.messages[0]["data"])
        assert message["To"] == "courts@example.org"
        text = message.get_payload(decode=True).decode()
        stories = stories_in_topic(db, "litigation")
        linked = linked_articles(text)
        # One line per story: every story once, and no story twice.
        clusters = [c for a in linked for c, ids in stories.items() if a in ids]
        assert len(linked) == len(clusters) == len(set(clusters)) == len(stories)
        assert sorted(ledger(db, "lawsuits")) == sorted(set().union(*stories.values()))
        # A line: headline | source | date | topics with their evidence.
        conn = sqlite3.connect(db)
        title, source, day = conn.execute(
            "select a.title, s.name, a.published_day from articles a join sources s "
            "on s.slug = a.source where a.id = ?",
            [linked[0]],
        ).fetchone()
        conn.close()
        assert f"- {title} | {source}" in text and day in text and "litigation (" in text

        again = alerts(db, conf, env=smtp_env(port))
        assert again.returncode == 0 and "nothing new" in again.stdout
        assert len(server.messages) == 1  # nothing new: nothing sent
    finally:
        server.shutdown()
        server.server_close()
    for output in (down.stdout, down.stderr, up.stdout, up.stderr):
        assert PASSWORD not in output


def test_webhook_500_once_then_200(db: Path, tmp_path: Path) -> None:
    receiver = start_receiver(failures=1)
    try:
        conf = config(
            tmp_path,
            f"{{name: labor, follow: {{topic: labor}}, channel: webhook, url: '{receiver.url}'}}",
        )
        env = {"AITRACK_WEBHOOK_SECRET": SECRET}
        first = alerts(db, conf, "--backfill", env=env)
        assert first.returncode == 1 and "HTTP 500" in first.stderr
        assert ledger(db, "labor") == []
        second = alerts(db, conf, env=env)
        assert second.returncode == 0, second.stderr
        third = alerts(db, conf, env=env)
        assert third.returncode == 0 and "nothing new" in third.stdout
        assert len(receiver.posts) == 2  # the failed one, its retry, then nothing
    finally:
        receiver.shutdown()
        receiver.server_close()
    (h1, b1), (h2, b2) = receiver.posts
    for headers, body in receiver.posts:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Aitrack-Signature"] == expected
    doc = json.loads(b2)
    assert json.loads(b1)["delivery"] == doc["delivery"] == h2["X-Aitrack-Delivery"]
    stories = stories_in_topic(db, "labor")
    assert len(doc["stories"]) == len(stories)
    sent = {c["id"] for s in doc["stories"] for c in s["copies"]}
    assert sent == set().union(*stories.values()) == set(ledger(db, "labor"))
    line = doc["stories"][0]
    assert line["link"] == f"{SITE}/article/{line['copies'][0]['id']}"
    assert {"headline", "source", "date", "topics"} <= set(line)
    assert any(t["topic"] == "labor" and t["evidence"] for t in line["topics"])
    assert SECRET.encode() not in b1 + b2 + db.read_bytes()


def test_new_subscription_starts_now_and_copies_make_one_line(db: Path, tmp_path: Path) -> None:
    server = start_smtp(credentials=(USER, PASSWORD))
    try:
        conf = config(
            tmp_path,
            "{name: regs, follow: {topic: regulation}, channel: email, recipients: [a@b.org]}",
        )
        first = alerts(db, conf, env=smtp_env(server.port))
        assert first.returncode == 0 and "starts now" in first.stdout
        assert server.messages == []  # older articles are not news to a new subscription

        # Two copies of one new story from two sources, found by a crawl after the start
        # (first_seen_at has whole seconds: a second later).
        time.sleep(1)
        conn = sqlite3.connect(db)
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        original = conn.execute(
            "select a.id from articles a join article_topics t on t.article_id = a.id "
            "where t.topic = 'regulation' limit 1"
        ).fetchone()[0]
        sources = [r[0] for r in conn.execute("select slug from sources order by slug limit 2")]
        for n, source in enumerate(sources):
            new_id = f"{n:016x}"
            conn.execute(
                "insert into articles (id, url, source, title, body, content_hash, story_id, "
                "is_ai, published_day, first_seen_at) select ?, url || ?, ?, title, body, "
                "content_hash, 987654321, is_ai, published_day, ? "
                "from articles where id = ?",
                [new_id, f"?copy={n}", source, now, original],
            )
            conn.execute(
                "insert into article_topics (article_id, topic, score, evidence, method) "
                "select ?, topic, score, evidence, method from article_topics "
                "where article_id = ?",
                [new_id, original],
            )
        conn.commit()
        conn.close()

        second = alerts(db, conf, env=smtp_env(server.port))
        assert second.returncode == 0, second.stderr
        assert len(server.messages) == 1
        text = email.message_from_bytes(server.messages[0]["data"]).get_payload(decode=True)
        assert linked_articles(text.decode()) == [f"{0:016x}"]  # one line, two copies
        assert "+1 other source" in text.decode()
        assert sorted(ledger(db, "regs")) == [f"{0:016x}", f"{1:016x}"]

        third = alerts(db, conf, env=smtp_env(server.port))
        assert third.returncode == 0 and len(server.messages) == 1
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("{name: x, follow: {topic: labor}, channel: pager}", "channel: one of"),
        ("{name: x, follow: {colour: red}, channel: atom}", "follow: 'colour'"),
        ("{name: x, follow: {topic: labor}, channel: email}", "recipients"),
        ("{name: Bad Name, follow: {topic: labor}, channel: atom}", "name:"),
    ],
)
def test_a_bad_subscriptions_file_is_one_line(db: Path, tmp_path: Path, entry, why) -> None:
    conf = config(tmp_path, entry)
    result = alerts(db, conf)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and why in result.stderr
    assert str(conf) in result.stderr and "subscription 1" in result.stderr


async def test_the_site_does_not_publish_subscriptions(db: Path) -> None:
    from tests.test_site import make_datasette

    site = make_datasette(db)
    for table in ("alert_subscriptions", "alert_deliveries"):
        response = await site.client.get(f"/aitrack/{table}")
        assert response.status_code == 403, table
    listing = (await site.client.get("/aitrack")).text
    assert "alert_subscriptions" not in listing


def test_crawl_then_alerts_in_one_command(demo_server, tmp_path: Path) -> None:
    """`aitrack crawl --alerts FILE`: a new subscription starts with the first crawl; an
    article the next crawl stores is delivered once; a third crawl sends nothing."""
    from crawlers import DATA

    feed = tmp_path / "lit.atom"
    conf = config(
        tmp_path, f"{{name: lit, follow: {{topic: litigation}}, channel: atom, path: '{feed}'}}"
    )
    db = tmp_path / "crawl.db"

    def crawl() -> str:
        result = run_aitrack(
            "crawl",
            "--sources",
            str(DATA / "demo" / "sources.yaml"),
            "--db",
            str(db),
            "--source",
            "bench-and-bar",  # one source is enough, and quick
            "--quiet",
            "--alerts",
            str(conf),
            env={"http_proxy": demo_server.base_url},
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    assert "alert lit: starts now" in crawl()
    assert not feed.exists()
    # One litigation article disappears, so the next crawl stores it anew (and reads the
    # indexes in full: their validators go too).
    conn = sqlite3.connect(db)
    gone = conn.execute(
        "select article_id from article_topics where topic = 'litigation' order by article_id"
    ).fetchone()[0]
    for table, column in (
        ("article_topics", "article_id"),
        ("article_entities", "article_id"),
        ("article_sources", "article_id"),
        ("articles", "id"),
    ):
        conn.execute(f"delete from {table} where {column} = ?", [gone])
    conn.execute("delete from http_validators")
    conn.commit()
    conn.close()
    time.sleep(1)  # first_seen_at has whole seconds: past the subscription's start
    assert "alert lit: sent 1 stories (1 articles) by atom" in crawl()
    assert feed_articles(feed) == [gone]
    again = alerts(db, conf)
    assert again.returncode == 0 and "alert lit: nothing new" in again.stdout
    assert feed_articles(feed) == [gone]


def test_crawl_with_a_bad_alerts_file_fetches_nothing(demo_server, tmp_path: Path) -> None:
    conf = config(tmp_path, "{name: x, follow: {topic: labor}, channel: fax}")
    result = run_aitrack(
        "crawl",
        "--db",
        str(tmp_path / "c.db"),
        "--alerts",
        str(conf),
        "--quiet",
        env={"http_proxy": demo_server.base_url},
    )
    assert result.returncode == 2 and "channel: one of" in result.stderr
    assert not (tmp_path / "c.db").exists()


def test_search_entity_story_and_legal_object_follows(db: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(db)
    story = conn.execute(
        "select story_id from articles group by story_id order by count(*) desc limit 1"
    ).fetchone()[0]
    expected = {
        "s": {
            r[0]
            for r in conn.execute(
                "select story_id from articles where rowid in (select rowid from articles_fts "
                "where articles_fts match 'strike')"
            )
        },
        "e": {
            r[0]
            for r in conn.execute(
                "select a.story_id from articles a join article_entities ae on ae.article_id = "
                "a.id join entities e on e.id = ae.entity_id where e.name = 'OpenAI'"
            )
        },
        "st": {story},
    }
    legal_key = conn.execute(
        "select object_key from article_legal_objects group by object_key "
        "order by count(distinct article_id) desc limit 1"
    ).fetchone()[0]
    expected["l"] = {
        r[0]
        for r in conn.execute(
            "select a.story_id from articles a join article_legal_objects l on "
            "l.article_id = a.id where l.object_key = ?",
            [legal_key],
        )
    }
    conn.close()
    assert all(expected.values())
    conf = config(
        tmp_path,
        f"{{name: s, follow: {{search: strike}}, channel: atom, path: '{tmp_path}/s.atom'}}",
        f"{{name: e, follow: {{entity: openai}}, channel: atom, path: '{tmp_path}/e.atom'}}",
        f"{{name: st, follow: {{story: '{story}'}}, channel: atom, path: '{tmp_path}/st.atom'}}",
        f"{{name: l, follow: {{legal_object: '{legal_key}'}}, channel: atom, "
        f"path: '{tmp_path}/l.atom'}}",
    )
    result = alerts(db, conf, "--backfill")
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    for name, clusters in expected.items():
        linked = feed_articles(tmp_path / f"{name}.atom")
        got = [
            conn.execute("select story_id from articles where id = ?", [a]).fetchone()[0]
            for a in linked
        ]
        assert sorted(got) == sorted(clusters), name  # each story once
    conn.close()


def test_a_redirected_webhook_is_not_delivered(db: Path, tmp_path: Path) -> None:
    """urllib would follow a 302 with a bodiless GET, which looks like a delivery."""
    from http.server import ThreadingHTTPServer
    from threading import Thread

    from tests.httpbase import QuietHandler

    class Moved(QuietHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send(302, b"", extra={"Location": "/elsewhere"})

        def do_GET(self) -> None:  # noqa: N802
            self.send(200, b"ok", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        conf = config(
            tmp_path, f"{{name: m, follow: {{topic: labor}}, channel: webhook, url: '{url}'}}"
        )
        result = alerts(db, conf, "--backfill", env={"AITRACK_WEBHOOK_SECRET": SECRET})
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 1 and "answered HTTP 302" in result.stderr
    assert ledger(db, "m") == []
