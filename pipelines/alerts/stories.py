"""What counts as one story in a digest: one line per story, not per copy.

Until articles carry a `story_id`, copies of one story share `articles.cluster_id` (the
writer's duplicate clusters). Switching to stories is this one column.
"""

from __future__ import annotations

# The SQL expression (over `articles a`) that names an article's story.
STORY_COLUMN = "a.cluster_id"


def story_of(row: dict) -> str:
    """The story key of an article row selected with `STORY_COLUMN as story`."""
    return str(row.get("story") or row["id"])
