"""A factdesk store on a PostgreSQL server (extra ``postgres``: psycopg 3).

The same :class:`~factdesk.protocols.Store` protocol as the embedded SQLite store
(:mod:`factdesk.store.sqlite`): documents, files indexed, passages with full-text and vectors
(``store.passages``, :mod:`factdesk.store.postgres_passages`), reports with their claims,
evidence and verdicts.  Selected by a ``postgresql://`` (or ``postgres://``) URL wherever a
store path is given (``--db``, ``FACTDESK_DB``, :meth:`factdesk.store.Store.open`) or by the
registered name ``postgres`` (``[store] name = "postgres"``, option ``url``).

Migrations are versioned in a ``schema_version`` table and each is applied in its own
transaction under an advisory lock, so two processes opening a fresh database do not race.

The LLM response cache is ``store.llm_cache`` (:mod:`factdesk.store.postgres_llm_cache`), the web
desk's tables ``store.desk`` (:mod:`factdesk.store.postgres_desk`), imported fact-checks for claim
matching ``store.claimreviews`` (:mod:`factdesk.store.postgres_claimreviews`).  Not on PostgreSQL
yet (SQLite-only, raising a :class:`~factdesk.errors.StoreError` when used): watched feeds
(``store.watch``; the desk's feeds page reads it as empty) and outside evidence sources (``store.sources``).

Example::

    with PostgresStore.open("postgresql://factdesk@127.0.0.1/factdesk") as store:
        with store.transaction() as s:
            s.save_document(doc, role="corpus")
        print(store.count("documents"), store.schema_version)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from factdesk.errors import ConfigError, NotFoundError, StoreError
from factdesk.store import postgres_claimreviews, postgres_desk, postgres_llm_cache
from factdesk.store.clock import now_iso
from factdesk.store.postgres_claimreviews import PostgresClaimReviewRecords
from factdesk.store.postgres_desk import PostgresDeskTables
from factdesk.store.postgres_llm_cache import PostgresLLMCache
from factdesk.store.postgres_passages import PostgresPassageRecords
from factdesk.types import Document

__all__ = ["MIGRATIONS", "PostgresStore", "is_postgres_url", "postgres_store", "psycopg_available", "redact_url"]

INSTALL_HINT = "pip install 'factdesk[postgres]'"
_log = logging.getLogger("factdesk")
_URL = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)
# pg_advisory_xact_lock key for migrations: any constant shared by every factdesk process
_MIGRATION_LOCK = 0x66616374  # "fact"

# The passages' vectors as pgvector's type, when the server has the extension: the packaged MiniLM's
# dimension (other embedders' vectors stay in ``vector`` bytea only, and are searched by the scan).
EMBEDDING_DIM = 384
# Idempotent (also run on open when pgvector appeared on the server after migration 3): creates
# the extension if it is available and this role may, adds the column and its HNSW index.  A
# server without pgvector, or a role without the right to create it, leaves the schema as it was.
PGVECTOR_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        RETURN;
    END IF;
    BEGIN
        CREATE EXTENSION IF NOT EXISTS vector;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'factdesk: no privilege to create the vector extension; dense search scans in memory';
        RETURN;
    END;
    EXECUTE 'ALTER TABLE passages ADD COLUMN IF NOT EXISTS embedding vector({EMBEDDING_DIM})';
    EXECUTE 'CREATE INDEX IF NOT EXISTS passages_embedding ON passages USING hnsw (embedding vector_ip_ops)';
END $$;
"""

# Each entry upgrades the schema by one version; never edit an applied one, append.
MIGRATIONS: list[str] = [
    # 1: corpus, passages with full-text (tsvector + GIN) and vectors, files, reports
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL DEFAULT 'corpus',
        path TEXT, url TEXT, title TEXT, author TEXT, published TEXT, source TEXT,
        kind TEXT NOT NULL DEFAULT 'text',
        text TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE INDEX documents_role ON documents(role);
    CREATE INDEX documents_path ON documents(path);

    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        document_id TEXT NOT NULL,
        indexed_at TEXT NOT NULL
    );

    CREATE TABLE passages (
        rowid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        text TEXT NOT NULL,
        title TEXT, published TEXT, url TEXT, source TEXT,
        vector BYTEA,
        tsv TSVECTOR GENERATED ALWAYS AS (
            setweight(to_tsvector('english', text), 'A')
            || setweight(to_tsvector('english', coalesce(title, '')), 'B')) STORED
    );
    CREATE INDEX passages_document ON passages(document_id);
    CREATE INDEX passages_tsv ON passages USING GIN (tsv);

    -- bumped once per writing statement: readers' caches compare it (any process's writes)
    CREATE TABLE passage_changes (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
    INSERT INTO passage_changes VALUES (1, 0);
    CREATE FUNCTION passage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE passage_changes SET n = n + 1 WHERE id = 1;
        RETURN NULL;
    END $$;
    CREATE TRIGGER passages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON passages
        FOR EACH STATEMENT EXECUTE FUNCTION passage_changed();

    CREATE TABLE reports (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,   -- insertion order, SQLite's rowid
        id TEXT PRIMARY KEY,
        article_id TEXT NOT NULL,
        title TEXT,
        created TEXT NOT NULL,
        verifier TEXT,
        status TEXT NOT NULL DEFAULT 'done',
        json TEXT NOT NULL
    );
    CREATE INDEX reports_created ON reports(created);

    CREATE TABLE claims (
        id TEXT NOT NULL,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL, standalone TEXT, kind TEXT NOT NULL,
        start INTEGER, "end" INTEGER, checkworthiness DOUBLE PRECISION,
        attributed_to TEXT, responds_to TEXT,
        PRIMARY KEY (report_id, id)
    );
    CREATE TABLE evidence (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        claim_id TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        stance TEXT NOT NULL, stance_probability DOUBLE PRECISION, score DOUBLE PRECISION,
        after_claim_date INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (report_id, claim_id, passage_id)
    );
    CREATE TABLE verdicts (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        claim_id TEXT NOT NULL,
        label TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL, explanation TEXT,
        PRIMARY KEY (report_id, claim_id)
    );
    """,
    # 2: the LLM response cache (factdesk.llm): a re-run of the same check makes no server call
    postgres_llm_cache.SQL,
    # 3: pgvector when the server offers it: an ``embedding vector(384)`` column with an HNSW index
    # (inner product on unit vectors); a server without the extension keeps the in-memory scan
    PGVECTOR_SQL,
    # 4: the web desk: users, tokens, sessions (digests), failed logins, jobs, edits, audit trail
    postgres_desk.SQL,
    # 5: imported fact-checks (ClaimReview) for claim matching, with full-text and vectors
    postgres_claimreviews.SQL,
]


def is_postgres_url(value: object) -> bool:
    """Whether a ``--db`` value names a PostgreSQL server (``postgresql://…`` or ``postgres://…``)."""
    return isinstance(value, str) and bool(_URL.match(value.strip()))


def psycopg_available() -> bool:
    """Whether psycopg 3 (the ``postgres`` extra) is installed."""
    import importlib.util

    return importlib.util.find_spec("psycopg") is not None


def redact_url(url: str) -> str:
    """The URL without its password, for messages and cache keys."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


_redact = redact_url


class _SqliteOnly:
    """Stands in for a record set PostgreSQL does not have yet: every use is a clear StoreError."""

    def __init__(self, what: str, empty: dict[str, Any] | None = None) -> None:
        self._what = what
        self._empty = empty or {}

    def __getattr__(self, name: str) -> Any:
        if name in self._empty:  # reads that a check makes on every run answer "nothing here"
            value = self._empty[name]
            return lambda *a, **k: value
        raise StoreError(f"{self._what} are not available on a PostgreSQL store yet",
                         hint="use a SQLite store (--db FILE) for this; see README, 'PostgreSQL'")


class PostgresStore:
    """A factdesk store on a PostgreSQL server. Open with :meth:`open`; use as a context manager.

    Example::

        with PostgresStore.open("postgresql://factdesk@127.0.0.1/factdesk") as store:
            store.save_document(doc)
            store.passages.lexical(["dam"], k=3)
            store.list_reports()
    """

    backend = "postgres"
    path = None  # no file: the protocol's ``path`` is None, ``url`` names the database

    def __init__(self, conn: Any, url: str) -> None:
        self.conn = conn
        self.url = _redact(url)
        info = conn.info
        # names this database for per-process caches (the dense matrix): server and database
        self.key: str = f"postgres:{info.host}:{info.port}/{info.dbname}"
        self.passages = PostgresPassageRecords(conn, self.key)
        self.claimreviews = PostgresClaimReviewRecords(conn, self.key)

    # -- lifecycle -----------------------------------------------------------------
    @classmethod
    def open(cls, url: str) -> "PostgresStore":
        """Connect to ``url`` (a libpq URL), creating and migrating the schema if needed."""
        if not psycopg_available():
            raise ConfigError("a postgresql:// store needs psycopg 3, which is not installed",
                              hint=INSTALL_HINT)
        import psycopg

        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {_redact(url)}: {str(exc).strip()}",
                             hint="is the server running and the database created? (createdb NAME)") from exc
        store = cls(conn, url)
        try:
            had_column = store._embedding_column()
            store.migrate()
            store._setup_pgvector(had_column)
        except BaseException:
            conn.close()
            raise
        return store

    def pgvector_available(self) -> bool:
        """Whether the server offers the ``vector`` extension (pgvector), installed in this database or not."""
        return bool(self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')").fetchone()[0])

    def _embedding_column(self) -> bool:
        return bool(self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'passages' AND column_name = 'embedding')").fetchone()[0])

    def _setup_pgvector(self, had_column: bool) -> None:
        """Use pgvector's column when present; add it when the extension appeared after migration 3.

        Passages written before the column existed get their ``embedding`` filled from the
        stored bytes once, here.  Says which dense search this store uses on the ``factdesk`` logger.
        """
        has_column = self._embedding_column()
        if not has_column and self.pgvector_available():
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                self.conn.execute(PGVECTOR_SQL)
            has_column = self._embedding_column()
        if has_column and not had_column:
            filled = self.passages.fill_embeddings(EMBEDDING_DIM)
            if filled:
                _log.warning("pgvector on %s: copied %d stored vectors into the embedding column (HNSW)",
                             self.url, filled)
        self.passages.embedding_dim = EMBEDDING_DIM if has_column else None
        _log.info("PostgreSQL store %s: dense search by %s", self.url, self.dense_search)

    @property
    def pgvector(self) -> bool:
        """Whether dense search can use pgvector (the ``embedding`` column and its HNSW index exist)."""
        return self.passages.embedding_dim is not None

    @property
    def dense_search(self) -> str:
        """Which dense search this store offers, in words (``factdesk info``)."""
        if self.pgvector:
            row = self.conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
            if not self.passages.hnsw_index_exists():  # a bulk `factdesk index` run is under way, or was killed
                return (f"pgvector {row[0] if row else '?'}, HNSW index missing: an exact scan of the column "
                        "until `factdesk index` finishes and rebuilds it")
            return (f"pgvector {row[0] if row else '?'} HNSW (vector({EMBEDDING_DIM}), inner product), from the "
                    "retriever's ann_threshold passages on (50,000); an exact scan in memory below")
        why = "no privilege to create the vector extension" if self.pgvector_available() else \
            "the server has no pgvector extension"
        return f"exact scan of every vector in memory ({why})"

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "PostgresStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def desk(self) -> PostgresDeskTables:
        """The web desk's users, sessions, jobs and edits: see :mod:`factdesk.store.postgres_desk`."""
        return PostgresDeskTables(self)

    @property
    def watch(self) -> Any:
        """Watched feeds are SQLite-only: the desk's feeds page reads an empty list, ``factdesk watch`` refuses."""
        from factdesk.store.watch import STATUSES

        return _SqliteOnly("watched feeds (factdesk watch)",
                           {"list_feeds": [], "list_alerts": [],
                            "counts": {"feeds": 0, "alerts": 0, **{s: 0 for s in STATUSES}}})

    @property
    def llm_cache(self) -> PostgresLLMCache:
        """The LLM response cache: see :mod:`factdesk.store.postgres_llm_cache`."""
        return PostgresLLMCache(self.conn)

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
        if not row[0]:
            return 0
        row = self.conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Apply pending migrations, each in its own transaction (serialised by an advisory lock)."""
        import psycopg

        while True:
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
                # under the lock: two sessions racing on CREATE TABLE IF NOT EXISTS can still collide
                self.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                current = self.schema_version  # read under the lock: another process may have migrated
                if current > len(MIGRATIONS):
                    raise StoreError(
                        f"store schema version {current} is newer than this factdesk ({len(MIGRATIONS)})",
                        hint="upgrade factdesk")
                if current == len(MIGRATIONS):
                    return
                version = current + 1
                try:
                    self.conn.execute(MIGRATIONS[version - 1])
                    self.conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (version,))
                except psycopg.Error as exc:
                    raise StoreError(f"migration {version} failed: {str(exc).strip()}") from exc

    @contextmanager
    def transaction(self) -> Iterator["PostgresStore"]:
        """All-or-nothing block of writes through this store's methods; yields the store itself.

        Nested blocks become savepoints. Example::

            with store.transaction() as s:
                s.save_document(doc)
                s.record_file(path, digest, doc.id)
        """
        with self.conn.transaction():
            yield self

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction` (writes then join it instead of committing their own)."""
        from psycopg import pq

        return self.conn.info.transaction_status != pq.TransactionStatus.IDLE

    # -- documents -----------------------------------------------------------------
    def save_document(self, doc: Document, *, role: str = "corpus") -> None:
        """Insert or replace a document row (no passages); call inside a transaction for batches."""
        self.conn.execute(
            _SAVE_DOCUMENT,
            (doc.id, role, doc.path, doc.url, doc.title, doc.author, doc.published, doc.source,
             doc.kind, doc.text, now_iso()),
        )

    def save_documents(self, docs: list[Document], *, role: str = "corpus") -> None:
        """:meth:`save_document` for many documents in one pipelined batch."""
        now = now_iso()
        with self.conn.cursor() as cur:
            cur.executemany(_SAVE_DOCUMENT, [(d.id, role, d.path, d.url, d.title, d.author, d.published, d.source,
                                              d.kind, d.text, now) for d in docs])

    def get_document(self, document_id: str) -> Document:
        row = self.conn.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = %s", (document_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no document {document_id!r} in the store")
        return _row_to_document(row)

    def find_documents(self, *, title: str | None = None, author: str | None = None,
                       role: str = "corpus", limit: int = 20) -> list[Document]:
        """Documents whose title or author contains the given text (case-insensitive)."""
        sql = f"SELECT {_DOC_COLUMNS} FROM documents WHERE role = %s"
        args: list[Any] = [role]
        if title:
            sql += " AND strpos(lower(title), %s) > 0"
            args.append(title.lower())
        if author:
            sql += " AND strpos(lower(author), %s) > 0"
            args.append(author.lower())
        sql += " ORDER BY published DESC NULLS LAST LIMIT %s"
        args.append(limit)
        return [_row_to_document(r) for r in self.conn.execute(sql, args)]

    def find_documents_by_names(self, names: list[str], *, role: str = "corpus",
                                limit: int = 20) -> dict[tuple[str, str], list[Document]]:
        """``find_documents(author=name)`` and ``find_documents(title=name)`` for every name, in one query.

        Keys are ``("author", name)`` and ``("title", name)``, as :meth:`SqliteStore.find_documents_by_names`:
        a check that quotes five speakers asked ten queries, each a scan of the documents table.
        """
        wanted = sorted({n.strip() for n in names if n and n.strip()})
        out: dict[tuple[str, str], list[Document]] = {(f, n): [] for n in wanted for f in ("author", "title")}
        if not wanted:
            return out
        lowered = [n.lower() for n in wanted]
        patterns = [_like_pattern(n) for n in lowered]
        rows = self.conn.execute(
            "SELECT id, lower(coalesce(title, '')), lower(coalesce(author, '')) FROM documents "
            "WHERE role = %s AND (lower(author) LIKE ANY(%s) OR lower(title) LIKE ANY(%s)) "
            "ORDER BY published DESC NULLS LAST", (role, patterns, patterns)).fetchall()
        ids: dict[tuple[str, str], list[str]] = {}
        for doc_id, title, author in rows:  # newest first, undated last, as find_documents
            for name, low in zip(wanted, lowered):
                if low in author:
                    ids.setdefault(("author", name), []).append(doc_id)
                if low in title:
                    ids.setdefault(("title", name), []).append(doc_id)
        for key, found in ids.items():
            out[key] = [self.get_document(doc_id) for doc_id in found[:limit]]
        return out

    def document_paths(self) -> dict[str, str]:
        """document id -> the file it came from, for documents read from a file."""
        return {r[0]: r[1] for r in self.conn.execute("SELECT id, path FROM documents WHERE path IS NOT NULL")}

    def count(self, table: str) -> int:
        if table not in {"documents", "passages", "reports", "files", "claims"}:
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- files (for idempotent re-indexing) ------------------------------------------
    def file_hash(self, path: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM files WHERE path = %s", (path,)).fetchone()
        return row[0] if row else None

    def record_file(self, path: str, content_hash: str, document_id: str) -> None:
        self.conn.execute(
            """INSERT INTO files(path, content_hash, document_id, indexed_at) VALUES (%s,%s,%s,%s)
               ON CONFLICT(path) DO UPDATE SET content_hash=excluded.content_hash,
                 document_id=excluded.document_id, indexed_at=excluded.indexed_at""",
            (path, content_hash, document_id, now_iso()),
        )

    def file_record(self, path: str) -> tuple[str, str] | None:
        """``(content_hash, document_id)`` of one indexed file, or None: one indexed lookup."""
        row = self.conn.execute("SELECT content_hash, document_id FROM files WHERE path = %s", (path,)).fetchone()
        return (row[0], row[1]) if row else None

    def indexed_files(self, under: str | None = None) -> dict[str, str]:
        """path -> document id, for files whose path starts with ``under``."""
        if under is None:
            rows = self.conn.execute("SELECT path, document_id FROM files").fetchall()
        else:
            rows = self.conn.execute("SELECT path, document_id FROM files WHERE starts_with(path, %s)",
                                     (under,)).fetchall()
        return {r[0]: r[1] for r in rows if under is None or r[0].startswith(under)}

    def unfiled_corpus_documents(self, under: str) -> list[str]:
        """Corpus documents read from a file under ``under`` with no file record (as the SQLite store's)."""
        from pathlib import Path

        rows = self.conn.execute(
            """SELECT id, path FROM documents WHERE role = 'corpus' AND path IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM files f WHERE f.document_id = documents.id)""").fetchall()
        return [r[0] for r in rows if str(Path(r[1]).expanduser().resolve()).startswith(under)]

    def remove_document(self, document_id: str) -> None:
        """Delete a document, its passages and file records."""
        with self.conn.transaction():
            self.passages.remove_document(document_id)
            self.conn.execute("DELETE FROM files WHERE document_id = %s", (document_id,))
            self.conn.execute("DELETE FROM documents WHERE id = %s", (document_id,))

    # -- reports -------------------------------------------------------------------
    def save_report(self, report_json: dict[str, Any]) -> str:
        """Store a report (the JSON report contract) with its claims, evidence and verdicts."""
        rid = report_json["id"]
        article = report_json["article"]
        c = self.conn
        claims, evidence, verdicts = [], [], []
        for i, cl in enumerate(report_json.get("claims", [])):
            claims.append((cl["id"], rid, i, cl["text"], cl.get("standalone"), cl["kind"], cl.get("start"),
                           cl.get("end"), cl.get("checkworthiness"), cl.get("attributed_to"),
                           cl.get("responds_to")))
            for rank, ev in enumerate(cl.get("evidence") or []):
                evidence.append((rid, cl["id"], ev["passage_id"], rank, ev["stance"], ev.get("stance_probability"),
                                 ev.get("score"), int(bool(ev.get("after_claim_date")))))
            v = cl.get("verdict")
            if v:
                verdicts.append((rid, cl["id"], v["label"], v["confidence"], v.get("explanation")))
        with self.transaction(), c.cursor() as cur:
            cur.execute("DELETE FROM reports WHERE id = %s", (rid,))
            cur.execute(
                "INSERT INTO reports(id, article_id, title, created, verifier, status, json) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s)",
                (rid, article.get("id", ""), article.get("title"), report_json.get("created") or now_iso(),
                 report_json.get("verifier"), "done", json.dumps(report_json, ensure_ascii=False)))
            cur.executemany(
                """INSERT INTO claims(id, report_id, position, text, standalone, kind, start, "end",
                     checkworthiness, attributed_to, responds_to) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)""",
                claims)
            # the same passage twice for one claim keeps the last row, as SQLite's INSERT OR REPLACE
            cur.executemany(
                """INSERT INTO evidence(report_id, claim_id, passage_id, rank, stance, stance_probability, score,
                     after_claim_date) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)
                   ON CONFLICT (report_id, claim_id, passage_id) DO UPDATE SET rank=excluded.rank,
                     stance=excluded.stance, stance_probability=excluded.stance_probability,
                     score=excluded.score, after_claim_date=excluded.after_claim_date""",
                evidence)
            cur.executemany(
                "INSERT INTO verdicts(report_id, claim_id, label, confidence, explanation) VALUES (%s,%s,%s,%s,%s)",
                verdicts)
        return rid

    def get_report(self, report_id: str) -> dict[str, Any]:
        """The stored JSON report; a unique id prefix is enough."""
        rows = self.conn.execute(
            "SELECT id, json FROM reports WHERE id = %s OR starts_with(id, %s) LIMIT 2",
            (report_id, report_id)).fetchall()
        exact = [r for r in rows if r[0] == report_id]
        if exact:
            rows = exact
        if not rows:
            raise NotFoundError(f"no report {report_id!r}", hint="see `factdesk list` for report ids")
        if len(rows) > 1:
            raise NotFoundError(f"report id prefix {report_id!r} is ambiguous", hint="give more characters")
        return json.loads(rows[0][1])

    def list_reports(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            """SELECT r.id, r.title, r.created, r.verifier,
                      (SELECT count(*) FROM claims c WHERE c.report_id = r.id) AS n_claims,
                      (SELECT json_object_agg(label, n) FROM
                         (SELECT label, count(*) AS n FROM verdicts v WHERE v.report_id = r.id GROUP BY label) l)
               FROM reports r ORDER BY r.created DESC, r.seq DESC LIMIT %s""",
            (limit,)).fetchall()
        return [{"id": r[0], "title": r[1], "created": r[2], "verifier": r[3], "claims": int(r[4]),
                 "verdicts": dict(r[5] or {})} for r in rows]


_SAVE_DOCUMENT = """INSERT INTO documents(id, role, path, url, title, author, published, source, kind, text, added_at)
    VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)
    ON CONFLICT(id) DO UPDATE SET role=excluded.role, path=excluded.path, url=excluded.url,
      title=excluded.title, author=excluded.author, published=excluded.published,
      source=excluded.source, kind=excluded.kind"""
_DOC_COLUMNS = "id, text, title, author, published, url, source, path, kind"


def _row_to_document(row: Any) -> Document:
    return Document(text=row[1], title=row[2], author=row[3], published=row[4], url=row[5], source=row[6],
                    path=row[7], kind=row[8], id=row[0])


def postgres_store(url: str | None = None, path: str | None = None) -> PostgresStore:
    """The PostgreSQL store at ``url`` (entry point ``store.postgres``).

    ``path`` is accepted for callers that pass every store a ``path``; either must be a
    ``postgresql://`` URL.  A password belongs in ``~/.pgpass`` or ``PGPASSWORD``, or in
    factdesk.toml as ``url = { "$env" = "FACTDESK_PG_URL" }``, never in the file itself.
    """
    target = url or path
    if target is None:
        from factdesk import paths

        target = paths.default_db_target()
    if not is_postgres_url(target):
        raise ConfigError(f"the postgres store needs a postgresql:// URL, not {str(target)!r}",
                          hint="e.g. --db postgresql://user@host/dbname, or [store.options] url = ...")
    return PostgresStore.open(str(target))


def _psycopg_check() -> bool:
    return psycopg_available()


postgres_store.factdesk_available = _psycopg_check  # type: ignore[attr-defined]  # listed only with the extra


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching any string that contains ``text`` (its own %, _ and \\ taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
