"""Processing stages, in order: urls -> extract -> tagging -> dedupe -> store.

Each module holds plain functions (the functional core that tests and the CLI call)
and one thin Scrapy pipeline class that adapts them to items.
"""
