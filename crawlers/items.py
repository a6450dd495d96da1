"""The item that flows from spiders to the pipelines: the neutral model's Article."""

from pipelines.model import Article, Hints

__all__ = ["Article", "Hints"]
