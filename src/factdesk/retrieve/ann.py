"""A persisted approximate vector index (usearch HNSW) beside the SQLite file, for large stores.

Below ``ann_threshold`` passages (50,000 by default) the retriever scans every vector exactly
(:mod:`factdesk.retrieve.index`).  From there on it searches this index instead: an HNSW graph
over the passages' vectors quantised to int8, saved as ``<database>.usearch`` with its key list
``<database>.usearch.npz`` (passage rowids, a 64-bit fingerprint of each passage id, and the
``count`` / ``max_rowid`` of the passages it was built from).  It is opened memory-mapped
(``Index.restore(path, view=True)``), so a check does not read the whole file first.

* **Keys** are the passages' rowids.  The candidates it returns are looked up in SQLite and
  rescored with their stored float32 vectors, so every similarity the retriever reports is exact
  and a passage that no longer exists is simply dropped.
* **Kept in step** by :func:`sync`: ``factdesk index`` calls it after writing (through
  :meth:`~factdesk.retrieve.index.SqliteIndexer.finish`); it compares the store's (rowid, passage id)
  list with the key list, removes keys whose passage is gone or changed (a passage id is a hash
  of its document and text) and adds the new ones, so only new vectors are read and embedded
  vectors are never recomputed.  A retriever that finds the index missing or behind the store
  (another count or highest rowid) syncs it on demand and says so on the ``factdesk`` logger.
* **Optional**: usearch comes with the extra ``match``.  Without it (or if the index cannot be
  written beside the database) the retriever keeps the exact scan.

Example::

    from factdesk.retrieve.ann import sync
    ann = sync(store)                # builds or updates <db>.usearch
    keys, sims = ann.search(query_vectors, 200)[0]
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.store import Store

log = logging.getLogger("factdesk")

FORMAT = 1
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 128
_ADD_BATCH = 20000
_LOCK = threading.RLock()


def usearch_module() -> Any | None:
    """``usearch.index``, or None when usearch is not installed; the one place factdesk imports it.

    usearch 2.26 + onnxruntime: importing onnxruntime AFTER usearch crashes the process (their
    bundled native libraries clash); importing it first is safe, so this does that first.
    """
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    try:
        import usearch.index
    except ImportError:
        return None
    return usearch.index


def usearch_index_class() -> Any | None:
    """usearch's ``Index`` class, or None when usearch is not installed."""
    module = usearch_module()
    return None if module is None else module.Index


def index_paths(db_path: Path) -> tuple[Path, Path]:
    """The graph file and the key list of a database's vector index."""
    base = Path(str(db_path) + ".usearch")
    return base, Path(str(base) + ".npz")


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


@dataclass
class AnnIndex:
    """An opened vector index: the usearch graph and the passages (rowids, id fingerprints) it holds."""

    index: Any
    keys: np.ndarray  # int64 rowids, ascending
    fingerprints: np.ndarray  # uint64, one per key
    count: int  # the store's passage count when synced
    max_rowid: int  # the store's highest rowid when synced
    dim: int
    path: Path

    def __len__(self) -> int:
        return len(self.keys)

    def fresh_for(self, count: int, max_rowid: int) -> bool:
        """Whether it was synced with a store holding this many passages and this highest rowid."""
        return self.count == int(count) and self.max_rowid == int(max_rowid)

    def search(self, vectors: np.ndarray, depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query row, (rowids, approximate cosine similarities), best first, at most ``depth``."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        depth = int(min(max(1, depth), max(1, len(self.keys))))
        if not len(self.keys):
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in vectors]
        self.index.expansion_search = max(EXPANSION_SEARCH, depth)
        found = self.index.search(vectors, count=depth)
        keys = np.atleast_2d(np.asarray(found.keys))
        dists = np.atleast_2d(np.asarray(found.distances))
        counts = (np.atleast_1d(np.asarray(found.counts)) if hasattr(found, "counts")
                  else np.asarray([len(np.asarray(found.keys))]))  # one query: usearch answers a flat Matches
        return [(keys[i, :counts[i]].astype(np.int64), (1.0 - dists[i, :counts[i]]).astype(np.float32))
                for i in range(len(vectors))]


def open_index(db_path: Path, *, view: bool = True) -> AnnIndex | None:
    """The saved index of a database (memory-mapped with ``view``), or None when missing or unreadable."""
    Index = usearch_index_class()
    graph, keyfile = index_paths(db_path)
    if Index is None or not graph.is_file() or not keyfile.is_file():
        return None
    try:
        with np.load(keyfile, allow_pickle=False) as data:
            keys = data["keys"].astype(np.int64)
            prints = data["fingerprints"].astype(np.uint64)
            meta = json.loads(str(data["meta"]))
        if meta.get("format") != FORMAT:
            return None
        index = Index.restore(str(graph), view=view)
        if index is None or len(index) != len(keys):
            return None  # the two files come from different syncs: treat as stale
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        log.warning("vector index %s is unreadable (%s); it will be rebuilt", graph, exc)
        return None
    return AnnIndex(index, keys, prints, int(meta["count"]), int(meta["max_rowid"]), int(meta["dim"]), graph)


def _new_index(dim: int) -> Any:
    Index = usearch_index_class()
    return Index(ndim=dim, metric="cos", dtype="i8", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


def sync(store: Store, *, progress: bool = False) -> AnnIndex:
    """Build or update the vector index beside ``store``'s file to match its passages; returns it opened.

    Raises RuntimeError when usearch is missing or the store has no file.
    """
    if usearch_index_class() is None:
        raise RuntimeError("usearch is not installed (pip install 'factdesk[match]')")
    db_path = getattr(store, "path", None)
    if db_path is None:
        raise RuntimeError("an in-memory store has no place for a vector index")
    with _LOCK:
        return _sync(store, Path(db_path), progress)


def _sync(store: Store, db_path: Path, progress: bool) -> AnnIndex:
    started = time.perf_counter()
    graph, keyfile = index_paths(db_path)
    rows = store.passages.ids()
    rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    prints = id_fingerprints([r[1] for r in rows])
    count = len(rows)
    max_rowid = int(rowids[-1]) if count else 0
    viewed = open_index(db_path, view=True)
    if (viewed is not None and viewed.fresh_for(count, max_rowid) and np.array_equal(viewed.keys, rowids)
            and np.array_equal(viewed.fingerprints, prints)):
        return viewed  # already in step (every passage has a vector)
    old = open_index(db_path, view=False) if viewed is not None else None
    if old is not None:
        index, dim = old.index, old.dim
        have = dict(zip(old.keys.tolist(), old.fingerprints.tolist()))
    else:
        index, dim, have = None, 0, {}
    current = dict(zip(rowids.tolist(), prints.tolist()))
    gone = [k for k, f in have.items() if current.get(k) != f]
    wanted = [k for k, f in current.items() if have.get(k) != f]
    if index is not None and gone:
        index.remove(np.asarray(gone, dtype=np.uint64))
        for k in gone:
            del have[k]
    added = 0
    if len(wanted) >= _ADD_BATCH:  # minutes at a million passages on two cores: say so (stderr)
        log.warning("vector index %s: adding %d passages' vectors (a one-time cost; later runs add only new ones)",
                    graph.name, len(wanted))
    for c in range(0, len(wanted), _ADD_BATCH):
        part = store.passages.vectors_by_rowids(wanted[c:c + _ADD_BATCH])
        part = [r for r in part if r[4] is not None and current.get(int(r[0])) is not None]
        if not part:
            continue
        if not dim:
            dim = len(part[0][4]) // 4
        if index is None:
            index = _new_index(dim)
        blob = b"".join(r[4] for r in part)
        if len(blob) != len(part) * dim * 4:
            raise RuntimeError("stored passage vectors have mixed dimensions: re-index with one embedder")
        vecs = np.frombuffer(blob, dtype="<f4").reshape(len(part), dim)
        keys = np.asarray([int(r[0]) for r in part], dtype=np.uint64)
        index.add(keys, vecs)
        for r in part:
            have[int(r[0])] = current[int(r[0])]
        added += len(part)
        if progress:
            log.info("vector index: %d of %d passages added", added, len(wanted))
    if index is None:  # no vectors at all yet
        dim = dim or 1
        index = _new_index(dim)
    keys = np.asarray(sorted(have), dtype=np.int64)
    fps = np.asarray([have[int(k)] for k in keys], dtype=np.uint64)
    if gone or added or old is None or not old.fresh_for(count, max_rowid):
        meta = json.dumps({"format": FORMAT, "count": count, "max_rowid": max_rowid, "dim": dim,
                           "metric": "cos", "dtype": "i8", "connectivity": CONNECTIVITY})
        tmp_graph = graph.with_name(graph.name + f".{os.getpid()}.tmp")
        tmp_keys = keyfile.with_name(keyfile.name + f".{os.getpid()}.tmp.npz")
        index.save(str(tmp_graph))
        np.savez(tmp_keys, keys=keys, fingerprints=fps, meta=np.asarray(meta))
        os.replace(tmp_graph, graph)
        os.replace(tmp_keys, keyfile)
    log.info("vector index %s: %d passages (%d added, %d removed) in %.1f s", graph.name, len(keys), added,
             len(gone), time.perf_counter() - started)
    opened = open_index(db_path, view=True)
    if opened is None:
        raise RuntimeError(f"the vector index {graph} could not be read back")
    return opened


__all__ = ["AnnIndex", "id_fingerprints", "index_paths", "open_index", "sync", "usearch_index_class",
           "usearch_module"]
