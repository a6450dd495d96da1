"""Rebuild articles from the raw WARC archive with the current extractor and taxonomy.

Researchers can reproduce a corpus from what was fetched, not from what an older
extractor made of it. Records are read in file order (files sorted by run), so the
latest fetch of a page wins, as it did in the crawls.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from pipelines.extract import ExtractionError, decode_html
from pipelines.model import Article, Hints
from pipelines.process import process_page
from pipelines.store import open_db, sync_topics
from pipelines.tagging import load_taxonomy
from pipelines.writer import BatchWriter, Written


def iter_archived_articles(archive_dir: str | Path):
    """Articles (as fetched) from every WARC file under `archive_dir`."""
    for path in sorted(Path(archive_dir).glob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response":
                    continue
                headers = record.rec_headers
                if headers.get_header("WARC-Aitrack-Role") != "article":
                    continue
                status = int(record.http_headers.get_statuscode() or 0)
                if status != 200:
                    continue
                content_type = record.http_headers.get_header("Content-Type") or ""
                body = record.content_stream().read()
                hints = Hints(**json.loads(headers.get_header("WARC-Aitrack-Hints") or "{}"))
                yield Article(
                    url=headers.get_header("WARC-Target-URI"),
                    source=headers.get_header("WARC-Aitrack-Source"),
                    fetched_at=headers.get_header("WARC-Date"),
                    status=status,
                    html=decode_html(body, content_type),
                    etag=record.http_headers.get_header("ETag"),
                    last_modified=record.http_headers.get_header("Last-Modified"),
                    hints=hints,
                )


def reextract_archive(archive_dir: str | Path, db_path: str | Path) -> dict[str, int]:
    """Run every archived article page through the same processing as the crawl
    (pipelines.process, the source's language as the fallback) into `db_path`.

    Side effects: writes articles (new rows, or revisions where the text now differs),
    their tags and entities; sources named in the archive get a minimal row if missing.
    """
    db = open_db(db_path)
    sync_topics(db, load_taxonomy())
    languages = dict(db.execute("select slug, language from sources").fetchall())
    writer = BatchWriter(db)
    counts: Counter[str] = Counter()

    def count(written: Written) -> None:
        counts[written.outcome if written.error is None else "not stored"] += 1

    for item in iter_archived_articles(archive_dir):
        if item.source not in languages:
            db.execute(
                "insert or ignore into sources (slug, name) values (?, ?)",
                [item.source, item.source],
            )
            languages[item.source] = None
        try:
            processed = process_page(item, languages[item.source])
        except ExtractionError:
            counts["unusable"] += 1
            continue
        writer.add(writer.store(processed, None), count)
    writer.close()
    return dict(counts)
