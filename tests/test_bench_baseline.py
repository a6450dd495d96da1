"""The crawl bench compares like with like (issue 12, item 19).

The baseline runs trafilatura with exactly the options aitrack passes, as well as with
its defaults, on one core and on a process pool; the headline ratio and the ≥ 1.2 target
are taken against whichever baseline was fastest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pipelines.extract
from bench import all as bench_all
from bench import crawl
from bench.bare_trafilatura import AITRACK_OPTIONS
from bench.site import start_site, stop_site

ROOT = Path(__file__).resolve().parent.parent


def test_the_baseline_passes_exactly_aitracks_trafilatura_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[dict[str, Any]] = []

    def spy(markup: str, **options: Any) -> None:
        calls.append(options)

    monkeypatch.setattr(pipelines.extract.trafilatura, "bare_extraction", spy)
    pipelines.extract.extract_body("<html><body><p>Some words.</p></body></html>", "http://x/")
    assert len(calls) == 1
    options = calls[0]
    assert options.pop("url") == "http://x/"
    assert options == AITRACK_OPTIONS


def fake_runs(rates: dict[str, float], rounds: int = 3) -> dict[str, list[dict[str, Any]]]:
    """Runs as crawl_rounds records them, with the given pages/s for every row."""
    pages = 100
    runs: dict[str, list[dict[str, Any]]] = {}
    for key, rate in rates.items():
        run: dict[str, Any] = {"rate": rate, "pages": pages, "wall_s": 2.0, "tree_cpu_s": 1.0}
        if key.startswith("b"):
            run |= {"bodies": pages, "seconds": pages / rate, "stored": pages, "errors": 0}
            run["time_ms"] = {stage: 1.0 for stage in crawl.STAGES}
        runs[key] = [dict(run) for _ in range(rounds)]
    return runs


def test_every_baseline_row_is_measured_and_described() -> None:
    assert {"a", "f1", "f2"} <= set(crawl.BASELINES)
    assert ("f3" in crawl.BASELINES) == bool(crawl.WORKERS)
    assert "--options" in crawl.BASELINES["f1"][1] and "default" in crawl.BASELINES["f1"][1]
    assert crawl.BASELINES["f2"][1][-2:] == ["--options", "aitrack"]
    assert "fast=True" in crawl.BASELINES["f2"][0] and "1 process" in crawl.BASELINES["f2"][0]
    assert crawl.AITRACK_ROWS["b0"][1] == ["AITRACK_WORKERS=0"]


def test_the_target_is_checked_against_the_fastest_baseline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (b) is 2x the default-mode baseline but only 1.1x the pool baseline: not met.
    monkeypatch.setitem(crawl.BASELINES, "f3", ("(f3) pool", []))
    rates = {"a": 500, "f1": 60, "f2": 100, "f3": 110, "b": 121, "b2": 1, "b0": 90, "b1": 115}
    t = crawl.summarise(fake_runs(rates), 100)
    assert t["strongest"] == "f3"
    assert t["b_over_strongest"] == pytest.approx(1.1)
    assert t["b_over"]["f1"] == pytest.approx(121 / 60)
    assert t["b0_over"]["f2"] == pytest.approx(0.9)
    table = bench_all.table({"crawl": {"throughput": t}})
    assert "| (b) / strongest baseline (f3) | 1.10 | ≥ 1.2: **NOT MET** |" in table
    assert "strongest baseline |" in next(line for line in table.splitlines() if "(f3)" in line)


def test_the_bare_spider_extracts_every_page_in_each_mode() -> None:
    process, base = start_site(20)
    try:
        for args in (["--options", "default"], ["--options", "aitrack", "--workers", "2"]):
            result = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "bare_spider.py"), "--mode", "trafilatura"]
                + args
                + ["--sitemap", f"{base}/sitemap.xml"],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr[-2000:]
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            assert figures["pages"] == figures["extracted"] == 20
            assert figures["workers"] == (2 if "--workers" in args else 0)
    finally:
        stop_site(process)
