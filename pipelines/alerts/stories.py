"""What counts as one story in a digest: one line per story, not per copy.

Copies of a syndicated story and same-event coverage share `articles.story_id`
(issue 17, pipelines/store/stories.py); an article without one stands alone.
"""

from __future__ import annotations

# The SQL expression (over `articles a`) that names an article's story.
STORY_COLUMN = "a.story_id"


def story_of(row: dict) -> str:
    """The story key of an article row selected with `STORY_COLUMN as story`."""
    return str(row.get("story") or row["id"])
