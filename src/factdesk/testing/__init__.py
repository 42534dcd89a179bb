"""Test helpers for factdesk and its plugins: deterministic fakes and conformance suites.

Example::

    from factdesk.testing import FakeVerifier, VerifierSuite

    class TestFake(VerifierSuite):
        @pytest.fixture
        def verifier(self):
            return FakeVerifier()
"""

from factdesk.testing.conformance import (CORPUS, PAIRS, SENTENCES, CheckworthinessSuite, EmbedderSuite,
                                          RetrieverSuite, StoreSuite, VerifierSuite, index_corpus)
from factdesk.testing.fakes import FakeEmbedder, FakeLLM, FakeRetriever, FakeScorer, FakeVerifier
from factdesk.testing.sources import EvidenceSourceSuite

__all__ = ["FakeVerifier", "FakeEmbedder", "FakeScorer", "FakeRetriever", "FakeLLM", "VerifierSuite",
           "EmbedderSuite", "CheckworthinessSuite", "RetrieverSuite", "StoreSuite", "CORPUS", "PAIRS",
           "SENTENCES", "index_corpus", "EvidenceSourceSuite"]
