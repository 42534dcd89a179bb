"""Context around a checked article: where its quotes come from, and what it leaves out.

* :mod:`factdesk.context.quotes` — :func:`check_quote` and :func:`provenance_for_claims`: is a
  quoted or rebutted claim's wording really in its source (verbatim, close, altered, not found)?
* :mod:`factdesk.context.omitted` — :func:`find_omitted`: relevant facts from the corpus,
  published before the article, that none of its claims states.
"""

from collections.abc import Iterable

from factdesk.context.omitted import OmittedFact, find_omitted
from factdesk.context.omitted import planned_queries as _omitted_queries
from factdesk.context.quotes import QuoteCheck, check_quote, provenance_for_claims, quoted_part
from factdesk.context.quotes import planned_queries as _quote_queries
from factdesk.types import CheckedClaim, Claim, Document


def planned_queries(article: Document, claims: Iterable[Claim | CheckedClaim]) -> list[str]:
    """Every text the context stage will search the corpus for: quoted words, then omitted context's queries.

    The pipeline hands them (with the claims) to the retriever before retrieval, so they are
    embedded in one call.
    """
    claims = list(claims)
    return _quote_queries(claims) + _omitted_queries(article, claims)


__all__ = ["OmittedFact", "QuoteCheck", "check_quote", "find_omitted", "planned_queries", "provenance_for_claims",
           "quoted_part"]
