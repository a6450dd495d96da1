"""Coverage per source, and the silent-zero alarm (issue 20).

For each source: articles per week (every week, zeros included), the last successful
run, the last article's date, the usual interval between its articles against its
current silence, the share of each language, and the runs in which it failed.

A source is **silent** when it is active, has a usual interval, and has published
nothing for `SILENT_INTERVALS` of them (and at least a week): its volume dropped to zero
while its runs may still succeed (a changed page that lists nothing new, a feed frozen in
place), which the failure flags of `pipelines/store/runs.py` cannot see. Silence is
counted up to the day by which 9 in 10 active sources had last published, never past
today: a few misdated future articles cannot move it; when every source is quiet, the
whole crawl stopped, which `last_success` shows; and a database of old news (the demo's)
does not set every source off.

Plain SQL and arithmetic over one connection: `aitrack status` and the /coverage page
share it.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median

SILENT_INTERVALS = 4  # usual intervals without an article before the alarm
MIN_SILENCE_DAYS = 7  # and never less than a week (a daily source's long weekend is not it)
REFERENCE_SHARE = 0.9  # silence is counted to the day by which this share had published
MIN_ARTICLES = 4  # fewer, and there is no usual interval to speak of
RECENT_GAPS = 20  # the usual interval is the median of this many latest gaps
WEEKS = 26
FAILED_RUNS = 10  # failed runs listed per source
RUNS_READ = 200  # the runs whose stats are read for failures
LATEST_READ = 500  # latest articles read per source for its latest publishing days
LANGUAGE_SAMPLE = 1000  # language shares are of a source's latest articles


@dataclass
class SourceCoverage:
    slug: str
    name: str
    active: bool
    last_success: str | None
    last_article: str | None  # the day of its newest article
    articles: int
    usual_days: float | None  # median days between its articles
    silence_days: int | None  # days from its newest article to the reference day
    silent: bool
    weeks: list[tuple[str, int]] = field(default_factory=list)  # (Monday, count), newest first
    languages: list[tuple[str, float]] = field(default_factory=list)  # (code, share)
    failed_runs: list[dict] = field(default_factory=list)  # {run, started_at, error}
    failed_total: int = 0

    @property
    def alarm(self) -> str | None:
        if not self.silent:
            return None
        return (
            f"silent-zero: no article for {self.silence_days} days, usually one every "
            f"{self.usual_days:g} days"
        )


@dataclass
class Coverage:
    reference_day: str | None
    sources: list[SourceCoverage]

    @property
    def silent(self) -> list[SourceCoverage]:
        return [s for s in self.sources if s.silent]


def coverage(conn: sqlite3.Connection, today: date | None = None) -> Coverage:
    """Every source's coverage, silent sources first.

    Read through the (source, published_at) index, a few hundred rows per source, so the
    page stays quick on a database of millions of articles: the weeks shown, the latest
    publishing days, and the languages of the latest articles. An article without a
    publication date counts on the day it was first stored.
    """
    today = today or datetime.now(UTC).date()
    undated: dict[str, dict[str, int]] = {}
    for source, day, n in conn.execute(
        "select source, substr(first_seen_at, 1, 10), count(*) from articles "
        "where published_at is null group by 1, 2"
    ):
        if _is_day(day):
            undated.setdefault(source, {})[day] = n
    sources = conn.execute(
        "select slug, coalesce(name, slug), enabled, disabled_reason, last_success_at "
        "from sources order by slug"
    ).fetchall()
    latest = {row[0]: _latest_days(conn, row[0], undated.get(row[0], {})) for row in sources}
    reference = reference_day(
        [latest[slug][-1] for slug, _, on, off, _ in sources if on and not off and latest[slug]],
        today,
    )
    first_week = (
        (reference - timedelta(days=reference.weekday(), weeks=WEEKS - 1)).isoformat()
        if reference
        else "9999"
    )
    failures = _failed_runs(conn)
    out = []
    for slug, name, enabled, disabled, last_success in sources:
        recent = dict(undated.get(slug, {}))
        for day, n in conn.execute(
            "select coalesce(published_day, substr(published_at, 1, 10)), count(*) "
            "from articles where source = ? and published_at >= ? group by 1",
            [slug, first_week],
        ):
            if _is_day(day):
                recent[day[:10]] = recent.get(day[:10], 0) + n
        active = bool(enabled) and not disabled
        usual = usual_interval(latest[slug])
        last = latest[slug][-1] if latest[slug] else None
        silence = (reference - date.fromisoformat(last)).days if last and reference else None
        silent = bool(
            active
            and usual
            and silence is not None
            and silence >= max(SILENT_INTERVALS * usual, MIN_SILENCE_DAYS)
        )
        counts = dict(
            conn.execute(
                "select language, count(*) from (select coalesce(language, '?') as language "
                "from articles where source = ? order by published_at desc limit ?) group by 1",
                [slug, LANGUAGE_SAMPLE],
            ).fetchall()
        )
        total = sum(counts.values())
        runs = failures.get(slug, [])
        out.append(
            SourceCoverage(
                slug=slug,
                name=name,
                active=active,
                last_success=last_success,
                last_article=last,
                articles=conn.execute(
                    "select count(*) from articles where source = ?", [slug]
                ).fetchone()[0],
                usual_days=usual,
                silence_days=silence,
                silent=silent,
                weeks=weekly(recent, reference),
                languages=sorted(
                    ((lang, n / total) for lang, n in counts.items()), key=lambda x: -x[1]
                ),
                failed_runs=runs[:FAILED_RUNS],
                failed_total=len(runs),
            )
        )
    out.sort(key=lambda s: (not s.silent, s.slug))
    return Coverage(reference.isoformat() if reference else None, out)


def reference_day(last_days: list[str], today: date) -> date | None:
    """The day silences are counted to: the day by which 9 in 10 active sources had last
    published (nearest rank), never past today. A source or two with misdated, future
    articles cannot move it, and a database of old news is judged by its own time."""
    if not last_days:
        return None
    ranked = sorted(last_days)
    day = ranked[math.ceil(REFERENCE_SHARE * len(ranked)) - 1]
    return min(date.fromisoformat(day), today)


def _latest_days(conn: sqlite3.Connection, slug: str, undated: dict[str, int]) -> list[str]:
    """The source's latest distinct publishing days, oldest first (RECENT_GAPS + 1)."""
    days = set(undated)
    for (day,) in conn.execute(
        "select coalesce(published_day, substr(published_at, 1, 10)) from articles "
        "where source = ? and published_at is not null order by published_at desc limit ?",
        [slug, LATEST_READ],
    ):
        if _is_day(day):
            days.add(day[:10])
    return sorted(days)[-(RECENT_GAPS + 1) :]


def usual_interval(days: list[str]) -> float | None:
    """The median gap in days between a source's publishing days (its latest ones), at
    least a day; None when it has too few articles to say."""
    if len(days) < MIN_ARTICLES:
        return None
    dates = [date.fromisoformat(d) for d in days[-(RECENT_GAPS + 1) :]]
    gaps = [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]
    return max(1.0, float(median(gaps)))


def weekly(per_day: dict[str, int], reference: date | None, count: int = WEEKS):
    """(Monday, articles) for each of the last `count` weeks up to the reference day,
    newest first; a week without articles is a zero, not a gap."""
    if reference is None:
        return []
    monday = reference - timedelta(days=reference.weekday())
    weeks = {(monday - timedelta(weeks=i)).isoformat(): 0 for i in range(count)}
    for day, n in per_day.items():
        d = date.fromisoformat(day)
        key = (d - timedelta(days=d.weekday())).isoformat()
        if key in weeks:
            weeks[key] += n
    return list(weeks.items())


def _failed_runs(conn: sqlite3.Connection) -> dict[str, list[dict]]:
    """source -> the recent runs in which it failed, newest first, from crawl_runs.stats."""
    out: dict[str, list[dict]] = {}
    for run, started, stats in conn.execute(
        "select id, started_at, stats from crawl_runs where stats is not null "
        "order by id desc limit ?",
        [RUNS_READ],
    ):
        try:
            sources = (json.loads(stats) or {}).get("sources") or {}
        except (ValueError, AttributeError):
            continue
        for slug, entry in sources.items():
            if isinstance(entry, dict) and entry.get("ok") is False:
                out.setdefault(slug, []).append(
                    {"run": run, "started_at": started, "error": entry.get("error") or "failed"}
                )
    return out


def _is_day(value: object) -> bool:
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True
