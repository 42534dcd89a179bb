"""The embedded store: one SQLite file, versioned migrations, WAL, transactions.

Everything factdesk keeps lives here: corpus documents and their passages
(with an FTS5 index and dense vectors), checked articles, claims, evidence,
verdicts and reports.  Every write happens inside a transaction, so an
interrupted ``index`` or ``check`` loses nothing already committed.

Example::

    with Store.open(tmp_path / "fd.db") as store:
        store.save_document(doc, role="corpus")
        print(store.list_reports())
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from factdesk import paths
from factdesk.errors import NotFoundError, StoreError
from factdesk.store import llm_cache, schema_desk, schema_reviews, schema_sources, schema_watch
from factdesk.store.claimreviews import ClaimReviewRecords
from factdesk.store.clock import now_iso
from factdesk.store.desk import DeskTables
from factdesk.store.llm_cache import LLMCache
from factdesk.store.passages import PassageRecords
from factdesk.store.watch import WatchTables
from factdesk.store.sources import SourceRecords
from factdesk.types import Document

__all__ = ["MIGRATIONS", "Store", "default_db_path", "now_iso"]

# Each entry upgrades the schema by one version; never edit an applied one, append.
MIGRATIONS: list[str] = [
    # 1: corpus, passages with lexical + dense indexes, articles, reports
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL DEFAULT 'corpus',      -- corpus | article
        path TEXT, url TEXT, title TEXT, author TEXT, published TEXT, source TEXT,
        kind TEXT NOT NULL DEFAULT 'text',
        text TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE INDEX documents_role ON documents(role);
    CREATE INDEX documents_path ON documents(path);

    -- which file produced which document, so re-indexing can skip, update or prune
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        document_id TEXT NOT NULL,
        indexed_at TEXT NOT NULL
    );

    CREATE TABLE passages (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        text TEXT NOT NULL,
        title TEXT, published TEXT, url TEXT, source TEXT,
        vector BLOB                                 -- float32 little-endian, L2-normalised
    );
    CREATE INDEX passages_document ON passages(document_id);

    CREATE VIRTUAL TABLE passages_fts USING fts5(
        text, title, content='passages', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
        INSERT INTO passages_fts(rowid, text, title) VALUES (new.rowid, new.text, coalesce(new.title, ''));
    END;
    CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, text, title)
            VALUES ('delete', old.rowid, old.text, coalesce(old.title, ''));
    END;

    CREATE TABLE reports (
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
        start INTEGER, "end" INTEGER, checkworthiness REAL,
        attributed_to TEXT, responds_to TEXT,
        PRIMARY KEY (report_id, id)
    );
    CREATE TABLE evidence (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        claim_id TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        rank INTEGER NOT NULL,
        stance TEXT NOT NULL, stance_probability REAL, score REAL,
        after_claim_date INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (report_id, claim_id, passage_id)
    );
    CREATE TABLE verdicts (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        claim_id TEXT NOT NULL,
        label TEXT NOT NULL, confidence REAL NOT NULL, explanation TEXT,
        PRIMARY KEY (report_id, claim_id)
    );
    """,
    # 2: imported fact-checks (ClaimReview) for claim matching
    schema_reviews.SQL,
    # 3: the web desk: users, tokens, jobs, edits, audit trail
    schema_desk.SQL,
    # 4: the web desk's hardening (owned by factdesk.web): failed logins kept for throttling
    # (keys are SHA-256 digests: a mistyped password in the name field is never stored), and
    # disabled accounts (``users.disabled``: when; NULL while the account is active)
    """
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ('name', 'address')),
        key TEXT NOT NULL,
        at REAL NOT NULL                            -- unix time, seconds
    );
    CREATE INDEX login_failures_key ON login_failures(scope, key, at);
    ALTER TABLE users ADD COLUMN disabled TEXT;
    """,
    # 5: claim matching: the fact-check title's embedding beside the claim's (NULL for untitled records
    # and for records imported before this version; matching then uses the claim vector alone)
    schema_reviews.SQL_TITLE_VECTORS,
    # 6: the LLM response cache (factdesk.llm): a re-run of the same check makes no server call
    llm_cache.SQL,
    # 7: sessions are stored as SHA-256 digests from now on; sessions stored in clear before are ended
    "DELETE FROM sessions;",
    # 8: outside evidence sources: the query cache and dated page snapshots (factdesk.sources)
    schema_sources.SQL,
    # 9: watched feeds, the entries seen and the alerts raised (factdesk watch)
    schema_watch.SQL,
    # 10: quote provenance looks up every quoted speaker among the documents' titles and authors in one
    # scan (find_documents_by_names); this covering index lets that scan skip the documents' text.  At a
    # million documents read from disk the table scan took 12 s, the index scan well under a second.
    "CREATE INDEX IF NOT EXISTS documents_names ON documents(role, published, title, author, id);",
]


def default_db_path() -> Path:
    """``$FACTDESK_DB``, else the user's data dir (``~/.local/share/factdesk/factdesk.db``): see factdesk.paths."""
    return paths.default_db_path()


def _make_private(path: Path) -> None:
    """Create the store file readable by its owner only (0600), or tighten an existing one we own.

    The store holds the web desk's cookie-signing secret and session ids: another local user who can
    read it can forge a reviewer's session.  SQLite gives the -wal and -shm files the same permissions.
    """
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            pass
        return
    st = path.stat()
    if st.st_mode & 0o077 and st.st_uid == os.geteuid() and stat.S_ISREG(st.st_mode):
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            side_st = side.stat()
        except FileNotFoundError:
            continue
        if side_st.st_mode & 0o077 and side_st.st_uid == os.geteuid():
            os.chmod(side, stat.S_IMODE(side_st.st_mode) & 0o700)


class Store:
    """A factdesk SQLite store. Open with :meth:`open`; use as a context manager.

    Each concern's SQL lives in its own module, reached from here: ``store.passages``
    (:class:`~factdesk.store.passages.PassageRecords`) and ``store.claimreviews``
    (:class:`~factdesk.store.claimreviews.ClaimReviewRecords`).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        # names this database for per-process caches (vector matrices, term counts)
        self.key: str = str(path.resolve()) if path is not None else f"memory:{id(self)}"
        self.passages = PassageRecords(conn, self.key)
        self.claimreviews = ClaimReviewRecords(conn, self.key)

    # -- lifecycle -----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None) -> "Store":
        """Open (creating and migrating if needed) the store at ``path``; ``":memory:"`` works.

        A ``postgresql://`` URL (as ``path`` or in ``$FACTDESK_DB``) opens a
        :class:`~factdesk.store.postgres.PostgresStore` instead (extra ``postgres``).
        """
        if path is None:
            path = paths.default_db_target()
        if isinstance(path, str) and path.strip().lower().startswith(("postgresql://", "postgres://")):
            from factdesk.store.postgres import PostgresStore  # psycopg only when a server is named

            return PostgresStore.open(path.strip())  # type: ignore[return-value]  # the same protocol
        memory = str(path) == ":memory:"
        p = None if memory else Path(path).expanduser()
        try:
            if p is not None:
                p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                if p.exists() and p.is_dir():
                    raise StoreError(f"store path {p} is a directory", hint="give --db a file path")
                _make_private(p)
            conn = sqlite3.connect(":memory:" if memory else str(p), timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            if not memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            # quick sanity check: a non-SQLite file fails here with a clear message
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open store {path}: {exc}",
                hint="is it a factdesk database? pass another file with --db or FACTDESK_DB",
            ) from exc
        except OSError as exc:
            raise StoreError(f"cannot create store {path}: {exc.strerror or exc}") from exc
        store = cls(conn, p)
        store.migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def passage_reader(self) -> PassageRecords | None:
        """The passages table on a new read-only connection of its own (None for an in-memory store).

        For reading from several threads at once: ``sqlite3`` lets other threads run while one waits in
        SQLite, so searches on separate connections overlap their reads from disk and use both cores.
        The caller closes it with :meth:`PassageRecords.close`.
        """
        if self.path is None:
            return None
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30,
                               check_same_thread=False)
        return PassageRecords(conn, self.key)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def desk(self) -> DeskTables:
        """The web desk's tables (jobs, users, sessions, edits): see :mod:`factdesk.store.desk`."""
        return DeskTables(self)

    @property
    def watch(self) -> WatchTables:
        """Watched feeds, their entries and alerts (``factdesk watch``): see :mod:`factdesk.store.watch`."""
        return WatchTables(self)

    @property
    def llm_cache(self) -> LLMCache:
        """The LLM response cache: see :mod:`factdesk.store.llm_cache`."""
        return LLMCache(self)

    @property
    def sources(self) -> SourceRecords:
        """Configured evidence sources, their query cache and page snapshots: see :mod:`factdesk.store.sources`."""
        return SourceRecords(self)

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply pending migrations, each in its own transaction."""
        current = self.schema_version
        if current > len(MIGRATIONS):
            raise StoreError(
                f"store schema version {current} is newer than this factdesk ({len(MIGRATIONS)})",
                hint="upgrade factdesk",
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            script = MIGRATIONS[version - 1]
            try:
                self.conn.execute("BEGIN")
                for statement in _split_sql(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version}")
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"migration {version} failed: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All-or-nothing block of writes through this store's methods; yields the store itself.

        Example::

            with store.transaction() as s:
                s.save_document(doc)
                s.record_file(path, digest, doc.id)
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`transaction` (writes then join it instead of committing their own)."""
        return self.conn.in_transaction

    # -- documents -----------------------------------------------------------------
    def save_document(self, doc: Document, *, role: str = "corpus") -> None:
        """Insert or replace a document row (no passages); call inside a transaction for batches."""
        self.conn.execute(
            """INSERT INTO documents(id, role, path, url, title, author, published, source, kind, text, added_at)
               VALUES (?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET role=excluded.role, path=excluded.path, url=excluded.url,
                 title=excluded.title, author=excluded.author, published=excluded.published,
                 source=excluded.source, kind=excluded.kind""",
            (doc.id, role, doc.path, doc.url, doc.title, doc.author, doc.published, doc.source,
             doc.kind, doc.text, now_iso()),
        )

    def get_document(self, document_id: str) -> Document:
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no document {document_id!r} in the store")
        return _row_to_document(row)

    def find_documents(self, *, title: str | None = None, author: str | None = None,
                       role: str = "corpus", limit: int = 20) -> list[Document]:
        """Documents whose title or author contains the given text (case-insensitive; "%" and "_" are
        themselves, as on PostgreSQL)."""
        sql = "SELECT * FROM documents WHERE role = ?"
        args: list[Any] = [role]
        if title:
            sql += " AND instr(lower(title), ?) > 0"
            args.append(title.lower())
        if author:
            sql += " AND instr(lower(author), ?) > 0"
            args.append(author.lower())
        sql += " ORDER BY published DESC LIMIT ?"
        args.append(limit)
        return [_row_to_document(r) for r in self.conn.execute(sql, args)]

    def find_documents_by_names(self, names: list[str], *, role: str = "corpus",
                                limit: int = 20) -> dict[tuple[str, str], list[Document]]:
        """``find_documents(author=name)`` and ``find_documents(title=name)`` for every name, in one scan.

        Keys are ``("author", name)`` and ``("title", name)``.  A check that quotes five speakers read
        the documents table ten times; at a million documents each pass costs about a second.
        """
        wanted = sorted({n.strip() for n in names if n and n.strip()})
        out: dict[tuple[str, str], list[Document]] = {(f, n): [] for n in wanted for f in ("author", "title")}
        if not wanted:
            return out
        lowered = [n.lower() for n in wanted]
        tests = " OR ".join(["instr(lower(author), ?) > 0"] * len(lowered) + ["instr(lower(title), ?) > 0"] * len(lowered))
        rows = self.conn.execute(
            f"SELECT id, lower(coalesce(title, '')), lower(coalesce(author, '')), published FROM documents "
            f"WHERE role = ? AND ({tests})", [role, *lowered, *lowered]).fetchall()
        ids: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for doc_id, title, author, published in rows:
            for name, low in zip(wanted, lowered):
                if low in author:
                    ids.setdefault(("author", name), []).append((published or "", doc_id))
                if low in title:
                    ids.setdefault(("title", name), []).append((published or "", doc_id))
        for key, found in ids.items():
            found.sort(key=lambda x: x[0], reverse=True)  # newest first, undated last, as find_documents
            out[key] = [self.get_document(doc_id) for _, doc_id in found[:limit]]
        return out

    def document_paths(self) -> dict[str, str]:
        """document id -> the file it came from, for documents read from a file."""
        return {row[0]: row[1] for row in
                self.conn.execute("SELECT id, path FROM documents WHERE path IS NOT NULL")}

    def count(self, table: str) -> int:
        if table not in {"documents", "passages", "reports", "files", "claims"}:
            raise ValueError(table)
        return int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- files (for idempotent re-indexing) ------------------------------------------
    def file_hash(self, path: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def record_file(self, path: str, content_hash: str, document_id: str) -> None:
        self.conn.execute(
            """INSERT INTO files(path, content_hash, document_id, indexed_at) VALUES (?,?,?,?)
               ON CONFLICT(path) DO UPDATE SET content_hash=excluded.content_hash,
                 document_id=excluded.document_id, indexed_at=excluded.indexed_at""",
            (path, content_hash, document_id, now_iso()),
        )

    def file_record(self, path: str) -> tuple[str, str] | None:
        """``(content_hash, document_id)`` of one indexed file, or None: one indexed lookup."""
        row = self.conn.execute("SELECT content_hash, document_id FROM files WHERE path = ?", (path,)).fetchone()
        return (row[0], row[1]) if row else None

    def indexed_files(self, under: str | None = None) -> dict[str, str]:
        """path -> document id, for files whose path starts with ``under`` (a range scan of the key)."""
        if under is None:
            rows = self.conn.execute("SELECT path, document_id FROM files").fetchall()
        else:
            # every string that starts with `under` sorts in [under, under + U+10FFFF)
            rows = self.conn.execute("SELECT path, document_id FROM files WHERE path >= ? AND path < ?",
                                     (under, under + "\U0010ffff")).fetchall()
        return {r[0]: r[1] for r in rows if under is None or r[0].startswith(under)}

    def unfiled_corpus_documents(self, under: str) -> list[str]:
        """Corpus documents read from a file under ``under`` that have no file record (so ``index --prune``
        would never see them): left by an index run killed between its writes before they were one transaction."""
        rows = self.conn.execute(
            """SELECT id, path FROM documents WHERE role = 'corpus' AND path IS NOT NULL
               AND id NOT IN (SELECT document_id FROM files)""").fetchall()
        return [r[0] for r in rows if str(Path(r[1]).expanduser().resolve()).startswith(under)]

    def remove_document(self, document_id: str) -> None:
        """Delete a document, its passages (FTS rows follow by trigger) and file records."""
        self.passages.remove_document(document_id)
        self.conn.execute("DELETE FROM files WHERE document_id = ?", (document_id,))
        self.conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    # -- reports -------------------------------------------------------------------
    def save_report(self, report_json: dict[str, Any]) -> str:
        """Store a report (the JSON report contract) with its claims, evidence and verdicts."""
        rid = report_json["id"]
        article = report_json["article"]
        c = self.conn
        with self.transaction():
            c.execute("DELETE FROM reports WHERE id = ?", (rid,))
            c.execute(
                "INSERT INTO reports(id, article_id, title, created, verifier, status, json) VALUES (?,?,?,?,?,?,?)",
                (rid, article.get("id", ""), article.get("title"), report_json.get("created") or now_iso(),
                 report_json.get("verifier"), "done", json.dumps(report_json, ensure_ascii=False)),
            )
            for i, cl in enumerate(report_json.get("claims", [])):
                c.execute(
                    """INSERT INTO claims(id, report_id, position, text, standalone, kind, start, "end",
                         checkworthiness, attributed_to, responds_to) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                    (cl["id"], rid, i, cl["text"], cl.get("standalone"), cl["kind"], cl.get("start"),
                     cl.get("end"), cl.get("checkworthiness"), cl.get("attributed_to"), cl.get("responds_to")),
                )
                for rank, ev in enumerate(cl.get("evidence") or []):
                    c.execute(
                        """INSERT OR REPLACE INTO evidence(report_id, claim_id, passage_id, rank, stance,
                             stance_probability, score, after_claim_date) VALUES (?,?,?,?,?,?,?,?)""",
                        (rid, cl["id"], ev["passage_id"], rank, ev["stance"], ev.get("stance_probability"),
                         ev.get("score"), int(bool(ev.get("after_claim_date")))),
                    )
                v = cl.get("verdict")
                if v:
                    c.execute(
                        "INSERT INTO verdicts(report_id, claim_id, label, confidence, explanation) VALUES (?,?,?,?,?)",
                        (rid, cl["id"], v["label"], v["confidence"], v.get("explanation")),
                    )
        return rid

    def get_report(self, report_id: str) -> dict[str, Any]:
        """The stored JSON report; a unique id prefix is enough."""
        rows = self.conn.execute(
            "SELECT id, json FROM reports WHERE id = ? OR id LIKE ? LIMIT 2",
            (report_id, report_id.replace("%", "").replace("_", "") + "%"),
        ).fetchall()
        exact = [r for r in rows if r["id"] == report_id]
        if exact:
            rows = exact
        if not rows:
            raise NotFoundError(f"no report {report_id!r}", hint="see `factdesk list` for report ids")
        if len(rows) > 1:
            raise NotFoundError(f"report id prefix {report_id!r} is ambiguous", hint="give more characters")
        return json.loads(rows[0]["json"])

    def list_reports(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            """SELECT r.id, r.title, r.created, r.verifier,
                      (SELECT count(*) FROM claims c WHERE c.report_id = r.id) AS n_claims
               FROM reports r ORDER BY r.created DESC, r.rowid DESC LIMIT ?""",
            (limit,),
        ).fetchall()
        out = []
        for r in rows:
            labels = self.conn.execute(
                "SELECT label, count(*) FROM verdicts WHERE report_id = ? GROUP BY label", (r["id"],)
            ).fetchall()
            out.append({"id": r["id"], "title": r["title"], "created": r["created"], "verifier": r["verifier"],
                        "claims": r["n_claims"], "verdicts": {lab: n for lab, n in labels}})
        return out


def _row_to_document(row: sqlite3.Row) -> Document:
    return Document(text=row["text"], title=row["title"], author=row["author"], published=row["published"],
                    url=row["url"], source=row["source"], path=row["path"], kind=row["kind"], id=row["id"])


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buf = [], []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf)
        if stripped.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined.strip())
            buf = []
    if buf and "\n".join(buf).strip():
        statements.append("\n".join(buf).strip())
    return statements
