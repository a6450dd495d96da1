"""Ordinary web pages, cut to what a feed would carry: the false-AI check of tagging.

Our labeled items are all AI-policy news or hard negatives on its legal themes, so they
say nothing about the pages a crawler mostly meets: sport, recipes, developer blogs,
local news. htmldate's evaluation pages (../shared/eval/dates, 800 pages of blogs, news
and institutions in several languages; read here, never committed) are such pages.
Each becomes a short item as a feed would give it, its title and the first 45 words of
its extracted text, and the pages are split by bench/devsets.py's fixed hash: the
development half chooses the semantic layer's threshold for texts with no AI term
(bench/tagging_cv.py), the test half only reports how often a page is called AI
(bench/tagging.py). The pages are not labeled: a handful may really be about AI, so the
figure is an upper bound on the false-AI rate.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.devsets import EVAL, dates  # noqa: E402
from pipelines.extract import ExtractionError, extract_article  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "general-leads.json"
LEAD_WORDS = 45


def extractor_key() -> str:
    """What the leads depend on: our extractor's source and trafilatura's version. A
    cache made by another extractor is made again (bench/tagging_cv.py chooses a
    threshold on these leads)."""
    digest = hashlib.sha256(version("trafilatura").encode())
    for path in sorted((ROOT / "pipelines" / "extract").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def leads(part: str) -> list[tuple[str, str]]:
    """(title, lead) of each page in `part` ('dev' or 'test'); [] without the data set.
    Extracted once per extractor and kept in the git-ignored bench/.cache (about 40 s)."""
    if not (EVAL / "dates" / "labels.json").is_file():
        return []
    key = extractor_key()
    stored = json.loads(CACHE.read_text()) if CACHE.is_file() else {}
    if isinstance(stored, dict) and stored.get("extractor") == key:
        cached = stored["leads"]
    else:
        cached = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for page in dates():
                try:
                    article = extract_article(page.read(), page.url)
                except ExtractionError:
                    continue
                lines = [line for line in article.text.split("\n") if line.strip()]
                if lines:
                    lead = " ".join(lines[0].split()[:LEAD_WORDS])
                    cached.append([page.part, article.title or "", lead])
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps({"extractor": key, "leads": cached}))
    return [(title, lead) for where, title, lead in cached if where == part]
