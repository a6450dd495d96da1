"""The /coverage page and the silent-zero alarm (issue 20), on copies of the demo
database: as crawled, no source is silent; a demo source made silent (its newer half of
articles gone, as when a site's listing freezes while the others keep publishing) raises
the alarm in `aitrack status`, in the exit status of `aitrack status --check` and on
/coverage. A failed run recorded in crawl_runs shows on the page."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from statistics import median

import pytest

from tests.conftest import run_aitrack
from tests.test_site import make_datasette


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "coverage.db"
    shutil.copy(demo_db, path)
    return path


def silence(db: Path) -> str:
    """Make the busiest source that does not hold the newest article fall silent, as when
    a site's listing freezes while the others keep publishing: its articles are moved
    back in time by five of its median gaps and a month, so its own rhythm is kept and
    its silence is far longer than the alarm's four intervals; returns its slug."""
    conn = sqlite3.connect(db)
    slug = conn.execute(
        "select source from articles group by source having max(published_day) < "
        "(select max(published_day) from articles) order by count(*) desc, source limit 1"
    ).fetchone()[0]
    days = sorted(
        {
            date.fromisoformat(r[0])
            for r in conn.execute(
                "select published_day from articles where source = ? and published_day is not null",
                [slug],
            )
        }
    )
    gap = median((b - a).days for a, b in zip(days, days[1:], strict=False))
    shift = f"-{int(5 * gap) + 30} days"
    conn.execute("delete from articles where source = ? and published_at is null", [slug])
    conn.execute(
        "update articles set published_day = date(published_day, ?), published_at = "
        "date(published_at, ?) || substr(published_at, 11) where source = ?",
        [shift, shift, slug],
    )
    conn.commit()
    conn.close()
    return slug


async def coverage_html(db: Path) -> str:
    response = await make_datasette(db).client.get("/coverage")
    assert response.status_code == 200
    return response.text


async def test_the_demo_as_crawled_raises_no_alarm(db: Path) -> None:
    status = run_aitrack("status", "--db", str(db), "--check")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "SILENT" not in status.stdout
    page = await coverage_html(db)
    assert "silent-summary" not in page and "silent-zero" not in page
    conn = sqlite3.connect(db)
    for slug, n in conn.execute("select source, count(*) from articles group by source"):
        assert f'id="source-{slug}"' in page
        assert f'?source={slug}">{n}</a>' in page
    conn.close()


async def test_a_silent_demo_source_raises_the_alarm(db: Path) -> None:
    slug = silence(db)
    plain = run_aitrack("status", "--db", str(db))
    assert plain.returncode == 0  # only --check turns it into a status
    check = run_aitrack("status", "--db", str(db), "--check")
    assert check.returncode == 1, check.stdout
    silent_lines = [line for line in check.stdout.splitlines() if "SILENT" in line]
    assert len(silent_lines) == 1 and slug in silent_lines[0]
    assert "silent-zero: no article for" in silent_lines[0]
    assert "FLAGGED or SILENT" in check.stderr
    page = await coverage_html(db)
    assert f'class="cov-source silent" id="source-{slug}"' in page
    assert page.count('class="cov-source silent"') == 1
    assert "silent-summary" in page


async def test_failed_runs_languages_and_zero_filled_weeks(db: Path) -> None:
    conn = sqlite3.connect(db)
    slug = conn.execute("select slug from sources order by slug limit 1").fetchone()[0]
    stats = {"sources": {slug: {"ok": False, "error": "index failed (http_503): HTTP 503"}}}
    conn.execute(
        "insert into crawl_runs (started_at, status, stats) values (?, 'partial', ?)",
        ["2026-11-01T06:00:00+00:00", json.dumps(stats)],
    )
    conn.execute(
        "update articles set language = 'fr' where id in (select id from articles "
        "where source = ? order by id limit 1)",
        [slug],
    )
    conn.commit()
    total = conn.execute("select count(*) from articles where source = ?", [slug]).fetchone()[0]
    conn.close()
    page = await coverage_html(db)
    section = page.split(f'id="source-{slug}"', 1)[1].split("</section>", 1)[0]
    assert "index failed (http_503): HTTP 503" in section
    assert f"fr {round(100 / total)}%" in section
    # Every week is there, zeros included: 26 bars, Mondays 7 days apart.
    weeks = [
        line.split("week of ")[1][:10] for line in section.split("title=")[1:] if "week of " in line
    ]
    assert len(weeks) == 26
    mondays = [date.fromisoformat(w) for w in weeks]
    assert all(b - a == timedelta(days=7) for a, b in zip(mondays, mondays[1:], strict=False))
    assert 'class="zero"' in section
