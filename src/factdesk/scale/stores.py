"""Opening the evidence store in batch workers: read-only SQLite, or a server store by URL.

Workers only read the store (batch checks never save), so a SQLite file is opened read-only
(``mode=ro``): many worker processes read it at once, and the writer — a ``factdesk index``
still running, the web desk — is never blocked.  A Spark executor gets its own copy, a
consistent snapshot made with SQLite's backup API and shipped with ``SparkContext.addFile``;
nobody writes that copy, so it is opened ``immutable`` (no locks, no ``-shm`` file).  A
``postgresql://`` URL opens the registered ``postgres`` store (extra ``factdesk[postgres]``) in
every worker: the shared server is the store for a real cluster.

Example::

    spec = resolve_store("factdesk.db")           # checks it now, migrating it if needed
    with open_store(spec) as store:
        pipe = Pipeline.from_settings(settings, store=store)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from factdesk import registry
from factdesk.errors import ConfigError, InputError, StoreError
from factdesk.paths import default_db_path
from factdesk.store import Store


@dataclass(frozen=True)
class StoreSpec:
    """Where workers read evidence: a SQLite file path or a server URL; ``immutable`` for private copies.

    Example::

        >>> StoreSpec("/data/factdesk.db").is_url
        False
    """

    location: str
    immutable: bool = False

    @property
    def is_url(self) -> bool:
        return "://" in self.location


def resolve_store(db: str | None) -> tuple[StoreSpec, int]:
    """The store a batch reads (``db``, else the default store) and its number of passages.

    The store is opened once normally here, so pending migrations run before any worker opens
    it read-only.  A missing SQLite file is an :class:`~factdesk.errors.InputError` (a batch
    never creates an empty store by accident).
    """
    if db and "://" in db:
        spec = StoreSpec(db)
    else:
        path = Path(db).expanduser() if db else default_db_path()
        if not path.is_file():
            raise InputError(f"no store at {path}",
                             hint="index a corpus first (factdesk index FOLDER --db FILE) or give --db")
        spec = StoreSpec(str(path.resolve()))
    store = open_store(spec) if spec.is_url else Store.open(spec.location)
    try:
        passages = store.count("passages")
    finally:
        store.close()
    return spec, passages


def open_store(spec: StoreSpec) -> Any:
    """Open the store for reading (SQLite read-only; a ``postgresql://`` URL as the registered ``postgres`` store)."""
    if spec.is_url:
        scheme = spec.location.split("://", 1)[0].lower()
        if scheme not in ("postgresql", "postgres"):
            raise ConfigError(f"unsupported store URL {scheme}://…", hint="give a SQLite file or a postgresql:// URL")
        return registry.create("store", "postgres", url=spec.location)
    path = Path(spec.location)
    query = "mode=ro&immutable=1" if spec.immutable else "mode=ro"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?{query}", uri=True, timeout=30, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open store {path} read-only: {exc}") from exc
    return Store(conn, path)


def snapshot(spec: StoreSpec, folder: Path, name: str | None = None) -> Path:
    """A consistent copy of a SQLite store in ``folder`` (committed WAL content included), to ship to executors."""
    if spec.is_url:
        raise ValueError("a server store is shared, not copied")
    target = folder / (name or Path(spec.location).name)
    src = sqlite3.connect(f"file:{quote(spec.location)}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
        # one file, no -wal beside it: the copy is read as it is, even without write access
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()
    return target
