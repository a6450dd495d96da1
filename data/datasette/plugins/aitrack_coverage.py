"""The /coverage page: per source, articles per week, the last success and article,
the usual interval against the current silence, languages, failed runs, and the
silent-zero alarm (pipelines/coverage.py computes all of it; this only renders)."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from pipelines.coverage import SILENT_INTERVALS, coverage


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/coverage$", coverage_page)]


async def coverage_page(datasette: Any, request: Any) -> Response:
    db = datasette.get_database()
    report = await db.execute_fn(coverage)
    peak = max((n for s in report.sources for _, n in s.weeks), default=0) or 1
    context = {
        "database": db.name,
        "coverage": report,
        "peak": peak,
        "silent_intervals": SILENT_INTERVALS,
    }
    return Response.html(await datasette.render_template("coverage.html", context, request=request))
