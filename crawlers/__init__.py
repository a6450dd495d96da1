"""aitrack's Scrapy project: settings, the sources catalogue, spiders and the run."""

from pipelines import DATA, ROOT

__all__ = ["DATA", "ROOT"]
