"""Every registered evidence source that can be built on loopback passes EvidenceSourceSuite.

Web sources search a loopback SearxNG/Brave server serving factdesk.testing's CORPUS as pages; a kind
that needs something else (a ZIM file) is built by its own tests and skipped here with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from factdesk import registry
from factdesk.store import Store
from factdesk.testing import CORPUS, EvidenceSourceSuite, FakeEmbedder
from factdesk.testing.search_server import SearchServer

BRAVE_KEY = "conformance-key"


def _searxng(server: SearchServer, store: Store) -> Any:
    return registry.create("source", "searxng", url=server.base_url, store=store, allow_private=True)


def _brave(server: SearchServer, store: Store) -> Any:
    return registry.create("source", "brave", base_url=server.url("/res/v1"), api_key=BRAVE_KEY, store=store,
                           embedder=FakeEmbedder(), allow_private=True)


BUILDERS: dict[str, Callable[[SearchServer, Store], Any]] = {"searxng": _searxng, "brave": _brave}


@pytest.fixture(params=registry.names("source"))
def source(request: pytest.FixtureRequest, tmp_path) -> Iterator[Any]:
    build = BUILDERS.get(request.param)
    if build is None:
        pytest.skip(f"source {request.param!r} needs more than a loopback server; its own tests run the suite")
    with SearchServer(brave_key=BRAVE_KEY) as server, Store.open(tmp_path / "sources.db") as store:
        server.add_documents(CORPUS)
        src = build(server, store)
        src.warm_up()
        yield src


class TestSources(EvidenceSourceSuite):
    pass


def test_the_web_sources_are_registered() -> None:
    assert {"searxng", "brave"} <= set(registry.names("source"))
