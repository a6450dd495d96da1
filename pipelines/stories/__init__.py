"""Stories: syndicated copies and same-event coverage folded into one story.

Two halves, like the rest of the core (docs/stories.md has the whole picture):

- `signature` is pure and runs with the page in a worker: a MinHash of the body's word
  shingles cut into LSH band keys, and an embedding of the title and lead.
- `match` is pure too: the rules that turn a candidate's similarities into a relation
  (`copy`, `same_event`) with its score and a reason a reader can check.
- `pipelines.store.stories` is the database half, run by the writer: it looks the
  article up through indexed tables (never every stored article) and keeps `stories`.
- `rebuild` places every stored article again (`aitrack stories --rebuild`), `report`
  counts stories, `diff` makes the side-by-side differences of the site's story page.
"""
