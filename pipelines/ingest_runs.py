"""A scaled-out run's row in `crawl_runs` and its sources' health, kept by ingest.

Every worker ends by putting its report on the stream (per source: ok or the error,
pages, 304s, skips, links, errors by kind, failures). Ingest keeps one `crawl_runs` row
per run that `aitrack enqueue` seeded (`sources_file` is "frontier run N"), holds each
worker's latest report in its `stats` JSON under the worker's name (so a report
delivered twice replaces itself rather than counting twice), and recomputes the totals.

A run is finished when the next run's first entry arrives, or when `ingest
--until-done` ends: only then are the sources' health records updated, once per run,
from all workers' reports together (a source that failed on any worker failed).
New, updated and unchanged counts come from the database itself (the run's row id is
on every article and finder it stored), so re-delivered entries cannot inflate them.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from pipelines.store import finish_run, record_source_health, start_run

LABEL = "frontier run {}"
MAX_FAILURES_KEPT = 1000
COUNTED = ("pages", "not_modified", "skipped", "links", "bodies", "queued")


class RunBook:
    """The runs one ingest writes to, by the run number `aitrack enqueue` gave."""

    def __init__(self, db: sqlite_utils.Database, flag_empty: int = 5, flag_failed: int = 3):
        self.db = db
        self.flag_empty, self.flag_failed = flag_empty, flag_failed
        self._ids: dict[int, int] = {}

    def row(self, seq: int) -> int:
        """The `crawl_runs` id of run `seq`, created on its first entry; a new run
        finishes the earlier ones still open."""
        if seq in self._ids:
            return self._ids[seq]
        found = self.db.execute(
            "select id from crawl_runs where sources_file = ?", [LABEL.format(seq)]
        ).fetchone()
        if found:
            self._ids[seq] = found[0]
            return found[0]
        for older_id, label in self.db.execute(
            "select id, sources_file from crawl_runs where status = 'running' "
            "and sources_file like 'frontier run %'"
        ).fetchall():
            if int(label.rsplit(" ", 1)[1]) < seq:
                self.finish(older_id)
        self._ids[seq] = start_run(self.db, LABEL.format(seq), 0)
        return self._ids[seq]

    def report(self, seq: int, worker: str, sources: dict[str, dict[str, Any]]) -> None:
        """Keep a worker's report (replacing an earlier copy of it) and the run's totals."""
        run_id = self.row(seq)
        stats = self._stats(run_id)
        stats.setdefault("workers", {})[worker] = sources
        merged = merge(stats["workers"])
        stats["sources"] = merged
        errors: dict[str, int] = {}
        for s in merged.values():
            for kind, n in s["errors"].items():
                errors[kind] = errors.get(kind, 0) + n
        self.db["crawl_runs"].update(
            run_id,
            {
                "sources_count": len(merged),
                "pages_fetched": sum(s["pages"] for s in merged.values()),
                "errors": sum(errors.values()),
                "stats": json.dumps(stats, ensure_ascii=False, default=str),
            },
        )

    def finish_open(self) -> None:
        """Finish every scaled-out run still open (ingest --until-done at its end)."""
        for (run_id,) in self.db.execute(
            "select id from crawl_runs where status = 'running' "
            "and sources_file like 'frontier run %'"
        ).fetchall():
            self.finish(run_id)

    def finish(self, run_id: int) -> None:
        stats = self._stats(run_id)
        merged = stats.get("sources", {})
        oks = [s["ok"] for s in merged.values()]
        status = "ok" if oks and all(oks) else "partial" if any(oks) else "failed"
        flagged = {}
        for slug, s in merged.items():
            if not self.db["sources"].exists() or not self.db["sources"].count_where(
                "slug = ?", [slug]
            ):
                continue
            listed_nothing = s["ok"] and s["links"] == 0 and s["not_modified"] == 0
            flag = record_source_health(
                self.db,
                slug,
                s["ok"],
                s["error"],
                listed_nothing,
                flag_empty=self.flag_empty,
                flag_failed=self.flag_failed,
            )
            if flag:
                flagged[slug] = flag
        stats["flagged"] = flagged
        counts = self._stored_counts(run_id)
        errors: dict[str, int] = {}
        for s in merged.values():
            for kind, n in s["errors"].items():
                errors[kind] = errors.get(kind, 0) + n
        finish_run(
            self.db,
            run_id,
            status,
            {
                "pages_fetched": sum(s["pages"] for s in merged.values()),
                "not_modified": sum(s["not_modified"] for s in merged.values()),
                "skipped": sum(s["skipped"] for s in merged.values()),
                **counts,
                "errors": sum(errors.values()),
                "errors_by_kind": errors,
            },
            stats,
        )

    def _stats(self, run_id: int) -> dict[str, Any]:
        raw = self.db.execute("select stats from crawl_runs where id = ?", [run_id]).fetchone()
        return json.loads(raw[0]) if raw and raw[0] else {}

    def _stored_counts(self, run_id: int) -> dict[str, int]:
        started = self.db.execute(
            "select started_at from crawl_runs where id = ?", [run_id]
        ).fetchone()[0]
        new = self.db.execute(
            "select count(*) from articles where crawl_run_id = ? and first_seen_at >= ?",
            [run_id, started],
        ).fetchone()[0]
        updated = self.db.execute(
            "select count(*) from articles where crawl_run_id = ? and first_seen_at < ? "
            "and last_changed_at >= ?",
            [run_id, started, started],
        ).fetchone()[0]
        seen = self.db.execute(
            "select count(distinct article_id) from article_sources where crawl_run_id = ?",
            [run_id],
        ).fetchone()[0]
        duplicates = self.db.execute(
            "select count(*) from articles where crawl_run_id = ? and cluster_id != id",
            [run_id],
        ).fetchone()[0]
        return {
            "articles_new": new,
            "articles_updated": updated,
            "articles_unchanged": max(0, seen - new - updated),
            "duplicates": duplicates,
        }


def merge(workers: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per source, the workers' reports together: counts summed, failed if any failed."""
    merged: dict[str, dict[str, Any]] = {}
    for sources in workers.values():
        for slug, s in sources.items():
            m = merged.setdefault(
                slug,
                {"ok": True, "error": None, "errors": {}, "failures": []}
                | dict.fromkeys(COUNTED, 0),
            )
            for key in COUNTED:
                m[key] += s.get(key, 0)
            if not s.get("ok", True):
                m["ok"] = False
                m["error"] = m["error"] or s.get("error")
            for kind, n in s.get("errors", {}).items():
                m["errors"][kind] = m["errors"].get(kind, 0) + n
            room = MAX_FAILURES_KEPT - len(m["failures"])
            m["failures"].extend(s.get("failures", [])[: max(0, room)])
    return merged
