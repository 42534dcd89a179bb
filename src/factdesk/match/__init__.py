"""Earlier fact-checks: import ClaimReview records and match claims against them.

* :mod:`factdesk.match.importer` — ``import_reviews(store, sources)`` from JSON-LD, HTML, Google
  Fact Check Tools JSON and CSV files, folders and URLs; returns :class:`ImportStats`.
* :mod:`factdesk.match.reviews` — the ``reviews`` table: ``add_reviews``, ``list_reviews``,
  ``search_reviews`` (hybrid retrieval).
* :mod:`factdesk.match.matcher` — :class:`ClaimMatcher` (re-ranking + calibrated threshold).
* :mod:`factdesk.match.quality` — ``evaluate_matching(queries, records)``.
* :mod:`factdesk.match.reviews_cli` — the ``reviews`` click group.
"""

from __future__ import annotations

from factdesk.match.importer import ImportStats, import_reviews
from factdesk.match.matcher import THRESHOLD, ClaimMatcher, Match
from factdesk.match.reviews import Review, add_reviews, count_reviews, list_reviews, search_reviews

__all__ = ["ClaimMatcher", "ImportStats", "Match", "Review", "THRESHOLD", "add_reviews", "count_reviews",
           "import_reviews", "list_reviews", "search_reviews"]
