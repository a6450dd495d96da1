"""The processing core: plain functions from a fetched page to a stored article.

Nothing here imports Scrapy or `crawlers/`: the crawl, the CLI, `reextract` and any
future worker call these functions (docs/architecture.md has the data flow).
"""

import os
from pathlib import Path

# One BLAS thread per process, set before anything here imports numpy. aitrack's
# parallelism is its worker processes (pipelines/offload.py); OpenBLAS's own threads on
# top of them spin against each other and the reactor: on a busy 2-core machine the
# tagging model took 10 s to fit at a worker's start instead of 1.3 s. An operator's
# own setting wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

#: The repository root; data/ lives beside the packages (editable install).
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
