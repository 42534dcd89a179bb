"""What the indexes kept beside a SQLite store share: the vector index (:mod:`factdesk.retrieve.ann`)
and the tantivy index (:mod:`factdesk.retrieve.lexical_tantivy`).

Both live in a folder next to the database, are written by one process at a time (:func:`folder_lock`),
replace their files whole (:func:`atomic_write`) and compare themselves with the store by passage rowid
and a fingerprint of the passage id (:func:`store_keys`), so a passage replaced under the same rowid is
seen as changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.store import Store

__all__ = ["ID_BATCH", "TAIL_ROWIDS", "SyncedWith", "atomic_write", "folder_lock", "id_fingerprints", "store_keys",
           "store_tail_print", "syncing", "tail_print"]

ID_BATCH = 100_000  # (rowid, id) rows read at a time by store_keys
TAIL_ROWIDS = 1024  # a manifest fingerprints the passages of the highest rowids this wide (see tail_print)


def id_fingerprints(ids: list[str]) -> np.ndarray:
    """A 64-bit number per passage id: its hex digest when it is one (``p`` + 16 hex), else a sha256 prefix."""
    out = np.empty(len(ids), dtype=np.uint64)
    for i, s in enumerate(ids):
        tail = s[-16:]
        try:
            out[i] = int(tail, 16)
        except ValueError:
            out[i] = int(hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest()[:16], 16)
    return out


def atomic_write(path: Path, write: Any) -> None:
    """Write a file through a temp file in the same folder and ``os.replace``; ``write(tmp_path)``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the index folder across processes (POSIX ``flock``; elsewhere only this process's)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with (folder / "lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def syncing(store: Store, index_dir: Callable[[Path], Path], lock: Any, no_file: str) -> Iterator[tuple[Path, Path]]:
    """``(db_path, folder)`` for one sync of an index kept beside ``store``'s file: the folder
    (``index_dir(db_path)``) made if needed, held with ``lock`` in this process and :func:`folder_lock`
    across processes.  Raises RuntimeError(``no_file``) for a store without a file."""
    db_path = getattr(store, "path", None)
    if db_path is None:
        raise RuntimeError(no_file)
    with lock:
        folder = index_dir(Path(db_path))
        folder.mkdir(exist_ok=True)
        with folder_lock(folder):
            yield Path(db_path), folder


def store_keys(store: Store) -> tuple[np.ndarray, np.ndarray]:
    """Every passage's rowid (ascending) and id fingerprint, read in batches into numpy arrays."""
    size = max(store.passages.count(), 1)
    rowids = np.empty(size, np.int64)
    prints = np.empty(size, np.uint64)
    n = 0
    for rows in store.passages.id_batches(ID_BATCH):
        if n + len(rows) > len(rowids):  # passages written meanwhile
            grow = max(len(rows), len(rowids) // 8)
            rowids = np.concatenate([rowids, np.empty(grow, np.int64)])
            prints = np.concatenate([prints, np.empty(grow, np.uint64)])
        rowids[n:n + len(rows)] = [r[0] for r in rows]
        prints[n:n + len(rows)] = id_fingerprints([r[1] for r in rows])
        n += len(rows)
    rowids, prints = rowids[:n], prints[:n]
    order = np.argsort(rowids, kind="stable")
    rowids = rowids[order]  # one array at a time: the old one is freed before the next is made
    prints = prints[order]
    return rowids, prints


def tail_print(rowids: np.ndarray, prints: np.ndarray, max_rowid: int) -> str:
    """A fingerprint of the (rowid, passage id) pairs in the top :data:`TAIL_ROWIDS` rowids up to ``max_rowid``.

    The count and highest rowid miss one change: the passages of the store's last document rewritten with
    as many passages (SQLite gives the new rows the freed rowids).  A passage id is a hash of its text, so
    this catches it; a retriever reads those few rows again when the store's version changes.
    """
    rowids, prints = np.asarray(rowids, np.int64), np.asarray(prints, np.uint64)
    keep = rowids > int(max_rowid) - TAIL_ROWIDS
    order = np.argsort(rowids[keep], kind="stable")
    digest = hashlib.sha256(rowids[keep][order].astype("<i8").tobytes() + prints[keep][order].astype("<u8").tobytes())
    return digest.hexdigest()[:16]


def store_tail_print(store: Store, max_rowid: int) -> str:
    """:func:`tail_print` of the store's passages as they are now."""
    rows = store.passages.by_rowids(range(max(1, int(max_rowid) - TAIL_ROWIDS + 1), int(max_rowid) + 1))
    rowids = np.fromiter(rows, np.int64, len(rows))
    return tail_print(rowids, id_fingerprints([p.id for p in rows.values()]), max_rowid)


class SyncedWith:
    """For an opened index kept beside a store: whether it is in step with the store's passages.

    The class sets ``count`` and ``max_rowid`` (the store's passage count and highest rowid when synced),
    ``tail`` (:func:`tail_print` then, None for an index written before it was kept) and
    ``_tail_checked`` (None at first).
    """

    count: int | None
    max_rowid: int | None
    tail: str | None
    _tail_checked: tuple | None

    def fresh_for(self, count: int, max_rowid: int) -> bool:
        """Whether it was synced with a store holding this many passages and this highest rowid."""
        return self.count == int(count) and self.max_rowid == int(max_rowid)

    def in_step(self, store: Store, version: tuple) -> bool:
        """:meth:`fresh_for` the store's passage ``version`` (count, highest rowid, ...), and the passages of
        the highest rowids are the ones indexed (:func:`tail_print`, read once per version): the last
        document rewritten with as many passages keeps the count and the highest rowid."""
        if not self.fresh_for(version[0], version[1]):
            return False
        if self.tail is None or self._tail_checked == tuple(version):
            return True
        if store_tail_print(store, int(version[1])) != self.tail:
            return False
        self._tail_checked = tuple(version)
        return True
