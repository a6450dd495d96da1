#!/usr/bin/env python3
"""The baseline: trafilatura 2.3's bare_extraction with metadata, as a user would call it.

Prints the same JSON keys as `aitrack extract` (text, published) for the scorers.
"""

import json
import sys

import trafilatura


def main() -> int:
    path, url = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    with open(path, "rb") as fh:
        html = fh.read().decode("utf-8", errors="replace")
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    print(json.dumps({"text": doc.text if doc else "", "published": doc.date if doc else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
