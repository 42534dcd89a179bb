"""Context around a checked article: where its quotes come from, and what it leaves out.

* :mod:`factdesk.context.quotes` — :func:`check_quote` and :func:`provenance_for_claims`: is a
  quoted or rebutted claim's wording really in its source (verbatim, close, altered, not found)?
* :mod:`factdesk.context.omitted` — :func:`find_omitted`: relevant facts from the corpus,
  published before the article, that none of its claims states.
"""

from factdesk.context.omitted import OmittedFact, find_omitted
from factdesk.context.quotes import QuoteCheck, check_quote, provenance_for_claims, quoted_part

__all__ = ["OmittedFact", "QuoteCheck", "check_quote", "find_omitted", "provenance_for_claims", "quoted_part"]
