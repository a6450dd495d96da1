#!/usr/bin/env python3
"""The baseline: trafilatura 2.3's bare_extraction, in either of two modes.

- `default`: as a user would call it, trafilatura's defaults plus `with_metadata=True`
  (the dates that aitrack finds too).
- `aitrack`: exactly the options pipelines/extract.py's extract_body passes (fast=True,
  no metadata, no comments, ...), so speed is compared with the same trafilatura work.
  tests/test_bench_baseline.py fails if the two drift apart.

Prints the same JSON keys as `aitrack extract` (text, published) for the scorers
(`published` is always null in the `aitrack` mode, which asks for no metadata).

    .venv/bin/python bench/bare_trafilatura.py [--options aitrack] PAGE.html [URL]
"""

import argparse
import json
import sys

import trafilatura

AITRACK_OPTIONS = {
    "with_metadata": False,
    "fast": True,
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
}
OPTIONS = {"default": {"with_metadata": True}, "aitrack": AITRACK_OPTIONS}


def describe(mode: str) -> str:
    """The options of a mode as they would be written in the call."""
    return ", ".join(f"{k}={v}" for k, v in OPTIONS[mode].items())


def body_text(markup: str, url: str | None, mode: str) -> str:
    """The body text bare_extraction finds in one mode ("" if none)."""
    doc = trafilatura.bare_extraction(markup, url=url, **OPTIONS[mode])
    return (doc.text or "") if doc is not None else ""


def extract(html: bytes, url: str | None, mode: str = "default") -> dict:
    doc = trafilatura.bare_extraction(
        html.decode("utf-8", errors="replace"), url=url, **OPTIONS[mode]
    )
    return {"text": doc.text if doc else "", "published": doc.date if doc else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", choices=OPTIONS, default="default")
    parser.add_argument("path")
    parser.add_argument("url", nargs="?")
    args = parser.parse_args()
    with open(args.path, "rb") as fh:
        print(json.dumps(extract(fh.read(), args.url, args.options)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
