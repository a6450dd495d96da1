"""SQLite storage through sqlite-utils: the schema of docs/schema.md, atomic per article.

`schema` owns the migrations, `articles` the article rows, `catalog` the sources and
topics, `runs` the run bookkeeping and `retry` what a locked or full database means.
"""

from pipelines.store.articles import (
    entity_id,
    store_article,
    tag_columns,
    touch_article,
    write_tags,
)
from pipelines.store.catalog import sync_sources, sync_topics
from pipelines.store.retry import classify_db_error, store_with_retry
from pipelines.store.runs import finish_run, mark_abandoned_runs, record_source_health, start_run
from pipelines.store.schema import migrations, open_db

__all__ = [
    "classify_db_error",
    "entity_id",
    "finish_run",
    "mark_abandoned_runs",
    "migrations",
    "open_db",
    "record_source_health",
    "start_run",
    "store_article",
    "store_with_retry",
    "sync_sources",
    "sync_topics",
    "tag_columns",
    "touch_article",
    "write_tags",
]
