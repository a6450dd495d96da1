"""Per-stage timers in a crawler's stats: where each source's time went.

`aitrack/time_ms/<stage>` totals, per source, end up in `crawl_runs.stats`, so an operator
(and bench/) can see where a run's time goes: download, extract, tag, store, commit.
"""

from __future__ import annotations

from typing import Any

STAT_PREFIX = "aitrack/time_ms/"


def add_time(crawler: Any, stage: str, ms: float) -> None:
    """Add ms to a stage's total (for stages timed where they ran, in a worker)."""
    crawler.stats.inc_value(STAT_PREFIX + stage, ms, start=0.0)
