"""Log records whose traceback says nothing to an operator, reduced to their message.

Scrapy's robots.txt middleware logs every robots.txt it could not download at ERROR
with the whole traceback (a refused connection, a name that does not resolve). The
failure is already one line in the message, and the source's own failure is recorded
with its reason; the traceback only buries the log (70 of them in one offline run).
"""

from __future__ import annotations

import logging

QUIET_TRACEBACK_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)


class DropTraceback(logging.Filter):
    """Keep the record and its message; drop the exception's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def drop_known_tracebacks() -> None:
    """Install DropTraceback on the loggers that need it (once per process is enough)."""
    for name in QUIET_TRACEBACK_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, DropTraceback) for f in logger.filters):
            logger.addFilter(DropTraceback())
