"""`aitrack release` while a crawl writes (issue 20): a thread commits an article and its
topic row in one transaction, over and over, before, during and after the real CLI takes
its snapshot. The snapshot must pass PRAGMA integrity_check, hold the counts of one
committed instant (articles and topic rows grow together, so a torn copy would show),
agree with its manifest, and the manifest's sha256 must match every file."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from tests.conftest import run_aitrack


class Writer(threading.Thread):
    """A stand-in for a crawl's writer: commits (article, topic row) pairs in WAL mode."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db, self.stop, self.committed = db, threading.Event(), [0]

    def run(self) -> None:
        conn = sqlite3.connect(self.db, timeout=30)
        conn.execute("pragma journal_mode = wal")
        n = 0
        while not self.stop.is_set():
            n += 1
            with conn:
                conn.execute(
                    "insert into articles (id, url, source, title, body, content_hash, "
                    "cluster_id, first_seen_at, published_day) values (?, ?, 'civic-ledger', "
                    "'Concurrent', 'A body written during the release.', 'h', ?, "
                    "'2026-01-01T00:00:00+00:00', '2026-01-01')",
                    [f"c{n:015x}", f"http://w.test/{n}", f"c{n:015x}"],
                )
                conn.execute(
                    "insert into article_topics (article_id, topic, score, evidence) "
                    "values (?, 'labor', 1.0, '[]')",
                    [f"c{n:015x}"],
                )
            self.committed.append(n)
            time.sleep(0.002)
        conn.close()


def counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    out = (
        conn.execute("select count(*) from articles").fetchone()[0],
        conn.execute("select count(*) from article_topics").fetchone()[0],
    )
    conn.close()
    return out


def test_release_while_a_crawl_writes(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    shutil.copy(demo_db, db)
    base_articles, base_topics = counts(db)
    writer = Writer(db)
    writer.start()
    try:
        while len(writer.committed) < 20:
            time.sleep(0.01)
        result = run_aitrack("release", "--db", str(db), "--out", str(tmp_path / "rel"))
        before_end = len(writer.committed)
        while len(writer.committed) < before_end + 20:
            time.sleep(0.01)
    finally:
        writer.stop.set()
        writer.join(10)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "rel"
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.json"} == set(manifest["files"])
    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]

    snap = sqlite3.connect(out / "aitrack.db")
    assert snap.execute("pragma integrity_check").fetchone()[0] == "ok"
    tables = manifest["counts"]
    for table, n in tables.items():
        assert snap.execute(f"select count(*) from {table}").fetchone()[0] == n, table
    snap.close()
    # One committed instant: every pair or none of it, taken while the writer ran.
    added = tables["articles"] - base_articles
    assert added == tables["article_topics"] - base_topics
    assert 20 <= added < counts(db)[0] - base_articles
    assert added in writer.committed
    # The CSV files hold the same rows.
    for table, n in tables.items():
        with (out / "csv" / f"{table}.csv").open(newline="", encoding="utf-8") as fh:
            assert sum(1 for _ in csv.reader(fh)) == n + 1, table
    assert manifest["schema_version"]["latest"] and manifest["aitrack_version"]
    assert manifest["window"]["published_to"] == "2026-01-01"
    assert "articles" in (out / "CITATION").read_text()


def test_release_without_text_keeps_metadata_not_bodies(demo_db: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(demo_db)
    article, body, url, kept = conn.execute(
        "select id, body, url, coalesce(title, '') || coalesce(summary, '') || "
        "coalesce(ai_passages, '') || coalesce(ai_evidence, '') || coalesce((select "
        "group_concat(coalesce(passages, '') || evidence) from article_topics "
        "where article_id = a.id), '') "
        "from articles a order by length(body) desc limit 1"
    ).fetchone()
    conn.close()
    # A stretch of the body that is not also in the title, summary or the evidence (the
    # phrases and sentences that earned a tag are evidence, and stay).
    fragment = next(
        body[i : i + 60] for i in range(0, len(body) - 60, 20) if body[i : i + 60] not in kept
    )
    result = run_aitrack(
        "release", "--db", str(demo_db), "--out", str(tmp_path / "rel"), "--no-text"
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "rel"
    for path in out.rglob("*"):
        if path.is_file():
            assert fragment.encode() not in path.read_bytes(), path
    with (out / "csv" / "articles.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert "body" not in rows[0] and any(r["url"] == url for r in rows)
    with (out / "csv" / "article_topics.csv").open(newline="", encoding="utf-8") as fh:
        assert any(r["article_id"] == article and r["evidence"] for r in csv.DictReader(fh))
    snap = sqlite3.connect(out / "aitrack.db")
    assert snap.execute("select count(*) from articles where body != ''").fetchone()[0] == 0
    assert snap.execute("select count(*) from article_entities").fetchone()[0] > 0
    snap.close()


def test_release_never_overwrites(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "rel"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_aitrack("release", "--db", str(demo_db), "--out", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["rel"]  # no partial folder left
    assert (out / "keep.txt").read_text() == "mine"


def test_alerts_and_release_refuse_a_database_that_is_not_aitrack(tmp_path: Path) -> None:
    """One line, status 2, and nothing written: not the release, not a ledger."""
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table t (x)")
    conn.close()
    before = other.read_bytes()
    conf = tmp_path / "alerts.yaml"
    conf.write_text("subscriptions: []\n")
    for args in (
        ("release", "--db", str(other), "--out", str(tmp_path / "rel")),
        ("alerts", "--db", str(other), "--config", str(conf)),
        ("alerts", "--db", str(tmp_path / "missing.db"), "--config", str(conf)),
    ):
        result = run_aitrack(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, (args, result.stderr)
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts.yaml", "other.db"]
