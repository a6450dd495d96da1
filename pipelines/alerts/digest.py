"""One digest per subscription and run: one line per story, not per copy.

Each line has the headline, the source, the date, the topics with the phrases that
earned them, and a link to our article page (which lists the story's other copies).
Pure: rows in, text and JSON out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipelines.alerts.stories import story_of


@dataclass
class StoryLine:
    story: str
    article_id: str  # the copy the line shows: the first one stored
    headline: str
    source: str
    date: str
    url: str  # the publisher's page
    link: str  # our article page
    topics: list[dict[str, Any]]
    copies: list[dict[str, str]] = field(default_factory=list)  # every article of it

    def text(self) -> str:
        topics = "; ".join(
            f"{t['topic']} ({', '.join(t['evidence'][:3])})" if t["evidence"] else t["topic"]
            for t in self.topics
        )
        others = len({c["source"] for c in self.copies}) - 1
        more = f" (+{others} other source{'s' * (others > 1)})" if others > 0 else ""
        line = f"- {self.headline} | {self.source}{more} | {self.date or 'undated'}"
        return line + (f" | {topics}" if topics else "") + f"\n  {self.link}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "story": self.story,
            "headline": self.headline,
            "source": self.source,
            "date": self.date,
            "url": self.url,
            "link": self.link,
            "topics": self.topics,
            "copies": self.copies,
        }


def story_lines(rows: list[dict[str, Any]], site: str) -> list[StoryLine]:
    """Group matches by story, in the order their stories were first stored."""
    lines: dict[str, StoryLine] = {}
    for row in rows:
        key = story_of(row)
        line = lines.get(key)
        if line is None:
            line = lines[key] = StoryLine(
                story=key,
                article_id=row["id"],
                headline=row["title"] or "(untitled)",
                source=row["source_name"],
                date=(row["published_day"] or row["published_at"] or "")[:10],
                url=row["url"],
                link=f"{site}/article/{row['id']}",
                topics=row["topics"],
            )
        line.copies.append({"id": row["id"], "source": row["source"], "url": row["url"]})
    return list(lines.values())


def digest_text(subscription: str, follow: str, lines: list[StoryLine]) -> str:
    head = f"aitrack: {len(lines)} new stor{'y' if len(lines) == 1 else 'ies'} for {subscription}"
    return "\n".join([head, f"(following {follow})", "", *(line.text() for line in lines), ""])
