"""Imported once by the worker pool's fork server (pipelines/offload.py, PRELOAD): the
taxonomy and the semantic layer's model and exemplar vectors are loaded here, before any
worker is forked, so every worker starts with them in memory (shared, copy-on-write)
instead of each spending about half a second loading them while the crawl waits.

A failure here must not stop the fork server: a worker then loads them itself, at
start, as `_start_worker` asks, and reports the error with its first page.
"""

from __future__ import annotations

try:
    from pipelines.tagging import load_classifier

    load_classifier()
except Exception:  # see the docstring: the worker will try again
    pass
