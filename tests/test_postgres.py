"""The PostgreSQL backend against a real server (pytest -m postgres; CI: bash .ci/postgres.sh).

``FACTDESK_TEST_PG`` names a server and a database whose user may create databases; each test
that needs an empty store gets a fresh database, dropped afterwards.  Everything here skips
when the variable is unset.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

PG_ENV = "FACTDESK_TEST_PG"


def _server() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: run bash .ci/postgres.sh")
    pytest.importorskip("psycopg")
    return url


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


class _Databases:
    """Creates throwaway databases on the test server and drops them at the end."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)
        self.names: list[str] = []

    def new(self) -> str:
        name = f"fdtest_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return _with_database(self.url, name)

    def drop_all(self) -> None:
        for name in self.names:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture(scope="session")
def pg_databases():
    dbs = _Databases(_server())
    yield dbs
    dbs.drop_all()


@pytest.fixture
def pg_url(pg_databases) -> str:
    """A fresh, empty database on the test server."""
    return pg_databases.new()


@pytest.fixture(scope="session")
def minilm():
    from factdesk import registry

    emb = registry.create("embedder", "minilm-int8")
    emb.warm_up()
    return emb


# -- the conformance suites --------------------------------------------------------------------
from factdesk.testing import CORPUS, RetrieverSuite, StoreSuite, index_corpus  # noqa: E402


class TestPostgresStore(StoreSuite):
    @pytest.fixture
    def store(self, pg_url):
        from factdesk import registry

        s = registry.create("store", "postgres", url=pg_url)
        yield s
        s.close()


@pytest.fixture(scope="module")
def indexed_pg(pg_databases, minilm):
    from factdesk import registry

    store = registry.create("store", "postgres", url=pg_databases.new())
    parts = {"store": lambda: store, "embedder": lambda: minilm}
    index_corpus(store, registry.create("indexer", "postgres", parts=parts))
    yield store
    store.close()


class TestPostgresRetriever(RetrieverSuite):
    @pytest.fixture
    def retriever(self, indexed_pg, minilm):
        from factdesk import registry

        # on a server with pgvector the suite searches through its HNSW index, however small the store
        options = {"dense": "pgvector"} if indexed_pg.pgvector else {}
        r = registry.create("retriever", "postgres", parts={"store": lambda: indexed_pg,
                                                            "embedder": lambda: minilm}, **options)
        assert (r.vector_index() is not None) == indexed_pg.pgvector
        return r


# -- the store: opening, migrations, transactions -------------------------------------------------
def test_a_url_opens_postgres_from_store_open_and_factdesk_db(pg_url, monkeypatch):
    from factdesk.store import Store
    from factdesk.store.postgres import MIGRATIONS, PostgresStore

    with Store.open(pg_url) as store:
        assert isinstance(store, PostgresStore) and store.schema_version == len(MIGRATIONS)
    monkeypatch.setenv("FACTDESK_DB", pg_url)
    with Store.open() as store:  # the default store: $FACTDESK_DB, kept as a URL
        assert isinstance(store, PostgresStore)
        rows = store.conn.execute("SELECT version FROM schema_version").fetchall()
        assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))  # applied once, reopened


def test_migrations_are_versioned_and_a_newer_schema_is_refused(pg_url):
    from factdesk.errors import StoreError
    from factdesk.store.postgres import MIGRATIONS, PostgresStore

    with PostgresStore.open(pg_url) as store:
        store.conn.execute("INSERT INTO schema_version VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="newer"):
        PostgresStore.open(pg_url)


def test_two_stores_migrating_one_database_at_once(pg_url):
    from concurrent.futures import ThreadPoolExecutor

    from factdesk.store.postgres import MIGRATIONS, PostgresStore

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: PostgresStore.open(pg_url), range(4)))
    assert all(s.schema_version == len(MIGRATIONS) for s in stores)
    for s in stores:
        s.close()


def test_nested_transactions_and_a_failed_inner_block(pg_url):
    from factdesk.store.postgres import PostgresStore

    with PostgresStore.open(pg_url) as store:
        with store.transaction():
            store.save_document(CORPUS[0])
            assert store.in_transaction
            with pytest.raises(RuntimeError):
                with store.transaction():  # a savepoint: only the inner block is undone
                    store.save_document(CORPUS[1])
                    raise RuntimeError("boom")
        assert not store.in_transaction
        assert store.count("documents") == 1 and store.get_document(CORPUS[0].id).title == CORPUS[0].title


def test_unreachable_server_is_a_store_error():
    from factdesk.errors import StoreError
    from factdesk.store.postgres import PostgresStore

    _server()
    with pytest.raises(StoreError, match="cannot connect"):
        PostgresStore.open("postgresql://nobody:secret@127.0.0.1:1/none")
    try:
        PostgresStore.open("postgresql://nobody:secret@127.0.0.1:1/none")
    except StoreError as exc:
        assert "secret" not in str(exc)  # the password never reaches a message


def test_reports_keep_claims_evidence_and_verdicts(pg_url):
    from factdesk.store.postgres import PostgresStore

    report = {"id": "r-1", "created": "2024-01-01T00:00:00+00:00", "verifier": "fake",
              "article": {"id": CORPUS[0].id, "title": "Dam"},
              "claims": [{"id": "c1", "text": "The dam opened in 1998.", "kind": "factual",
                          "evidence": [{"passage_id": "p1", "stance": "supports", "score": 0.5},
                                       {"passage_id": "p1", "stance": "refutes", "score": 0.2}],
                          "verdict": {"label": "supported", "confidence": 0.8}},
                         {"id": "c2", "text": "It holds water.", "kind": "factual",
                          "verdict": {"label": "supported", "confidence": 0.6}}]}
    with PostgresStore.open(pg_url) as store:
        store.save_report(report)
        store.save_report(report)  # saving again replaces
        assert store.get_report("r-")["claims"][0]["text"] == "The dam opened in 1998."
        [listed] = store.list_reports()
        assert listed["claims"] == 2 and listed["verdicts"] == {"supported": 2}
        assert store.count("claims") == 2
        stance = store.conn.execute("SELECT stance FROM evidence WHERE claim_id = 'c1'").fetchall()
        assert stance == [("refutes",)]  # the last row for one passage wins, as SQLite's OR REPLACE


def test_sqlite_only_record_sets_say_so(pg_url):
    from factdesk.errors import StoreError
    from factdesk.store.postgres import PostgresStore

    with PostgresStore.open(pg_url) as store:
        assert store.claimreviews.count() == 0  # claim matching is on PostgreSQL (tests/test_match_postgres.py)
        assert store.watch.list_feeds() == [] and store.watch.counts()["feeds"] == 0  # the desk's feeds page
        with pytest.raises(StoreError, match=r"watched feeds .* not available on a PostgreSQL store"):
            store.watch.add_feed("https://example.org/feed.xml")


def test_llm_cache_on_postgres(pg_url):
    from factdesk.store.postgres import PostgresStore

    entry = dict(model="m", stage="verdict", prompt_version="v1", text='{"a": 1}', data={"a": 1},
                 prompt_tokens=3, completion_tokens=2, seconds=0.5)
    with PostgresStore.open(pg_url) as store:
        assert store.llm_cache.get("k1") is None
        assert store.llm_cache.put("k1", **entry) and store.llm_cache.put("k1", **entry)  # replaces
        with pytest.raises(RuntimeError), store.transaction():
            store.llm_cache.put("k2", **{**entry, "model": "other"})
            raise RuntimeError("the caller's transaction fails: its cache row goes too")
        assert store.llm_cache.get("k1")["data"] == {"a": 1} and store.llm_cache.get("k2") is None
        assert store.llm_cache.count() == 1 and store.llm_cache.count(model="m", stage="verdict") == 1
        assert store.llm_cache.clear(model="m") == 1 and store.llm_cache.count() == 0


# -- retrieval: the same answers as SQLite ----------------------------------------------------------
def test_default_parts_follow_the_store(indexed_pg, minilm):
    from factdesk import registry
    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever

    parts = {"store": lambda: indexed_pg, "embedder": lambda: minilm}
    assert isinstance(registry.create("retriever", "sqlite", parts=parts), PostgresRetriever)
    assert isinstance(registry.create("indexer", "sqlite", parts=parts), PostgresIndexer)


def test_search_matches_sqlite_on_the_conformance_corpus(indexed_pg, minilm, tmp_path):
    from factdesk.retrieve.index import SqliteIndex
    from factdesk.retrieve.postgres import PostgresRetriever
    from factdesk.store import Store

    with Store.open(tmp_path / "s.db") as sq:
        lite = SqliteIndex(sq, minilm)
        with sq.transaction():
            for d in CORPUS:
                sq.save_document(d)
        lite.add_documents(CORPUS)
        pg = PostgresRetriever(indexed_pg, minilm)
        for query in ("When did the Ridgeway dam open?", "light rail Eastfield construction", "repairs"):
            for mode in ("lexical", "dense", "hybrid"):
                for before in (None, "2023"):
                    a = [h.passage.id for h in lite.search(query, k=3, mode=mode, before=before)]
                    b = [h.passage.id for h in pg.search(query, k=3, mode=mode, before=before)]
                    assert a == b, (query, mode, before)


def test_per_document_cap_and_dates_as_on_sqlite(pg_url, minilm, tmp_path):
    from factdesk.retrieve.index import SqliteIndex
    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever
    from factdesk.store import Store
    from factdesk.store.postgres import PostgresStore
    from factdesk.types import Document

    long_doc = Document(text=" ".join(f"The harbour tunnel cost {n} million in year {n}." for n in range(12)),
                        title="Tunnel costs", published="2020-01-01")
    other = Document(text="The harbour tunnel opened late.", title="Tunnel", published="2021-01-01")
    later = Document(text="The harbour tunnel cost more than planned, an audit found.", title="Audit",
                     published="2025-01-01")
    docs = [long_doc, other, later]
    with PostgresStore.open(pg_url) as store, Store.open(tmp_path / "s.db") as sq:
        PostgresIndexer(store, minilm).add_documents(docs, save_role="corpus")
        lite = SqliteIndex(sq, minilm)
        lite.add_documents(docs, save_role="corpus")
        pg = PostgresRetriever(store, minilm)
        for mode in ("lexical", "hybrid"):
            for k in (2, 3, 8):
                for cap in (0, 1):
                    args = dict(k=k, mode=mode, max_per_document=cap, before="2022-06")
                    hits = pg.search("harbour tunnel cost", **args)
                    assert [h.passage.id for h in hits] == \
                        [h.passage.id for h in lite.search("harbour tunnel cost", **args)], args
                    assert all(h.after_claim_date == (h.passage.document_id == later.id) for h in hits)
                    if cap and k == 2:  # the cap makes room for the second document
                        assert {h.passage.document_id for h in hits} == {long_doc.id, other.id}
        assert all(h.passage.document_id != long_doc.id
                   for h in pg.search("harbour tunnel", k=5, exclude_documents={long_doc.id}))


def test_dense_cache_sees_another_connections_writes(pg_url, minilm):
    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever
    from factdesk.store.postgres import PostgresStore
    from factdesk.types import Document

    with PostgresStore.open(pg_url) as reader, PostgresStore.open(pg_url) as writer:
        PostgresIndexer(writer, minilm).add_documents(CORPUS[:1], save_role="corpus")
        r = PostgresRetriever(reader, minilm)
        assert len(r.search("volcano eruption", k=5, mode="dense")) == 1
        extra = Document(text="The volcano erupted on Tuesday, covering the town in ash.", title="Volcano")
        PostgresIndexer(writer, minilm).add_documents([extra], save_role="corpus")
        hits = r.search("volcano eruption", k=5, mode="dense")
        assert hits[0].passage.document_id == extra.id


def test_hostile_query_text_never_raises(indexed_pg, minilm):
    from factdesk.retrieve.postgres import PostgresRetriever

    r = PostgresRetriever(indexed_pg, minilm)
    for q in ['"', "dam' OR 1=1 --", "a & b | !c <-> d", "NEAR(dam*)", "", "   ", "::tsquery", "\\"]:
        assert isinstance(r.search(q, k=2, mode="lexical"), list)


# -- end to end: the demo on PostgreSQL finds what it finds on SQLite -------------------------------
def _demo(db: str, out: Path) -> dict:
    from click.testing import CliRunner

    from factdesk import demodata
    from factdesk.cli import cli
    from factdesk.store import Store

    runner = CliRunner()
    res = runner.invoke(cli, ["index", str(demodata.corpus_dir()), "--quiet", "--db", db])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["check", str(demodata.article_path()), "--format", "json", "-o", str(out),
                              "--db", db])
    assert res.exit_code == 0, res.output
    report = json.loads(out.read_text())
    with Store.open(db) as store:
        assert store.get_report(report["id"])["id"] == report["id"]
        return demodata.score_report(report, store=store)


def test_demo_check_on_postgres_scores_as_on_sqlite(pg_url, tmp_path):
    on_pg = _demo(pg_url, tmp_path / "pg.json")
    on_sqlite = _demo(str(tmp_path / "demo.db"), tmp_path / "sqlite.json")
    assert on_pg["claims_found"] == on_sqlite["claims_found"]
    assert on_pg["evidence_recall"] >= on_sqlite["evidence_recall"]


# -- pgvector: HNSW dense search when the server has the extension (CI: bash .ci/pgvector.sh) --------
def _needs_pgvector(url: str) -> None:
    """Skip where the server lacks pgvector, unless FACTDESK_TEST_PGVECTOR=1 says it must have it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        ok = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')").fetchone()[0]
    if not ok:
        if os.environ.get("FACTDESK_TEST_PGVECTOR") == "1":
            pytest.fail("FACTDESK_TEST_PGVECTOR=1 but the test server has no vector extension")
        pytest.skip("the test server has no pgvector: run bash .ci/pgvector.sh")


def test_without_pgvector_the_store_scans_and_says_so(pg_url, minilm):
    import psycopg

    from factdesk.errors import ConfigError
    from factdesk.retrieve.postgres import PostgresRetriever
    from factdesk.store.postgres import MIGRATIONS, PostgresStore

    with psycopg.connect(pg_url, autocommit=True) as conn:
        has = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')").fetchone()[0]
    if has:
        pytest.skip("this server has pgvector (the scan fallback is tested on Debian's: bash .ci/postgres.sh)")
    with PostgresStore.open(pg_url) as store:
        assert not store.pgvector and "exact scan" in store.dense_search
        assert store.schema_version == len(MIGRATIONS) >= 3  # migration 3 applied, and left the schema as it was
        assert not store._embedding_column()
        assert PostgresRetriever(store, minilm).vector_index() is None
        with pytest.raises(ConfigError, match="pgvector"):
            PostgresRetriever(store, minilm, dense="pgvector")


@pytest.mark.pgvector
def test_pgvector_column_and_hnsw_index_come_from_migration_3(pg_url):
    from factdesk.store.postgres import MIGRATIONS, PostgresStore

    _needs_pgvector(pg_url)
    with PostgresStore.open(pg_url) as store:
        assert store.pgvector and store.schema_version == len(MIGRATIONS)
        assert store.dense_search.startswith("pgvector ") and "HNSW" in store.dense_search
        [(indexdef,)] = store.conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'passages_embedding'").fetchall()
        assert "hnsw" in indexdef and "vector_ip_ops" in indexdef
        typ = store.conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                 "WHERE attrelid = 'passages'::regclass AND attname = 'embedding'").fetchone()[0]
        assert typ == "vector(384)"


@pytest.fixture(scope="module")
def demo_pg(pg_databases, minilm):
    """The demo corpus (38 documents) indexed into a fresh database."""
    from factdesk import demodata
    from factdesk.ingest import find_files, load_file
    from factdesk.retrieve.postgres import PostgresIndexer
    from factdesk.store.postgres import PostgresStore

    url = pg_databases.new()
    _needs_pgvector(url)
    store = PostgresStore.open(url)
    docs = [load_file(p) for p in find_files(demodata.corpus_dir())]
    PostgresIndexer(store, minilm).add_documents(docs, save_role="corpus")
    yield store
    store.close()


_DEMO_QUERIES = ["When will the light rail open?", "How much did the project cost?", "Who opposed the rail line?",
                 "city council vote on funding", "ridership forecast", "construction delays downtown",
                 "federal grant for transit", "fare price per ride", "the mayor said the budget was balanced",
                 "environmental review of the route", "number of stations", "bus service cuts",
                 "union workers strike", "property taxes rise", "tunnel under the river"]


@pytest.mark.pgvector
def test_pgvector_dense_search_agrees_with_the_exact_scan(demo_pg, minilm):
    from factdesk.retrieve.postgres import PostgresRetriever, _PgvectorIndex

    hnsw = PostgresRetriever(demo_pg, minilm, dense="pgvector", memo=False)
    scan = PostgresRetriever(demo_pg, minilm, dense="scan", memo=False)
    assert isinstance(hnsw.vector_index(), _PgvectorIndex) and scan.vector_index() is None
    # "auto": the exact scan below ann_threshold passages (50,000), the index from there on
    assert PostgresRetriever(demo_pg, minilm).vector_index() is None
    assert isinstance(PostgresRetriever(demo_pg, minilm, ann_threshold=100).vector_index(), _PgvectorIndex)
    assert len(hnsw.vector_index()) == demo_pg.count("passages") > 100
    overlap, firsts = [], 0
    for q in _DEMO_QUERIES:
        for before in (None, "2022-06-01"):
            a = hnsw.search(q, k=10, mode="dense", before=before)
            b = scan.search(q, k=10, mode="dense", before=before)
            assert len(a) == len(b) == 10
            ids_a, ids_b = [h.passage.id for h in a], [h.passage.id for h in b]
            overlap.append(len(set(ids_a) & set(ids_b)) / 10)
            firsts += ids_a[0] == ids_b[0]
            # similarities are rescored from the stored vectors: the same numbers for the same passage
            sims = {h.passage.id: h.dense_similarity for h in b}
            for h in a:
                if h.passage.id in sims:
                    assert h.dense_similarity == pytest.approx(sims[h.passage.id], abs=1e-6)
            assert [h.after_claim_date for h in a] == [h.after_claim_date for h in b]
    assert sum(overlap) / len(overlap) >= 0.97 and firsts == len(overlap), overlap
    # and the raw HNSW order is the exact order on a store this small
    qv = minilm.embed(["light rail budget"])[0]
    near = demo_pg.passages.nearest(qv, 20, ef_search=100)
    exact = scan.search_by_vector(qv, k=20)
    by_rowid = demo_pg.passages.by_rowids([r for r, _ in near])
    assert [by_rowid[r].id for r, _ in near][:10] == [h.passage.id for h in exact][:10]


@pytest.mark.pgvector
def test_pgvector_hybrid_and_filters_match_the_scan(demo_pg, minilm):
    from factdesk.retrieve.postgres import PostgresRetriever

    hnsw = PostgresRetriever(demo_pg, minilm, dense="pgvector")
    scan = PostgresRetriever(demo_pg, minilm, dense="scan")
    some_doc = demo_pg.passages.by_rowids([1])[1].document_id
    same = 0
    for q in _DEMO_QUERIES:
        args = dict(k=5, before="2023-01-01", exclude_documents={some_doc}, max_per_document=1)
        a = [h.passage.id for h in hnsw.search(q, **args)]
        b = [h.passage.id for h in scan.search(q, **args)]
        assert all(demo_pg.passages.get(p).document_id != some_doc for p in a)
        assert len({demo_pg.passages.get(p).document_id for p in a}) == len(a)  # the cap of one per document
        same += a == b
    assert same >= len(_DEMO_QUERIES) - 1


@pytest.mark.pgvector
def test_pgvector_installed_after_the_schema_fills_the_column_on_open(pg_url, minilm):
    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever
    from factdesk.store.postgres import PostgresStore

    _needs_pgvector(pg_url)
    with PostgresStore.open(pg_url) as store:
        PostgresIndexer(store, minilm).add_documents(CORPUS, save_role="corpus")
        n = store.count("passages")
        # as a store migrated on a server without pgvector: no column, no extension
        store.conn.execute("DROP EXTENSION vector CASCADE")
        assert not store._embedding_column()
    with PostgresStore.open(pg_url) as store:  # the server has it now: added, and filled from the bytes
        assert store.pgvector and store.passages.embedding_count() == n
        hits = PostgresRetriever(store, minilm, dense="pgvector").search("When did the Ridgeway dam open?",
                                                                          k=1, mode="dense")
        assert "Ridgeway dam" in hits[0].passage.text
        # re-indexing a document rewrites its embeddings too
        PostgresIndexer(store, minilm).add_documents(CORPUS[:1], save_role="corpus")
        assert store.passages.embedding_count() == n


def test_info_says_which_dense_search_the_store_uses(pg_url):
    from click.testing import CliRunner

    from factdesk.cli import cli
    from factdesk.store.postgres import PostgresStore

    res = CliRunner().invoke(cli, ["info", "--json", "--db", pg_url])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    with PostgresStore.open(pg_url) as store:
        assert data["store"] == store.url and data["dense_search"] == store.dense_search
        assert data["dense_search"].startswith("pgvector" if store.pgvector else "exact scan")


@pytest.mark.pgvector
def test_vectors_of_another_dimension_are_scanned(pg_url):
    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever
    from factdesk.store.postgres import PostgresStore
    from factdesk.testing.fakes import FakeEmbedder

    _needs_pgvector(pg_url)
    emb = FakeEmbedder(dim=64)  # not the column's 384: nothing goes into pgvector's column
    with PostgresStore.open(pg_url) as store:
        PostgresIndexer(store, emb).add_documents(CORPUS, save_role="corpus")
        assert store.pgvector and store.passages.embedding_count() == 0
        r = PostgresRetriever(store, emb, ann_threshold=1)
        assert r.vector_index() is None  # the scan, though the store is over the threshold
        hits = r.search(CORPUS[0].text[:80], k=2, mode="dense")
        assert hits and hits[0].passage.document_id == CORPUS[0].id


def test_dense_options_are_checked(pg_url, minilm):
    from factdesk.errors import ConfigError
    from factdesk.retrieve.postgres import PostgresRetriever
    from factdesk.store.postgres import PostgresStore

    with PostgresStore.open(pg_url) as store:
        for bad in (dict(ef_search=0), dict(ef_search=1001), dict(dense="hnsw")):
            with pytest.raises(ConfigError):
                PostgresRetriever(store, minilm, **bad)
        assert PostgresRetriever(store, minilm, ef_search=1000, dense="scan").vector_index() is None


@pytest.mark.pgvector
def test_nearest_returns_at_most_depth_and_ef_search_rows(demo_pg, minilm):
    qv = minilm.embed(["light rail budget"])[0]
    n = demo_pg.passages.embedding_count()
    assert len(demo_pg.passages.nearest(qv, 5, ef_search=40)) == 5
    rows = demo_pg.passages.nearest(qv, n + 50, ef_search=40)  # ef_search is raised to the depth asked
    assert 0.9 * n <= len(rows) <= n and [s for _, s in rows] == sorted((s for _, s in rows), reverse=True)
    assert demo_pg.passages.nearest(qv[:10], 5) == []  # a vector of another dimension finds nothing


@pytest.mark.pgvector
def test_a_bulk_index_run_drops_the_hnsw_index_and_finish_rebuilds_it(pg_url, minilm):
    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever
    from factdesk.store.postgres import PostgresStore

    _needs_pgvector(pg_url)
    with PostgresStore.open(pg_url) as store:
        indexer = PostgresIndexer(store, minilm, bulk_min=2, chunk_size=2)
        indexer.add_documents(CORPUS, save_role="corpus")
        n = store.count("passages")
        assert not store.passages.hnsw_index_exists() and store.passages.embedding_count() == n
        assert "HNSW index missing" in store.dense_search
        hnsw = PostgresRetriever(store, minilm, dense="pgvector", memo=False)
        scan = PostgresRetriever(store, minilm, dense="scan", memo=False)
        for q in ("When did the Ridgeway dam open?", "light rail Eastfield construction", "volcano"):
            # without the index pgvector orders the whole column exactly: the scan's answer
            assert [h.passage.id for h in hnsw.search(q, k=3, mode="dense")] == \
                [h.passage.id for h in scan.search(q, k=3, mode="dense")]
        indexer.finish()
        assert store.passages.hnsw_index_exists() and store.dense_search.startswith("pgvector ")
        assert "HNSW" in store.dense_search and "missing" not in store.dense_search
    with PostgresStore.open(pg_url) as store:  # a small run keeps the index live
        PostgresIndexer(store, minilm).add_documents(CORPUS[:1], save_role="corpus")
        assert store.passages.hnsw_index_exists()


# -- large stores: frequent terms pruned and lexical top lists remembered, as on SQLite (issue 15 item 1) --
_HARBOUR = [f"The harbour ferry {n} sailed at dawn with {n} passengers aboard." for n in range(10)] + \
    ["The harbour tunnel toll rose after the audit.", "A tunnel under the harbour was proposed."]


@pytest.fixture(scope="module")
def harbour_pg(pg_databases, minilm):
    """12 one-passage documents: 'harbour' in all, 'ferry' in 10, 'tunnel' in 2, 'toll' and 'audit' in 1."""
    from factdesk.retrieve.postgres import PostgresIndexer
    from factdesk.store.postgres import PostgresStore
    from factdesk.types import Document

    store = PostgresStore.open(pg_databases.new())
    docs = [Document(text=t, title=f"Harbour {i}") for i, t in enumerate(_HARBOUR)]
    PostgresIndexer(store, minilm).add_documents(docs, save_role="corpus")
    yield store
    store.close()


def test_frequent_terms_are_left_out_above_the_threshold_keeping_the_rarest(harbour_pg, minilm, tmp_path):
    from factdesk.retrieve.index import SqliteIndex
    from factdesk.retrieve.postgres import PostgresRetriever
    from factdesk.store import Store
    from factdesk.types import Document

    assert harbour_pg.passages.document_frequencies(["harbour", "ferry", "tunnel", "toll", "the", "nowhere"]) == \
        [12, 10, 2, 1, 0, 0]  # 'the': PostgreSQL's stop word, no lexeme
    query = "harbour ferry tunnel toll audit"
    # the store (12 passages) is at the threshold: words in more than 25 % of them (3) go, the 2 rarest stay
    r = PostgresRetriever(harbour_pg, minilm, lexical_max_df=0.25, lexical_min_terms=2, lexical_prune_min=12)
    assert r.lexical_terms(query) == ["tunnel", "toll", "audit"]
    assert r.fts_query(query) == "tunnel or toll or audit"
    hits = r.search(query, k=5, mode="lexical")
    assert hits and all("tunnel" in h.passage.text or "toll" in h.passage.text for h in hits)
    # only 'tunnel' is rare enough: the 2 rarest are kept all the same (ties: the earlier word)
    assert r.lexical_terms("harbour ferry tunnel sailed dawn") == ["ferry", "tunnel"]
    assert PostgresRetriever(harbour_pg, minilm, lexical_max_df=0.01, lexical_min_terms=1, lexical_prune_min=12
                             ).lexical_terms("harbour ferry tunnel") == ["tunnel"]
    # with a budget, the kept words' frequencies add up to at most that share (tunnel 2 + toll 1 + audit 1 > 3)
    assert PostgresRetriever(harbour_pg, minilm, lexical_max_df=0.25, lexical_min_terms=1, lexical_prune_min=12,
                             lexical_budget=0.25).lexical_terms(query) == ["toll", "audit"]
    # the same words as SQLite's pruning keeps for the same passages and options
    options = dict(lexical_max_df=0.25, lexical_min_terms=2, lexical_prune_min=12)
    with Store.open(tmp_path / "s.db") as sq:
        lite = SqliteIndex(sq, minilm, **options)
        lite.add_documents([Document(text=t, title=f"Harbour {i}") for i, t in enumerate(_HARBOUR)], save_role="corpus")
        for q in (query, "harbour ferry tunnel toll nowhere", "harbour ferry tunnel sailed dawn"):
            assert lite.fts_query(q).replace('"', "").split(" OR ") == r.lexical_terms(q), q


def test_below_the_threshold_or_with_pruning_off_nothing_changes(harbour_pg, minilm):
    from factdesk.retrieve.postgres import PostgresRetriever

    query = "harbour ferry tunnel toll audit"
    default = PostgresRetriever(harbour_pg, minilm, lexical_max_df=0.25, lexical_min_terms=2)  # prune_min 50,000
    off = PostgresRetriever(harbour_pg, minilm, lexical_max_df=0, lexical_min_terms=2, lexical_prune_min=1)
    few = PostgresRetriever(harbour_pg, minilm, lexical_max_df=0.25, lexical_min_terms=5, lexical_prune_min=1)
    plain = PostgresRetriever(harbour_pg, minilm, memo=False)
    for r in (default, off, few):
        assert r.lexical_terms(query) == ["harbour", "ferry", "tunnel", "toll", "audit"]
    for mode in ("lexical", "hybrid"):
        for k in (1, 3, 12):
            want = [(h.passage.id, round(h.score, 9)) for h in plain.search(query, k=k, mode=mode)]
            for r in (default, off, few):
                assert [(h.passage.id, round(h.score, 9)) for h in r.search(query, k=k, mode=mode)] == want


class _CountingConnection:
    """The store's connection with a count of the lexical SQL it runs (the ranking queries)."""

    def __init__(self, conn):
        self._conn, self.lexical = conn, 0

    def execute(self, sql, *args, **kw):
        if "FROM passages p" in str(sql):
            self.lexical += 1
        return self._conn.execute(sql, *args, **kw)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_identical_lexical_searches_share_one_query_until_the_passages_change(harbour_pg, minilm, monkeypatch):
    from factdesk.retrieve.postgres import PostgresRetriever
    from factdesk.types import Document

    counting = _CountingConnection(harbour_pg.passages._conn)
    monkeypatch.setattr(harbour_pg.passages, "_conn", counting)
    r = PostgresRetriever(harbour_pg, minilm)
    first = r.search("harbour tunnel toll", k=2, mode="lexical", max_per_document=0)
    assert counting.lexical == 1
    # k = 5 and k = 25 (a claim search and omitted context's), another cap, another retriever call: one query
    r.lexical_search("harbour tunnel toll", 5)
    deeper = r.search("harbour tunnel toll", k=12, mode="lexical")
    assert [h.passage.id for h in deeper[:2]] == [h.passage.id for h in first]
    assert r.search_many(["harbour, tunnel & toll?", "Harbour tunnel toll"], k=3, mode="lexical")
    assert counting.lexical == 1  # the same words in another spelling: the same query
    r.search("harbour tunnel toll", k=3, mode="lexical", before="2024")  # a date: another list
    r.search("tunnel toll harbour", k=3, mode="lexical")  # another order: another query (as on SQLite)
    assert counting.lexical == 3
    # without the memo every search asks again
    plain = PostgresRetriever(harbour_pg, minilm, memo=False)
    plain.lexical_search("harbour tunnel toll", 5)
    plain.lexical_search("harbour tunnel toll", 5)
    assert counting.lexical == 5
    # a write (from any connection) changes the passages' version: the lists are fetched again
    from factdesk.retrieve.postgres import PostgresIndexer

    extra = Document(text="The harbour tunnel toll was scrapped.", title="Toll")
    PostgresIndexer(harbour_pg, minilm).add_documents([extra], save_role="corpus")
    try:
        hits = r.search("harbour tunnel toll", k=2, mode="lexical")
        assert counting.lexical == 6 and extra.id in {h.passage.document_id for h in hits}
    finally:
        with harbour_pg.transaction():
            harbour_pg.passages.remove_document(extra.id)


def test_options_postgresql_cannot_honour_say_so(harbour_pg, minilm, caplog):
    import logging

    from factdesk.retrieve.postgres import PostgresIndexer, PostgresRetriever

    with caplog.at_level(logging.WARNING, logger="factdesk"):
        PostgresRetriever(harbour_pg, minilm)
        PostgresIndexer(harbour_pg, minilm)
        assert not caplog.records
        PostgresRetriever(harbour_pg, minilm, lexical_rank_first=False)
        PostgresIndexer(harbour_pg, minilm, ann_threshold=10)
    assert [("lexical_rank_first" in m, "ann_threshold" in m) for m in caplog.messages] == [(True, False), (False, True)]
