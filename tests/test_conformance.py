"""Every registered part passes its protocol's conformance suite (factdesk.testing), as do the fakes.

Heavy models load once per session: the fixtures are session-scoped and parametrised by name.
"""

from __future__ import annotations

import pytest

from factdesk import registry
from factdesk.testing import (CheckworthinessSuite, EmbedderSuite, FakeEmbedder, FakeRetriever, FakeScorer,
                              FakeVerifier, RetrieverSuite, StoreSuite, VerifierSuite, index_corpus)
from factdesk.testing.conformance import CORPUS

FAKE = "<fake>"
# parts that need a server run their suites in tests/test_postgres.py (pytest -m postgres)
SERVER_BACKED = {"postgres"}


def _local(kind: str) -> list[str]:
    return [n for n in registry.names(kind) if n not in SERVER_BACKED]


@pytest.fixture(scope="session")
def default_embedder():
    emb = registry.create("embedder", "minilm-int8")
    emb.warm_up()
    return emb


def _parts(embedder):
    return {"embedder": lambda: embedder}


@pytest.fixture(scope="session", params=registry.names("verifier") + [FAKE])
def verifier(request, default_embedder):
    if request.param == FAKE:
        return FakeVerifier()
    v = registry.create("verifier", request.param, parts=_parts(default_embedder))
    v.warm_up()
    return v


@pytest.fixture(scope="session", params=registry.names("embedder") + [FAKE])
def embedder(request, default_embedder):
    if request.param == FAKE:
        return FakeEmbedder()
    if request.param == "minilm-int8":
        return default_embedder
    e = registry.create("embedder", request.param)
    e.warm_up()
    return e


@pytest.fixture(scope="session", params=registry.names("checkworthiness") + [FAKE])
def scorer(request, default_embedder):
    if request.param == FAKE:
        return FakeScorer()
    s = registry.create("checkworthiness", request.param, parts=_parts(default_embedder))
    s.warm_up()
    return s


@pytest.fixture(scope="module", params=_local("retriever") + [FAKE])
def retriever(request, tmp_path_factory, default_embedder):
    if request.param == FAKE:
        yield FakeRetriever(CORPUS)
        return
    indexer_name = request.param if request.param in _local("indexer") else "sqlite"
    store = registry.create("store", "sqlite", path=str(tmp_path_factory.mktemp("retriever") / "r.db"))
    parts = {"store": lambda: store, "embedder": lambda: default_embedder}
    index_corpus(store, registry.create("indexer", indexer_name, parts=parts))
    yield registry.create("retriever", request.param, parts=parts)
    store.close()


@pytest.fixture(params=_local("store"))
def store(request, tmp_path):
    s = registry.create("store", request.param, path=str(tmp_path / "store.db"))
    yield s
    s.close()


class TestVerifiers(VerifierSuite):
    pass


class TestEmbedders(EmbedderSuite):
    pass


class TestCheckworthiness(CheckworthinessSuite):
    pass


class TestRetrievers(RetrieverSuite):
    pass


class TestStores(StoreSuite):
    pass


def test_every_kind_has_a_registered_part():
    for kind in registry.KINDS:
        assert registry.names(kind), kind


def test_fake_retriever_is_an_indexer_too():
    from factdesk.protocols import Indexer

    assert isinstance(FakeRetriever(), Indexer)
