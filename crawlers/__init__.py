"""aitrack's Scrapy project: settings, the Article item, the sources catalogue and spiders."""

from pathlib import Path

#: The repository root; data/ lives beside the packages (editable install).
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
