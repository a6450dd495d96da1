"""The processing core: plain functions from a fetched page to a stored article.

Nothing here imports Scrapy or `crawlers/`: the crawl, the CLI, `reextract` and any
future worker call these functions (docs/architecture.md has the data flow).
"""

from pathlib import Path

#: The repository root; data/ lives beside the packages (editable install).
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
