#!/usr/bin/env python3
"""The single writer alone: `aitrack ingest`'s articles per second, quick and repeatable.

bench/scale.py times ingest only after two rounds of crawling (about 2.5 minutes). This
crawls once, keeps the stream's entries in a file, and then times Ingest as often as
wanted, each time on a fresh redis-server of its own filled with the same entries and
into a new SQLite file, in wall seconds and in CPU-seconds of the process (the machine is
shared: CPU-seconds move less with other people's load).

    # once: the bench site (1,000 pages, 8 hosts) crawled by one worker onto a stream
    .venv/bin/python bench/ingest_speed.py capture --out /tmp/entries.pickle
    # time it (3 trials; --code DIR: the pipelines of another checkout, e.g. main's)
    .venv/bin/python bench/ingest_speed.py time --entries /tmp/entries.pickle --trials 3
    # old and new code in turns, each trial in a process of its own, same entries
    .venv/bin/python bench/ingest_speed.py versus --entries /tmp/entries.pickle \\
        --before /tmp/main-checkout --trials 3
    # whether two databases written from the same entries hold the same rows
    .venv/bin/python bench/ingest_speed.py same A.db B.db

`same` compares every table (the full-text index through its own table) row by row,
sorted, leaving out only the columns that hold the clock at the time of writing
(`CLOCK_COLUMNS`): those differ between any two runs.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pickle
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")

# Columns whose value is the writer's clock (now_iso()), per table: they differ between
# any two runs on the same input and are left out of `same`.
CLOCK_COLUMNS = {
    "articles": {"first_seen_at", "last_seen_at", "last_changed_at"},
    "article_sources": {"first_seen_at", "last_seen_at"},
    "stories": {"updated_at"},
    "legal_objects": {"first_seen_at"},
    "deadlines": {"recorded_at"},
    "deadline_history": {"recorded_at", "replaced_at"},
    "article_revisions": {"seen_at"},
    "crawl_runs": {"started_at", "finished_at"},
    "sources": {"last_run_at", "last_success_at", "last_error_at"},
}
# The full-text indexes: their tables read the text from `articles`, so `same` compares
# what each index holds (fts5vocab 'instance': every term at every position of every
# article) after FTS5's own integrity-check of the index against the text.
FTS_TABLES = ("articles_fts", "articles_fts_words")
FTS_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content", "_vocab")


def load_avg() -> float:
    return round(os.getloadavg()[0], 2)


def capture(out: Path, pages: int, hosts: int) -> None:
    """Crawl the bench site once with one worker and keep the stream's entries."""
    sys.path.insert(0, str(ROOT))
    from bench.scale_harness import (
        FAST,
        start_hosts,
        start_redis,
        stop_hosts,
        stop_redis,
        write_sources,
    )
    from pipelines.stream import STREAM, connect

    tmp = Path(tempfile.mkdtemp(prefix="aitrack-ingest-capture-"))
    redis, url = start_redis(tmp / "redis")
    sites: list[Any] = []
    try:
        sites, bases = start_hosts(pages, hosts)
        sources = write_sources(tmp / "sources.yaml", bases, pages // hosts + 1)
        aitrack = [PYTHON, "-m", "crawlers.cli"]
        run = {"cwd": ROOT, "check": True, "capture_output": True}
        subprocess.run([*aitrack, "enqueue", "--frontier", url, "--sources", str(sources)], **run)
        crawl = [*aitrack, "crawl", "--frontier", url, "--sources", str(sources)]
        subprocess.run([*crawl, "-s", "AITRACK_WORKERS=0", *FAST], **run)
        client = connect(url)
        entries = [fields for _, fields in client.xrange(STREAM)]
        client.close()
        out.write_bytes(
            pickle.dumps({"entries": entries, "sources": sources.read_text(encoding="utf-8")})
        )
        kinds = [f.get(b"kind", b"").decode() for f in entries]
        print(f"{len(entries)} entries ({kinds.count('store')} articles) in {out}")
    finally:
        stop_hosts(sites)
        stop_redis(redis)
        shutil.rmtree(tmp, ignore_errors=True)


def time_once(
    entries_file: Path, db_path: Path, profile: Path | None, second: Path | None = None
) -> dict[str, Any]:
    """One trial: a new redis-server filled with the entries, Ingest into a new file.
    `second`: then store those entries too, into the same file: a re-crawl's unchanged
    and updated articles, for `same` to compare (its rates under "second")."""
    from bench.scale_harness import start_redis, stop_redis
    from crawlers.sources import load_sources
    from pipelines.store import open_db, sync_sources, sync_topics
    from pipelines.stream import connect
    from pipelines.tagging import load_taxonomy

    data = pickle.loads(entries_file.read_bytes())
    tmp = Path(tempfile.mkdtemp(prefix="aitrack-ingest-time-"))
    redis, url = start_redis(tmp / "redis")
    try:
        sources_file = tmp / "sources.yaml"
        sources_file.write_text(data["sources"], encoding="utf-8")
        db = open_db(db_path)
        sync_sources(db, load_sources(sources_file))
        sync_topics(db, load_taxonomy())
        db.close()
        client = connect(url)
        row = ingest(client, db_path, data["entries"], profile)
        if second:
            again = ingest(client, db_path, pickle.loads(second.read_bytes())["entries"], None)
            kept = ("outcomes", "articles_per_s", "articles_per_cpu_s")
            row["second"] = {k: again[k] for k in kept}
        client.close()
        return row
    finally:
        stop_redis(redis)
        shutil.rmtree(tmp, ignore_errors=True)


def ingest(
    client: Any, db_path: Path, entries: list[dict[bytes, bytes]], profile: Path | None
) -> dict[str, Any]:
    """Put the entries on the stream, then time Ingest storing them all."""
    from pipelines.ingest import Ingest
    from pipelines.stream import STREAM

    pipe = client.pipeline(transaction=False)
    for fields in entries:
        pipe.xadd(STREAM, fields)
    pipe.execute()
    row: dict[str, Any] = {"entries": len(entries), "load_before": load_avg()}
    ingest = Ingest(client, db_path, batch_size=500)  # as bench/scale.py's ingest_row
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = ingest.run(until_done=True, block_ms=50)
    ingest.close()
    if profiler:
        profiler.disable()
    row["seconds"] = time.perf_counter() - started
    row["cpu_s"] = time.process_time() - cpu
    row["stored"] = report.stored
    row["outcomes"] = report.outcomes
    row["articles_per_s"] = report.stored / row["seconds"]
    row["articles_per_cpu_s"] = report.stored / row["cpu_s"]
    row["load_after"] = load_avg()
    if profiler and profile:
        profiler.dump_stats(profile)
    return row


def recrawl(entries_file: Path, out: Path, every: int) -> None:
    """The same entries as a re-crawl: every `every`-th article's text changed (a
    sentence added, its content hash recomputed), the others unchanged."""
    sys.path.insert(0, str(ROOT))
    from pipelines.dedupe import content_hash
    from pipelines.stream import decode_entry, encode_article

    data = pickle.loads(entries_file.read_bytes())
    changed, entries = 0, []
    for n, fields in enumerate(data["entries"]):
        kind, run, item = decode_entry(fields)
        if kind == "store" and n % every == 0 and item.extracted is not None:
            item.extracted.text += "\n\nThis paragraph was added after publication."
            item.content_hash = content_hash(item.extracted.text)
            fields = encode_article(item, kind, run)
            changed += 1
        entries.append(fields)
    out.write_bytes(pickle.dumps({"entries": entries, "sources": data["sources"]}))
    print(f"{len(entries)} entries, {changed} with a changed text, in {out}")


def time_trials(args: argparse.Namespace) -> None:
    code = Path(args.code).resolve() if args.code else ROOT
    sys.path.insert(0, str(code))  # this checkout's pipelines, or another one's
    rows = []
    for _ in range(args.trials):
        db_path = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "ingest.db"
        if db_path.exists():
            db_path.unlink()
        row = time_once(args.entries, db_path, args.profile, args.second)
        row["code"] = str(code)
        if not args.keep:
            shutil.rmtree(db_path.parent, ignore_errors=True)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.profile:
        stats = pstats.Stats(str(args.profile))
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
    if len(rows) > 1:
        print(summary(str(code), rows))


def summary(label: str, rows: list[dict[str, Any]]) -> str:
    wall = statistics.median(r["articles_per_s"] for r in rows)
    cpu = statistics.median(r["articles_per_cpu_s"] for r in rows)
    best = max(r["articles_per_s"] for r in rows)
    best_cpu = max(r["articles_per_cpu_s"] for r in rows)
    loads = ", ".join(str(r["load_before"]) for r in rows)
    # The best trial too: on a shared machine, the one least slowed by others.
    return (
        f"{label}: median {wall:.0f} articles/s, {cpu:.0f} per CPU-second; best "
        f"{best:.0f}/s, {best_cpu:.0f} per CPU-second; {len(rows)} trials "
        f"(load before each: {loads})"
    )


def versus(args: argparse.Namespace) -> None:
    """Old and new code in turns (ABAB..., BABA... on odd trials), a process per trial."""
    sides = {"before": str(Path(args.before).resolve()), "after": str(ROOT)}
    rows: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for n in range(args.trials):
        order = ("before", "after") if n % 2 == 0 else ("after", "before")
        for side in order:
            keep = Path(args.keep_dir) / f"{side}.db" if args.keep_dir else None
            command = [PYTHON, __file__, "time", "--entries", str(args.entries)]
            command += ["--trials", "1", "--code", sides[side]]
            command += ["--keep", str(keep)] if keep else []
            command += ["--second", str(args.second)] if args.second else []
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{side}: {json.dumps(row)}", flush=True)
            rows[side].append(row)
    for side in ("before", "after"):
        print(summary(side, rows[side]))


def table_rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple]]:
    columns = [r[1] for r in conn.execute(f"pragma table_xinfo([{table}])")]
    kept = [c for c in columns if c not in CLOCK_COLUMNS.get(table, set())]
    select = ", ".join(f"[{c}]" for c in kept)
    rows = conn.execute(f"select {select} from [{table}]").fetchall()
    return kept, sorted(rows, key=repr)


def compared_tables(conn: sqlite3.Connection) -> list[str]:
    names = "select name from sqlite_master where type = 'table' order by name"
    return [
        name
        for (name,) in conn.execute(names)
        if not name.startswith(("sqlite_", "_sqlite_migrations"))
        and not (name.startswith(FTS_TABLES) and name.endswith(FTS_SHADOW))
    ]


def fts_rows(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple]]:
    """Every (article id, column, term, position) the index holds, after FTS5 checked
    the index against the text it was made from (an error if they differ)."""
    conn.execute(f"insert into [{table}] ([{table}]) values ('integrity-check')")
    vocab = f"temp.[v_{table}]"
    conn.execute(f"create virtual table {vocab} using fts5vocab(main, [{table}], instance)")
    rows = conn.execute(
        f"select a.id, v.col, v.term, v.offset from {vocab} v join articles a on a.rowid = v.doc"
    ).fetchall()
    return ["article id", "column", "term", "offset"], sorted(rows)


def same(a: Path, b: Path) -> int:
    """Compare every table of two databases (clock columns left out); 0 when equal."""
    one, two = sqlite3.connect(a), sqlite3.connect(b)
    tables, others = compared_tables(one), compared_tables(two)
    if tables != others:
        print(f"different tables: {sorted(set(tables) ^ set(others))}")
        return 1
    differ = 0
    for table in tables:
        read = fts_rows if table in FTS_TABLES else table_rows
        columns, rows_a = read(one, table)
        _, rows_b = read(two, table)
        if rows_a == rows_b:
            print(f"  same      {table}: {len(rows_a)} rows, {len(columns)} columns compared")
            continue
        differ += 1
        set_a, set_b = set(rows_a), set(rows_b)
        only_a = [r for r in rows_a if r not in set_b][:3]
        only_b = [r for r in rows_b if r not in set_a][:3]
        print(f"  DIFFERENT {table}: {len(rows_a)} against {len(rows_b)} rows")
        print(f"    only in {a.name}: {only_a!r:.600}\n    only in {b.name}: {only_b!r:.600}")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("capture", help="crawl the bench site once, keep the stream's entries")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--pages", type=int, default=1000)
    p.add_argument("--hosts", type=int, default=8)
    p = sub.add_parser("time", help="time Ingest on the captured entries")
    p.add_argument("--entries", type=Path, required=True)
    p.add_argument("--trials", type=int, default=3)
    p.add_argument("--code", help="the checkout whose pipelines to time (default: this one)")
    p.add_argument("--keep", help="write the database here (replaced) and keep it")
    p.add_argument("--profile", type=Path, help="cProfile the trials into this file")
    p.add_argument("--second", type=Path, help="then store these entries too")
    p = sub.add_parser("versus", help="before and after in turns, a process per trial")
    p.add_argument("--entries", type=Path, required=True)
    p.add_argument("--before", required=True, help="a checkout of the code before")
    p.add_argument("--trials", type=int, default=3)
    p.add_argument("--keep-dir", help="keep each side's last database here")
    p.add_argument("--second", type=Path, help="then store these entries too")
    p = sub.add_parser("recrawl", help="the entries as a re-crawl: some texts changed")
    p.add_argument("--entries", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--every", type=int, default=3, help="change every n-th article")
    p = sub.add_parser("same", help="whether two databases hold the same rows")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.command == "capture":
        capture(args.out, args.pages, args.hosts)
    elif args.command == "time":
        time_trials(args)
    elif args.command == "versus":
        versus(args)
    elif args.command == "recrawl":
        recrawl(args.entries, args.out, args.every)
    else:
        return same(args.a, args.b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
