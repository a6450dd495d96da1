#!/usr/bin/env python3
"""The baseline: trafilatura 2.3's bare_extraction with metadata, as a user would call it.

Prints the same JSON keys as `aitrack extract` (text, published) for the scorers.

    .venv/bin/python bench/bare_trafilatura.py PAGE.html [URL]
"""

import json
import sys

import trafilatura


def extract(html: bytes, url: str | None) -> dict:
    doc = trafilatura.bare_extraction(
        html.decode("utf-8", errors="replace"), url=url, with_metadata=True
    )
    return {"text": doc.text if doc else "", "published": doc.date if doc else None}


def main() -> int:
    path, url = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    with open(path, "rb") as fh:
        print(json.dumps(extract(fh.read(), url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
