"""The `aitrack` command line. Subcommands are thin: the work lives in the modules they call.

Exit status of `aitrack crawl` (cron depends on it): 0 the run succeeded, 1 some sources
failed, 2 the run failed (or the configuration or database is bad, before anything was
fetched), 3 another crawl holds the database, 130 stopped by SIGINT or SIGTERM. Every
command exits 130 on Ctrl-C and 141 when its reader goes away.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from crawlers import DATA, ROOT

DEFAULT_DB = DATA / "aitrack.db"
DEFAULT_SOURCES = DATA / "sources.yaml"
DEFAULT_ALERTS = DATA / "alerts.yaml"
DEFAULT_LEGAL_APIS = DATA / "legal_apis.yaml"
DEFAULT_CURATED = DATA / "legal_deadlines.yaml"
DATASETTE_DIR = DATA / "datasette"
EXIT_USAGE = 2
EXIT_FAILED = 2  # as crawlers.runner's: the run (or its database or frontier) failed
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
QUIET_HELP = "no log: one line per failed source, then the summary"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a command killed by it


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit: a closed pipe is caught below
        return status
    except CliError as exc:
        print(f"aitrack: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        # Ctrl-C outside a crawl (which stops itself in order): one line, no traceback.
        print("aitrack: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`aitrack status | head -1`): stop quietly, as `cat` does.
        # Point stdout at /dev/null so that Python's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


class CliError(Exception):
    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def require_db(path: str, may_create: bool = False) -> None:
    """Refuse, in one line, a database that is not aitrack's (crawlers/dbcheck.py)."""
    from crawlers.dbcheck import why_not_aitrack_db

    why = why_not_aitrack_db(path, may_create=may_create)
    if why == "no such file":
        raise CliError(f"no database at {path}: run `aitrack crawl` or `aitrack demo` first")
    if why:
        raise CliError(f"{path}: {why}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aitrack",
        description="Track news about AI policy, AI lawsuits and AI labor deals.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("demo", help="crawl the bundled demo site on 127.0.0.1, then serve it")
    p.add_argument("--no-serve", action="store_true", help="stop after the crawl and summary")
    p.add_argument("--db", default=str(DATA / "demo.db"), help="database (default data/demo.db)")
    p.add_argument("--port", type=int, default=8001, help="Datasette port (default 8001)")
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.add_argument("--archive", metavar="DIR", help="also write every response to WARC in DIR")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("crawl", help="crawl the sources into the database (the cron job)")
    p.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file")
    p.add_argument("--source", action="append", metavar="SLUG", help="only this source (repeat)")
    p.add_argument("--db", default=str(DEFAULT_DB), help="database (default data/aitrack.db)")
    p.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    p.add_argument(
        "--archive",
        metavar="DIR",
        help="also write every response to WARC files in DIR (e.g. data/archive)",
    )
    p.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a setting for this run, e.g. -s DOWNLOAD_TIMEOUT=10",
    )
    p.add_argument(
        "--alerts",
        nargs="?",
        const=str(DEFAULT_ALERTS),
        metavar="FILE",
        help="then send the alerts of FILE (default data/alerts.yaml), as `aitrack alerts`",
    )
    p.add_argument(
        "--frontier",
        metavar="redis://HOST:PORT/DB",
        help="be one worker of a scaled-out crawl on this Redis (docs/scale-out.md)",
    )
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("enqueue", help="start a scaled-out run: queue each source's index once")
    p.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file")
    p.add_argument("--source", action="append", metavar="SLUG", help="only this source (repeat)")
    p.add_argument("--frontier", required=True, metavar="redis://HOST:PORT/DB")
    p.set_defaults(func=cmd_enqueue)

    p = sub.add_parser("ingest", help="the single writer of a scaled-out crawl")
    p.add_argument("--frontier", required=True, metavar="redis://HOST:PORT/DB")
    p.add_argument("--db", default=str(DEFAULT_DB), help="database (default data/aitrack.db)")
    p.add_argument("--sources", default=str(DEFAULT_SOURCES), help="sources file")
    p.add_argument(
        "--until-done", action="store_true", help="exit once the run is crawled and stored"
    )
    p.add_argument("--batch", type=int, default=500, help="articles per commit (default 500)")
    p.add_argument(
        "--publish-stored",
        action="store_true",
        help="first tell the workers what the database already holds (an existing archive)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("reextract", help="rebuild articles from a WARC archive")
    p.add_argument("--archive", default=str(DATA / "archive"), metavar="DIR")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.set_defaults(func=cmd_reextract)

    p = sub.add_parser("serve", help="serve the database with Datasette")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("extract", help="one page -> clean text and metadata")
    p.add_argument(
        "file", metavar="FILE|URL", help="an HTML file (may be .gz), - for stdin, or a URL"
    )
    p.add_argument("--url", help="the page's address, when FILE is a file")
    p.add_argument("--format", choices=("json", "text"), default="json")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("tag", help="one document -> is_ai, topics with evidence, entities")
    p.add_argument(
        "file", metavar="FILE|-", help="HTML, or plain text whose first line is the title"
    )
    p.add_argument("--format", choices=("json",), default="json")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("legal", help="one document -> the legal identifiers it names (JSON)")
    p.add_argument("file", help="a text or HTML file, or - for stdin")
    p.add_argument("--published", help="the document's date (ISO), for a bill's Congress")
    p.set_defaults(func=cmd_legal)

    p = sub.add_parser(
        "legal-resolve", help="look the stored legal objects up in the official APIs"
    )
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--apis", default=str(DEFAULT_LEGAL_APIS), help="the APIs' catalogue")
    p.add_argument("--curated", default=str(DEFAULT_CURATED), help="curated deadlines ('' none)")
    p.add_argument("--refresh-days", type=float, default=7, help="re-ask after this long")
    p.add_argument(
        "--scan", action="store_true", help="first recognise the stored articles' objects again"
    )
    p.set_defaults(func=cmd_legal_resolve)

    p = sub.add_parser("retag", help="re-apply data/taxonomy.yaml to stored articles")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.set_defaults(func=cmd_retag)

    p = sub.add_parser("stories", help="count stories; --rebuild places every article again")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--rebuild", action="store_true", help="fingerprint and place every article")
    p.set_defaults(func=cmd_stories)

    p = sub.add_parser("sources", help="list the sources; 'sources check' tests them live")
    p.add_argument("action", nargs="?", choices=("list", "check"), default="list")
    p.add_argument("--sources", default=str(DEFAULT_SOURCES))
    p.add_argument("--timeout", type=float, default=15.0, help="seconds per check")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("status", help="last runs and source health")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument(
        "--check",
        action="store_true",
        help="for monitoring: exit 1 if an active source is FLAGGED or SILENT",
    )
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("release", help="a citable snapshot: database, CSV, manifest, CITATION")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--out", required=True, metavar="DIR", help="a new (or empty) folder")
    p.add_argument("--no-text", action="store_true", help="leave out article bodies")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("alerts", help="send each subscription's new matches, once")
    p.add_argument("--db", default=str(DEFAULT_DB))
    p.add_argument("--config", default=str(DEFAULT_ALERTS), help="default data/alerts.yaml")
    p.add_argument(
        "--backfill", action="store_true", help="new subscriptions start from the oldest article"
    )
    p.set_defaults(func=cmd_alerts)
    return parser


# -- crawling -----------------------------------------------------------------------------


def _load(path: str, only: list[str] | None = None) -> list[Any]:
    from crawlers.sources import SourcesError, load_sources, select_sources

    try:
        return select_sources(load_sources(path), only)
    except SourcesError as exc:
        raise CliError(str(exc)) from None


def _log_overrides(quiet: bool) -> dict[str, Any]:
    # --quiet: no Scrapy log at all (its ERROR lines carry tracebacks, e.g. the robots.txt
    # middleware's for every unreachable host); the CLI prints one line per failed
    # source and the summary (report_lines). The details stay in crawl_runs.stats.
    return {"LOG_LEVEL": "CRITICAL" if quiet else "INFO"}


def report_lines(report: Any) -> list[str]:
    """What a crawl ends with on stderr: one line per failed source, then the summary."""
    lines = [f"aitrack: source {s.slug} failed: {s.error}" for s in report.sources if not s.ok]
    return [*lines, report.summary()]


def _crawl(
    sources: list[Any],
    args: argparse.Namespace,
    sources_file: str,
    extra: dict[str, Any] | None = None,
) -> Any:
    """Run a crawl with the options crawl and demo share: exit 3 if one is running, 2 if
    the database cannot be written."""
    from crawlers.overrides import OverrideError, parse_overrides
    from crawlers.runner import EXIT_ALREADY_RUNNING, EXIT_FAILED, AlreadyRunning, run_crawl

    require_db(args.db, may_create=True)
    overrides = {**_log_overrides(args.quiet), **(extra or {})}
    try:
        overrides.update(parse_overrides(getattr(args, "set", [])))
    except OverrideError as exc:
        raise CliError(str(exc)) from None
    if args.archive:
        overrides["AITRACK_ARCHIVE_DIR"] = args.archive
    try:
        return run_crawl(
            sources,
            args.db,
            sources_file,
            overrides,
            progress=sys.stderr.isatty() and not args.quiet,
        )
    except AlreadyRunning as exc:
        raise CliError(str(exc), EXIT_ALREADY_RUNNING) from None
    except (sqlite3.DatabaseError, OSError) as exc:
        # Locked by another writer past the retries, read-only, or full: say which.
        raise CliError(f"cannot write the database {args.db}: {exc}", EXIT_FAILED) from None


def cmd_crawl(args: argparse.Namespace) -> int:
    sources = _load(args.sources, args.source)
    if args.frontier:
        if args.alerts:
            raise CliError(
                "--alerts needs the database: with --frontier, run aitrack alerts "
                "where aitrack ingest writes it"
            )
        return _work(sources, args)
    alerts = load_alerts_file(args.alerts) if args.alerts else None  # bad: nothing fetched
    report = _crawl(sources, args, str(args.sources))
    if not args.quiet:
        for slug, why in report.skipped.items():
            print(f"aitrack: skipped {slug}: {why}", file=sys.stderr)
    print("\n".join(report_lines(report)), file=sys.stderr)
    if alerts is not None and report.exit_code in (0, 1):
        # The crawl's status stays what cron reads; failed alerts say so in their lines
        # and are retried by the next run.
        send_alerts(args.db, alerts, backfill=False)
    return report.exit_code


def load_alerts_file(path: str) -> Any:
    from pipelines.alerts.config import AlertsConfigError, load_alerts

    try:
        return load_alerts(path)
    except AlertsConfigError as exc:
        raise CliError(str(exc)) from None


def send_alerts(db_path: str, config: Any, backfill: bool) -> int:
    """Deliver the alerts of a subscriptions file; one line each; 1 if any failed."""
    from pipelines.alerts.run import run_alerts

    require_db(db_path)
    try:
        report = run_alerts(db_path, config, backfill=backfill)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"cannot use the database {db_path}: {exc}") from None
    for outcome in report.outcomes:
        print(outcome.line(), file=sys.stderr if outcome.error else sys.stdout)
    return report.exit_code


def cmd_release(args: argparse.Namespace) -> int:
    from pipelines.release import ReleaseError, make_release

    require_db(args.db)
    try:
        release = make_release(args.db, args.out, with_text=not args.no_text)
    except ReleaseError as exc:
        raise CliError(str(exc)) from None
    except (sqlite3.DatabaseError, OSError) as exc:
        raise CliError(f"cannot write the release to {args.out}: {exc}", 1) from None
    counts = release.manifest["counts"]
    print(
        f"release {release.path}: {counts['articles']} articles, {counts['sources']} sources, "
        f"{len(release.manifest['files'])} files (manifest.json has their sha256)"
    )
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    return send_alerts(args.db, load_alerts_file(args.config), args.backfill)


def _frontier(url: str) -> Any:
    from pipelines.stream import FrontierError, connect

    try:
        return connect(url)
    except FrontierError as exc:
        raise CliError(str(exc), EXIT_FAILED) from None


def _work(sources: list[Any], args: argparse.Namespace) -> int:
    """`crawl --frontier`: one worker of a scaled-out crawl (crawlers/worker.py)."""
    from crawlers.overrides import OverrideError, parse_overrides
    from crawlers.worker import run_worker

    if args.archive:
        raise CliError("--archive is for the single-machine crawl, not with --frontier")
    try:
        overrides = {**_log_overrides(args.quiet), **parse_overrides(args.set)}
    except OverrideError as exc:
        raise CliError(str(exc)) from None
    _frontier(args.frontier).close()  # one clear line if Redis is not there
    report = run_worker(sources, args.frontier, overrides)
    for s in report.sources:
        if not s.ok:
            print(f"aitrack: source {s.slug} failed: {s.error}", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return report.exit_code


def cmd_enqueue(args: argparse.Namespace) -> int:
    from crawlers.enqueue import enqueue

    sources = _load(args.sources, args.source)
    client = _frontier(args.frontier)
    queued = enqueue(client, sources)
    print(f"aitrack: queued {sum(queued.values())} index URLs of {len(queued)} sources")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from redis import RedisError

    from pipelines.ingest import IngestError, publish_stored, run_ingest
    from pipelines.stream import shown

    require_db(args.db, may_create=True)
    if args.batch < 1:
        raise CliError("--batch must be 1 or more")
    sources = _load(args.sources)
    client = _frontier(args.frontier)
    try:
        if args.publish_stored:
            count = publish_stored(client, args.db)
            print(f"aitrack: told the workers about {count} stored articles", file=sys.stderr)
        report = run_ingest(client, args.db, sources, args.until_done, args.batch)
    except (sqlite3.DatabaseError, OSError, IngestError) as exc:
        # What was not committed stays pending on the stream for the next ingest.
        raise CliError(f"cannot write the database {args.db}: {exc}", EXIT_FAILED) from None
    except RedisError as exc:
        raise CliError(f"lost the frontier {shown(args.frontier)}: {exc}", EXIT_FAILED) from None
    print(f"aitrack: {report.summary()}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from crawlers.demo_server import DEMO_BASE, DEMO_SOURCES, start_demo_server

    require_db(args.db, may_create=True)
    if not args.no_serve:
        check_port("127.0.0.1", args.port)  # before the crawl, not after it
    server = start_demo_server()
    print(
        f"aitrack: demo site serving at {server.base_url}/ (and as the proxy for {DEMO_BASE}/)",
        file=sys.stderr,
    )
    sources = _load(str(DEMO_SOURCES))
    # The demo server answers for http://demo.aitrack.test/, the address the demo
    # sources use. It is ours and local: no need to pace requests as for a real site.
    overrides = {
        "AITRACK_PROXY": server.base_url,
        "AUTOTHROTTLE_START_DELAY": 0.0,
        "AUTOTHROTTLE_ENABLED": False,
    }
    report = _crawl(sources, args, str(DEMO_SOURCES), overrides)
    print("\n".join(report_lines(report)), file=sys.stderr)
    # The demo's legal objects, resolved against its own API fixtures (issue 18).
    demo_apis = str(DATA / "demo" / "legal_apis.yaml")
    for line in resolve_legal(args.db, demo_apis, str(DEFAULT_CURATED), base=server.base_url):
        print(line, file=sys.stderr)
    print(demo_summary(args.db, report))
    if args.no_serve or report.exit_code:
        return report.exit_code
    return serve(args.db, "127.0.0.1", args.port)


def demo_summary(db_path: str, report: Any) -> str:
    import sqlite_utils

    from pipelines.stories.report import story_counts

    db = sqlite_utils.Database(db_path)
    total = db["articles"].count
    ai = db["articles"].count_where("is_ai = 1")
    lines = [f"{total} articles ({ai} about AI, {total - ai} not) in {db_path}"]
    for slug, n in db.execute(
        "select t.slug, count(at.article_id) from topics t left join article_topics at "
        "on at.topic = t.slug group by t.slug order by t.slug"
    ).fetchall():
        lines.append(f"  {slug:<12} {n}")
    lines.append(story_counts(db_path))
    errors = {k: v for s in report.sources for k, v in s.errors.items()}
    lines.append(f"errors: {sum(errors.values())}" + (f" {errors}" if errors else ""))
    db.close()
    return "\n".join(lines)


# -- publishing ---------------------------------------------------------------------------


def datasette_metadata(db_path: str | Path) -> dict[str, Any]:
    """Our Datasette metadata. Its database section is `aitrack` whatever file is served:
    the aitrack_guard plugin serves the one database under that name."""
    return yaml.safe_load((DATASETTE_DIR / "metadata.yaml").read_text(encoding="utf-8"))


# The published site's settings (tests build their Datasette from these too).
DATASETTE_SETTINGS = {
    "suggest_facets": False,  # suggestions cost about 10x a plain search
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "allow_download": False,  # the whole file is offered by the publisher, not the site
}
PLUGINS_DIR = DATASETTE_DIR / "plugins"
TEMPLATES_DIR = DATASETTE_DIR / "templates"


def datasette_args(db_path: str | Path, metadata_path: str | Path) -> list[str]:
    """Datasette's command-line options for our site."""
    args = [
        str(db_path),
        "--metadata",
        str(metadata_path),
        "--plugins-dir",
        str(PLUGINS_DIR),
        "--template-dir",
        str(TEMPLATES_DIR),
    ]
    for name, value in DATASETTE_SETTINGS.items():
        text = ("on" if value else "off") if isinstance(value, bool) else str(value)
        args += ["--setting", name, text]
    return args


def datasette_command(
    db_path: str | Path, metadata_path: str | Path, host: str, port: int
) -> list[str]:
    """The command that serves our site (bench/dbscale.py serves its databases with it)."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        *datasette_args(db_path, metadata_path),
        "--host",
        host,
        "--port",
        str(port),
    ]


def check_port(host: str, port: int) -> None:
    """Fail now, in one line, if Datasette could not listen on host:port: otherwise the
    error comes from Datasette after we have announced the site's address."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, OverflowError) as exc:
        raise CliError(f"cannot serve on {host}:{port}: {exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As uvicorn does: a port left in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CliError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def serve(db_path: str, host: str, port: int) -> int:
    require_db(db_path)
    check_port(host, port)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(datasette_metadata(db_path), fh)
    command = datasette_command(db_path, fh.name, host, port)
    print(f"aitrack: Datasette at http://{host}:{port}/ (Ctrl-C stops it)", file=sys.stderr)
    child = subprocess.Popen(command, cwd=ROOT)
    # A service manager or a test stops us with SIGTERM, which reaches only this process
    # (Ctrl-C reaches the whole process group): pass it on, or Datasette outlives us.
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        child.wait()
        return 0
    finally:
        os.unlink(fh.name)


def cmd_serve(args: argparse.Namespace) -> int:
    return serve(args.db, args.host, args.port)


# -- one document -------------------------------------------------------------------------


def read_input(name: str) -> bytes:
    """Bytes of a file (gunzipped if it is gzip), of stdin for '-', or of a URL."""
    if name.startswith(("http://", "https://")):
        import urllib.request

        try:
            with urllib.request.urlopen(name, timeout=30) as response:
                return response.read()
        except OSError as exc:
            raise CliError(f"cannot fetch {name}: {exc}", 1) from None
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {name}: {exc.strerror}", 1) from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise CliError(f"cannot read {name}: broken gzip ({exc})", 1) from None
    return data


def process_input(name: str, data: bytes, url: str = "") -> Any:
    """One document through the crawl's own processing (pipelines.process.process_page):
    decoded as the crawl decodes a page, then extracted and tagged."""
    from pipelines.dates import now_iso
    from pipelines.extract import ExtractionError, decode_html
    from pipelines.model import Article
    from pipelines.process import process_page

    page = Article(url=url, source="cli", fetched_at=now_iso(), status=200, html="")
    page.html = decode_html(data)
    try:
        return process_page(page)
    except ExtractionError as exc:
        raise CliError(f"{name}: {exc}", 1) from None


def cmd_extract(args: argparse.Namespace) -> int:
    data = read_input(args.file)
    url = args.url or (args.file if args.file.startswith("http") else "")
    result = process_input(args.file, data, url).extracted
    if args.format == "text":
        print(result.text)
    else:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from pipelines.tagging import tag_text
    from pipelines.text_quality import why_not_language

    data = read_input(args.file)
    text = data.decode("utf-8", errors="replace")
    if text.lstrip()[:1] == "<":
        tagging = process_input(args.file, data).tagging
    else:
        title, _, body = text.strip().partition("\n")
        if why := why_not_language(text):  # random bytes, a PDF: no topics in those
            raise CliError(f"{args.file}: not language: {why}", 1)
        if not (title.strip() or body.strip()):
            raise CliError(f"{args.file}: empty document", 1)
        tagging = tag_text(title, body)
    print(json.dumps(tagging.as_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_legal(args: argparse.Namespace) -> int:
    from pipelines.legal.document import legal_mentions

    data = read_input(args.file)
    try:
        mentions = legal_mentions(data, args.published)
    except ValueError as exc:
        raise CliError(f"{args.file}: {exc}", 1) from None
    print(json.dumps([m.as_dict() for m in mentions], ensure_ascii=False, indent=2))
    return 0


def cmd_legal_resolve(args: argparse.Namespace) -> int:
    require_db(args.db)
    if args.scan:
        from pipelines.legal.scan import scan_articles
        from pipelines.store import open_db

        print(f"articles scanned for legal objects: {scan_articles(open_db(args.db))}")
    for line in resolve_legal(args.db, args.apis, args.curated or None, args.refresh_days):
        print(line)
    return 0


def resolve_legal(
    db_path: str, apis_path: str, curated: str | None, refresh_days: float = 7, base: str = ""
) -> list[str]:
    """Run the resolvers; `base` replaces the demo host in the catalogue's URLs."""
    from crawlers.demo_server import DEMO_BASE
    from crawlers.robots import known_refusal
    from crawlers.settings import USER_AGENT
    from pipelines.legal.apis import load_apis
    from pipelines.legal.resolve import resolve_all
    from pipelines.store import open_db

    try:
        apis = load_apis(apis_path)
        if base:
            apis = [replace(a, base=a.base.replace(DEMO_BASE, base)) for a in apis]
        # The resolvers fetch outside the crawl's robots middleware; a host whose robots.txt
        # is known to refuse aitrack (CourtListener's, token or not) is not asked at all.
        refused = {a.slug: why for a in apis if (why := known_refusal(a.base, USER_AGENT))}
        lines = [
            f"{slug}: skipped: {why} (data/robots_forbidden.yaml)" for slug, why in refused.items()
        ]
        apis = [a for a in apis if a.slug not in refused]
        return lines + resolve_all(
            open_db(db_path), apis, curated, os.environ, refresh_days=refresh_days
        )
    except ValueError as exc:
        raise CliError(str(exc), 2) from None


def cmd_reextract(args: argparse.Namespace) -> int:
    from pipelines.reextract import reextract_archive

    if not Path(args.archive).is_dir():
        raise CliError(f"no archive at {args.archive}")
    require_db(args.db, may_create=True)  # it rebuilds, but never into someone else's file
    counts = reextract_archive(args.archive, args.db)
    print(", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def cmd_retag(args: argparse.Namespace) -> int:
    from pipelines.retag import retag_database

    require_db(args.db)
    changes = retag_database(args.db)
    print(f"retagged {changes.articles} articles")
    for slug in sorted(set(changes.added) | set(changes.removed)):
        print(f"  {slug:<12} +{changes.added.get(slug, 0)} -{changes.removed.get(slug, 0)}")
    return 0


def cmd_stories(args: argparse.Namespace) -> int:
    from pipelines.stories.report import story_counts

    require_db(args.db)
    if args.rebuild:
        from pipelines.stories.rebuild import rebuild_stories

        rebuild_stories(args.db)
    print(story_counts(args.db))
    return 0


# -- operations ---------------------------------------------------------------------------


def cmd_sources(args: argparse.Namespace) -> int:
    sources = _load(args.sources)
    if args.action == "list":
        for s in sources:
            state = "" if s.active else f"  [off: {s.disabled_reason or 'disabled'}]"
            print(
                f"{s.slug:<32} {s.kind:<8} {s.category:<11} {s.jurisdiction:<6} "
                f"{s.verified or '-':<7}{state}"
            )
        print(f"{len(sources)} sources, {sum(s.active for s in sources)} active")
        return 0
    from crawlers.check import check_sources

    results = check_sources([s for s in sources if s.active], timeout=args.timeout)
    for r in results:
        print(f"{r.slug:<32} {r.verdict:<12} {r.detail}")
    reachable = [r for r in results if r.verdict != "unreachable"]
    if not reachable:
        print(
            "No source could be reached: this machine seems to have no network access.",
            file=sys.stderr,
        )
        return 1
    ok = sum(r.verdict == "ok" for r in results)
    print(f"{ok} of {len(results)} sources ok")
    return 0 if ok == len(results) else 1


def cmd_status(args: argparse.Namespace) -> int:
    """The last runs, then each source's health, flagged sources first; with --check,
    exit 1 when an active source is flagged or silent (for monitoring)."""
    import sqlite_utils

    from pipelines.coverage import coverage

    require_db(args.db)
    db = sqlite_utils.Database(args.db)
    print("last runs:")
    for row in db.query(
        "select id, started_at, status, duration_s, pages_fetched, not_modified, articles_new, "
        "articles_updated, errors from crawl_runs order by id desc limit 5"
    ):
        print(
            f"  #{row['id']} {row['started_at']} {row['status']:<9} "
            f"{row['duration_s'] or 0:>7.1f}s pages={row['pages_fetched']} "
            f"304={row['not_modified']} new={row['articles_new']} "
            f"updated={row['articles_updated']} errors={row['errors']}"
        )
    silent = {c.slug: c for c in coverage(db.conn).silent}
    alarms = 0
    print("sources:")
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
    rows = db.query(
        "select s.slug, s.last_success_at, s.last_error, s.consecutive_failures, s.flagged, "
        "s.enabled, s.disabled_reason, (select count(*) from articles a where a.source = "
        "s.slug and a.first_seen_at >= ?) as week from sources s "
        "order by s.flagged is null, s.consecutive_failures desc, s.slug",
        [week_ago],
    )
    # Flagged first, then silent, then the rest (failing ones first, as the query orders).
    for row in sorted(rows, key=lambda r: (not r["flagged"], r["slug"] not in silent)):
        active = row["enabled"] and not row["disabled_reason"]
        if row["flagged"]:
            state = "FLAGGED"
        elif row["slug"] in silent:
            state = "SILENT"
        elif row["consecutive_failures"]:
            state = "FAILING"
        elif not row["enabled"] or row["disabled_reason"]:
            state = "off"
        else:
            state = "ok"
        line = (
            f"  {row['slug']:<32} {state:<8} new_7d={row['week']:<4} "
            f"last_success={row['last_success_at'] or '-'}"
        )
        if row["flagged"]:
            line += f" ({row['flagged']})"
        if row["slug"] in silent:
            line += f" ({silent[row['slug']].alarm})"
        if row["consecutive_failures"]:
            line += f" failures={row['consecutive_failures']} last_error={row['last_error']}"
        alarms += bool(active and (row["flagged"] or row["slug"] in silent))
        print(line)
    if args.check and alarms:
        print(f"aitrack: {alarms} source(s) FLAGGED or SILENT", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
