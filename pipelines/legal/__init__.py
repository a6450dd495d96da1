"""Legal objects named in articles (issue 18): recognisers, context, deadlines.

Pure functions of text: no database, no network. `recognise(text, published)` returns
every case, docket, rule, bill and EU/UK act an article names, normalised to a canonical
id, with the span that is its evidence. Resolution against official APIs and storage
live elsewhere (pipelines/legal/resolve*.py, pipelines/store/legal.py).
"""

from pipelines.legal.mentions import KINDS, LegalMention
from pipelines.legal.recognise import recognise

__all__ = ["KINDS", "LegalMention", "recognise"]
