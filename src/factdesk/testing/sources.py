"""Conformance suite for :class:`~factdesk.protocols.EvidenceSource`: what every evidence source must do.

A source's tests subclass :class:`EvidenceSourceSuite` and provide the fixture ``source`` (the part,
warmed up, able to find :data:`~factdesk.testing.conformance.CORPUS`'s documents — a web source over
:class:`~factdesk.testing.search_server.SearchServer` serving them, a ZIM source over a ZIM built from
them); ``source_query`` (a class attribute) is what the suite searches for.

Example::

    class TestMySource(EvidenceSourceSuite):
        @pytest.fixture
        def source(self, tmp_path):
            s = make_my_source(path=build_fixture(tmp_path, CORPUS))
            s.warm_up()
            return s
"""

from __future__ import annotations

from typing import Any

from factdesk.protocols import EvidenceSource
from factdesk.types import Hit


class EvidenceSourceSuite:
    """An :class:`~factdesk.protocols.EvidenceSource`: ranked hits with provenance, dates flagged, k respected."""

    source_query = "When did the Ridgeway dam open?"  # a subclass may ask something else its fixture finds

    def test_satisfies_the_protocol(self, source: Any) -> None:
        assert isinstance(source, EvidenceSource)
        assert isinstance(source.name, str) and source.name

    def test_finds_the_document_with_provenance(self, source: Any) -> None:
        hits = source.search(self.source_query, k=3)
        assert hits and all(isinstance(h, Hit) for h in hits)
        assert any("Ridgeway" in h.passage.text for h in hits), [h.passage.text for h in hits]
        for h in hits:
            assert h.passage.text.strip() and h.passage.id and h.passage.document_id
            prov = h.provenance
            assert isinstance(prov, dict), "every hit says where it came from"
            assert prov.get("source") == source.name
            assert prov.get("query") and prov.get("url")

    def test_at_most_k_hits_best_first(self, source: Any) -> None:
        for k in (1, 2):
            hits = source.search(self.source_query, k=k)
            assert len(hits) <= k
        hits = source.search(self.source_query, k=5)
        unflagged = [h.score for h in hits if not h.after_claim_date]
        assert unflagged == sorted(unflagged, reverse=True)

    def test_nothing_for_an_empty_query_or_k_zero(self, source: Any) -> None:
        assert source.search("", k=3) == []
        assert source.search(self.source_query, k=0) == []

    def test_pages_dated_after_before_are_flagged(self, source: Any) -> None:
        hits = source.search(self.source_query, k=5, before="2000-01-01")
        assert hits
        for h in hits:
            dated = (h.provenance or {}).get("published") or h.passage.published
            if dated:
                assert h.after_claim_date == (str(dated)[:10] > "2000-01-01"), (dated, h.after_claim_date)
        # what was known before the date ranks first
        flags = [h.after_claim_date for h in hits]
        assert flags == sorted(flags)

    def test_the_same_search_gives_the_same_passages(self, source: Any) -> None:
        first = [h.passage.id for h in source.search(self.source_query, k=3)]
        assert first == [h.passage.id for h in source.search(self.source_query, k=3)]


__all__ = ["EvidenceSourceSuite"]
