"""The command line as users call it: output shape, exit codes, one-line errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from crawlers import DATA
from tests.conftest import run_aitrack, start_serve

PAGE = DATA / "demo/site/civic-ledger/2024/05/18/colorado-ai-act-signed.html"
EXTRACT_KEYS = {
    "url",
    "canonical_url",
    "title",
    "author",
    "published",
    "published_source",
    "updated",
    "language",
    "summary",
    "text",
    "image",
    "site_name",
}


def test_sources_lists_the_catalogue() -> None:
    result = run_aitrack("sources")
    assert result.returncode == 0
    assert "federal-register-ai" in result.stdout
    assert "sources," in result.stdout.splitlines()[-1]


def test_sources_check_without_network_says_so_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "sources:\n"
        "  - {slug: a, name: A, kind: feed, urls: ['http://127.0.0.1:9/x'], publisher: P,"
        " category: news, jurisdiction: US}\n"
        "  - {slug: b, name: B, kind: feed, urls: ['http://nowhere.invalid/x'], publisher: P,"
        " category: news, jurisdiction: US}\n"
    )
    result = run_aitrack("sources", "check", "--sources", str(path), "--timeout", "5")
    assert result.returncode == 1
    assert "unreachable" in result.stdout
    assert "no network access" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_extract_prints_the_promised_keys_from_a_gzip_file(tmp_path: Path) -> None:
    gz = tmp_path / "page.html.gz"
    gz.write_bytes(gzip.compress(PAGE.read_bytes()))
    result = run_aitrack("extract", str(gz), "--url", "https://example.org/a")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) >= EXTRACT_KEYS
    assert out["published"].startswith("2024-05-1") and out["text"]


def test_extract_reads_stdin_and_prints_text() -> None:
    result = run_aitrack("extract", "-", "--format", "text", stdin=PAGE.read_bytes())
    assert result.returncode == 0
    assert "Colorado" in result.stdout and "<p>" not in result.stdout


def test_extract_errors_are_one_clear_line(tmp_path: Path) -> None:
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x00binary")
    for args in (["extract", str(tmp_path / "missing.html")], ["extract", str(pdf)]):
        result = run_aitrack(*args)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("aitrack: ")


def test_a_setting_override_without_a_value_is_refused(tmp_path: Path) -> None:
    result = run_aitrack("crawl", "--db", str(tmp_path / "x.db"), "-s", "DOWNLOAD_TIMEOUT")
    assert result.returncode == 2
    assert result.stderr.strip() == "aitrack: --set expects NAME=VALUE, got 'DOWNLOAD_TIMEOUT'"
    assert not (tmp_path / "x.db").exists()


def test_tag_reads_plain_text_with_the_title_first(tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text(
        "Video game performers strike over AI protections\n"
        "SAG-AFTRA members walked off the job after bargaining on artificial intelligence "
        "consent stalled; the union said the strike would last until the studios agree.\n"
    )
    result = run_aitrack("tag", str(doc))
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert out["is_ai"] is True
    assert "labor" in [t["slug"] for t in out["topics"]]
    assert {"kind", "name", "mentions"} <= set(out["entities"][0])


def test_status_shows_runs_and_sources(demo_db: Path) -> None:
    result = run_aitrack("status", "--db", str(demo_db))
    assert result.returncode == 0
    assert " ok " in result.stdout and "civic-ledger" in result.stdout


def test_every_command_is_in_the_readme() -> None:
    readme = (DATA.parent / "README.md").read_text(encoding="utf-8")
    from crawlers.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) >= {
        "demo",
        "crawl",
        "serve",
        "extract",
        "tag",
        "retag",
        "sources",
        "status",
        "reextract",
    }
    for command in commands:
        assert f"aitrack {command}" in readme, command


def test_serve_stopped_by_sigterm_stops_datasette_too(demo_db: Path) -> None:
    """cron, systemd and our own tests stop `aitrack serve` with SIGTERM: the Datasette
    process it started must not be left running (it was, holding its port)."""
    import signal
    import time

    proc, _base = start_serve(demo_db)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert children, "aitrack serve started no Datasette process"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in children)
