"""Storage backends. SQLite is the embedded default; each concern's SQL has its own module.

``store.passages`` (:mod:`factdesk.store.passages`) and ``store.claimreviews``
(:mod:`factdesk.store.claimreviews`) are reached from an open :class:`Store`.
"""

from factdesk.store.claimreviews import ClaimReviewRecords
from factdesk.store.passages import PassageRecords
from factdesk.store.sqlite import Store, default_db_path

__all__ = ["ClaimReviewRecords", "PassageRecords", "Store", "default_db_path"]
