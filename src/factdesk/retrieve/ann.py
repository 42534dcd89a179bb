"""A persisted approximate vector index (usearch HNSW) beside the SQLite file, in shards, for large stores.

Below ``ann_threshold`` passages (50,000 by default) the retriever scans every vector exactly
(:mod:`factdesk.retrieve.index`).  From there on it searches this index instead: HNSW graphs over
the passages' vectors quantised to int8, in the folder ``<database>.usearch.d``:

* ``manifest.json`` (format 2): the vector size, the ``count`` / ``max_rowid`` of the passages it
  was synced with (``null`` while a build is under way), and the shards in order;
* per shard, its graph (``shard-00003.g12.usearch``), its key list (``….npz``: the passages' rowids,
  ascending, and a 64-bit fingerprint of each passage id) and, when some of its passages are gone,
  their rowids (``….dead.npy``).

A shard holds at most :data:`SHARD_SIZE` vectors.  Only the last, not yet full shard is ever held
in memory (while vectors are added); a full shard is saved once and from then on only opened
memory-mapped (``Index.restore(path, view=True)``), so building the index takes the memory of one
shard plus about 16 bytes a passage of bookkeeping (numpy arrays of rowids and fingerprints), at
any store size; a check opens the manifest and maps the shards without reading them.

* **Search** asks every shard for the ``depth`` nearest and merges them by similarity.  The
  candidates are looked up in SQLite and rescored with their stored float32 vectors, so every
  similarity the retriever reports is exact and a passage that no longer exists is dropped.
* **Kept in step** by :func:`sync`: ``factdesk index`` calls it after writing (through
  :meth:`~factdesk.retrieve.index.SqliteIndexer.finish`); it compares the store's (rowid, passage
  id) list with the shards' key lists, drops keys whose passage is gone or changed (a passage id is
  a hash of its document and text, so a rowid SQLite reuses for another passage is caught) and adds
  the new ones, so only new vectors are read and embedded vectors are never recomputed.  A
  retriever that finds the index missing or behind the store (another count or highest rowid)
  syncs it on demand and says so on the ``factdesk`` logger.
* **Dropping from a full shard is a tombstone**: its rowid is added to the shard's dead list, and
  search skips dead keys (asking that shard deeper when they crowd its top).  Full shards are
  memory-mapped read-only; removing with usearch would mean loading and rewriting the whole shard
  (hundreds of MB) for every re-index that touches one of its documents, where a dead list costs
  8 bytes a removed passage.  Once more than :data:`COMPACT_SHARE` of a shard is dead, the shard is
  loaded, the dead keys are removed with usearch, and it is saved again (one shard in memory).  In
  the last shard, which a sync loads anyway, keys are removed with usearch directly.
* **Resumable**: every file is written once under a new name (temp file + ``os.replace``) and
  the manifest is replaced last, so a kill loses at most the shard being filled; files no manifest
  names are removed by the next sync, which goes on from the shards already saved.  A sync holds a
  lock file in the folder, so two processes do not build at once.
* **Format 1** (one ``<database>.usearch`` + ``.usearch.npz``, before shards): a sync moves it in
  as the first shard when it holds no more than :data:`SHARD_SIZE` vectors, else removes it and
  builds the shards anew; either way it says so on the ``factdesk`` logger.
* **Without usearch** (a core dependency; the extra ``match`` is kept as an alias), or if the index
  cannot be written beside the database, the retriever keeps the exact scan.

Example::

    from factdesk.retrieve.ann import sync
    ann = sync(store)                # builds or updates <db>.usearch.d
    keys, sims = ann.search(query_vectors, 200)[0]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.retrieve.sidecar import SyncedWith, atomic_write, id_fingerprints, store_keys, syncing, tail_print
from factdesk.store import Store

log = logging.getLogger("factdesk")

FORMAT = 2
# Vectors per shard.  Measured (benchmarks/index_stream.py --ann, docs/benchmarks.md "Issue 15 item
# 4"): a build's peak RSS is set by the shard being filled, 0.52-0.54 GB for the whole process with
# 384-dim vectors (0.67 M and 1.33 M passages alike); with the ONNX model (~0.4 GB) and 10 M passages'
# bookkeeping (~0.1 GB while adding) about 1 GB; each 100,000 more a shard would add ~75 MB (0.75 KB a vector).
SHARD_SIZE = 500_000
COMPACT_SHARE = 0.10  # a full shard with more dead keys than this share of its vectors is rewritten without them
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 128
_SERIAL_ADD = 2000  # batches smaller than this are added on one thread (see _Sync)
_ADD_BATCH = 20000
_LOCK = threading.RLock()
_SHARD_FILE = re.compile(r"^shard-\d{5}\.g\d+\.(usearch|npz|dead\.npy)$")


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


def index_dir(db_path: Path) -> Path:
    """The folder of a database's vector index (its manifest and shards)."""
    return Path(str(db_path) + ".usearch.d")


def legacy_paths(db_path: Path) -> tuple[Path, Path]:
    """The graph file and key list of a format-1 (single-file) index, which :func:`sync` converts."""
    base = Path(str(db_path) + ".usearch")
    return base, Path(str(base) + ".npz")


# -- the manifest ------------------------------------------------------------------------------
@dataclass
class ShardInfo:
    """One shard as the manifest names it: its files (in the index folder) and how many vectors it holds."""

    graph: str
    keys: str
    size: int  # vectors in the graph, dead ones included
    dead: str | None = None  # sorted int64 rowids dropped from this shard (tombstones)
    dead_count: int = 0

    @property
    def live(self) -> int:
        return self.size - self.dead_count

    def files(self) -> list[str]:
        return [self.graph, self.keys] + ([self.dead] if self.dead else [])


@dataclass
class Manifest:
    dim: int = 0
    count: int | None = None  # the store's passage count when synced; None while a build is under way
    max_rowid: int | None = None
    generation: int = 0
    shards: list[ShardInfo] = field(default_factory=list)
    tail: str | None = None  # tail_print of the passages synced (None: written before it was kept)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "metric": "cos", "dtype": "i8", "connectivity": CONNECTIVITY,
                           "dim": self.dim, "count": self.count, "max_rowid": self.max_rowid,
                           "generation": self.generation, "shard_size": SHARD_SIZE,
                           "shards": [vars(s) for s in self.shards], "tail": self.tail}, indent=1)


def _read_manifest(folder: Path) -> Manifest | None:
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return Manifest(int(data["dim"]), data["count"], data["max_rowid"], int(data["generation"]),
                        [ShardInfo(**s) for s in data["shards"]], data.get("tail"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("vector index manifest %s is unreadable (%s); the index will be rebuilt", path, exc)
        return None


def _save_npy(path: Path, array: np.ndarray) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.save(fh, array)
    atomic_write(path, write)


def _save_keys(path: Path, keys: np.ndarray, prints: np.ndarray) -> None:
    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            np.savez(fh, keys=keys, fingerprints=prints)
    atomic_write(path, write)


def _load_keys(folder: Path, shard: ShardInfo) -> tuple[np.ndarray, np.ndarray]:
    with np.load(folder / shard.keys, allow_pickle=False) as data:
        return data["keys"].astype(np.int64), data["fingerprints"].astype(np.uint64)


def _load_dead(folder: Path, shard: ShardInfo) -> np.ndarray:
    if not shard.dead:
        return np.zeros(0, np.int64)
    return np.load(folder / shard.dead, allow_pickle=False).astype(np.int64)


# -- the opened index (search) -------------------------------------------------------------------
@dataclass
class OpenShard:
    index: Any  # usearch Index, memory-mapped
    size: int
    dead: np.ndarray  # sorted int64 rowids to skip


@dataclass
class AnnIndex(SyncedWith):
    """An opened vector index: its shards (memory-mapped) and the store state it was synced with."""

    shards: list[OpenShard]
    count: int | None  # the store's passage count when synced (None: a build did not finish)
    max_rowid: int | None  # the store's highest rowid when synced
    dim: int
    path: Path  # the index folder
    tail: str | None = None  # tail_print of the passages synced
    _keys: np.ndarray | None = field(default=None, repr=False)
    _tail_checked: tuple | None = field(default=None, repr=False)  # the last store version whose tail matched

    def __len__(self) -> int:
        return sum(s.size - len(s.dead) for s in self.shards)

    @property
    def keys(self) -> np.ndarray:
        """Every live rowid in the index, ascending (read from the shards' key lists on first use)."""
        if self._keys is None:
            manifest = _read_manifest(self.path)
            parts = []
            for info in manifest.shards if manifest else []:
                keys, _ = _load_keys(self.path, info)
                parts.append(np.setdiff1d(keys, _load_dead(self.path, info), assume_unique=True))
            self._keys = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        return self._keys

    def search(self, vectors: np.ndarray, depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each query row, (rowids, approximate cosine similarities), best first, at most ``depth``."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        total = len(self)
        depth = int(min(max(1, depth), max(1, total)))
        found: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(len(vectors))]
        if total:
            for shard in self.shards:
                for i, hit in enumerate(_search_shard(shard, vectors, depth)):
                    found[i].append(hit)
        out = []
        for parts in found:
            if not parts:
                out.append((np.zeros(0, np.int64), np.zeros(0, np.float32)))
                continue
            keys = np.concatenate([k for k, _ in parts])
            sims = np.concatenate([s for _, s in parts])
            order = np.argsort(-sims, kind="stable")
            keys, sims = keys[order], sims[order]
            _, first = np.unique(keys, return_index=True)  # a rowid is live in one shard; be safe anyway
            keep = np.sort(first)[:depth]
            out.append((keys[keep], sims[keep]))
        return out


def _search_shard(shard: OpenShard, vectors: np.ndarray, depth: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each query's best ``depth`` live keys of one shard; asked deeper while dead keys crowd the top."""
    live = shard.size - len(shard.dead)
    want = min(depth, live)
    if want <= 0:
        return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in vectors]
    count = min(shard.size, want + min(len(shard.dead), want))
    results = _raw_search(shard.index, vectors, count)
    out = []
    for q, (keys, sims) in enumerate(results):
        c = count
        while True:
            if len(shard.dead):
                keep = ~np.isin(keys, shard.dead, assume_unique=True)
                keys, sims = keys[keep], sims[keep]
            if len(keys) >= want or c >= shard.size:
                break
            c = min(shard.size, 2 * c)
            keys, sims = _raw_search(shard.index, vectors[q:q + 1], c)[0]
        out.append((keys[:want], sims[:want]))
    return out


def _raw_search(index: Any, vectors: np.ndarray, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    index.expansion_search = max(EXPANSION_SEARCH, count)
    found = index.search(vectors, count=count)
    keys = np.atleast_2d(np.asarray(found.keys))
    dists = np.atleast_2d(np.asarray(found.distances))
    counts = (np.atleast_1d(np.asarray(found.counts)) if hasattr(found, "counts")
              else np.asarray([len(np.asarray(found.keys))]))  # one query: usearch answers a flat Matches
    return [(keys[i, :counts[i]].astype(np.int64), (1.0 - dists[i, :counts[i]]).astype(np.float32))
            for i in range(len(vectors))]


def open_index(db_path: Path) -> AnnIndex | None:
    """The saved index of a database, its shards memory-mapped; None when missing or unreadable."""
    Index = usearch_index_class()
    folder = index_dir(db_path)
    if Index is None or not (folder / "manifest.json").is_file():
        return None
    for attempt in range(2):  # a sync in another process may replace the manifest and its files meanwhile
        manifest = _read_manifest(folder)
        if manifest is None:
            return None
        try:
            shards = []
            for info in manifest.shards:
                index = Index.restore(str(folder / info.graph), view=True)
                if index is None or len(index) != info.size:
                    raise ValueError(f"shard {info.graph} does not hold the {info.size} vectors its manifest says")
                shards.append(OpenShard(index, info.size, _load_dead(folder, info)))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            if attempt:
                log.warning("vector index %s is unreadable (%s); it will be rebuilt", folder, exc)
                return None
            continue
        return AnnIndex(shards, manifest.count, manifest.max_rowid, manifest.dim or 1, folder, manifest.tail)
    return None


# -- building and updating ------------------------------------------------------------------------
def _new_index(dim: int) -> Any:
    Index = usearch_index_class()
    return Index(ndim=dim, metric="cos", dtype="i8", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


def sync(store: Store, *, progress: bool = False, read_back: bool = True) -> AnnIndex | None:
    """Build or update the vector index beside ``store``'s file to match its passages; returns it opened.

    ``read_back=False`` returns None without opening it: ``factdesk index`` does not search what it built,
    and opening maps every shard and reads their node offsets (about 0.6 GB of memory at 10 M passages).
    Raises RuntimeError when usearch is missing or the store has no file.
    """
    if usearch_index_class() is None:
        raise RuntimeError("usearch is not installed (pip install 'factdesk[match]')")
    with syncing(store, index_dir, _LOCK, "an in-memory store has no place for a vector index") as (db_path, folder):
        return _Sync(store, db_path, folder, progress).run(read_back)


class _Sync:
    """One sync: compare the store with the shards' key lists, drop what is gone, add what is new."""

    def __init__(self, store: Store, db_path: Path, folder: Path, progress: bool) -> None:
        self.store, self.db_path, self.folder, self.progress = store, db_path, folder, progress
        self.manifest = Manifest()
        self.changed = False
        # the last shard while it is filled: usearch index in memory, its rowids and fingerprints
        self.open: Any = None
        self.open_keys: list[np.ndarray] = []
        self.open_prints: list[np.ndarray] = []
        self.open_info: ShardInfo | None = None  # the manifest entry it replaces, if it was saved before

    # -- the run -----------------------------------------------------------------------------
    def run(self, read_back: bool = True) -> AnnIndex | None:
        started = time.perf_counter()
        manifest = _read_manifest(self.folder)
        if manifest is None:
            manifest = self._from_legacy()
        self.manifest = manifest or Manifest()
        self._remove_unnamed_files()
        rowids, prints = store_keys(self.store)
        count, max_rowid = len(rowids), int(rowids[-1]) if len(rowids) else 0
        tail = tail_print(rowids, prints, max_rowid)
        removed, wanted = self._compare(rowids, prints)
        del rowids, prints  # while vectors are added, only the rowids to add are held (8 bytes each)
        if (self.manifest.count, self.manifest.max_rowid, self.manifest.tail) != (count, max_rowid, tail):
            self.changed = True  # also a build a kill stopped (count None): its manifest is completed
        added = self._add(wanted)
        del wanted
        if self.open is not None:
            self._save_open()
        if self.changed:
            self.manifest.count, self.manifest.max_rowid, self.manifest.tail = count, max_rowid, tail
            self._write_manifest()
        log.info("vector index %s: %d passages in %d shards (%d added, %d removed) in %.1f s", self.folder.name,
                 sum(s.live for s in self.manifest.shards), len(self.manifest.shards), added, removed,
                 time.perf_counter() - started)
        if not read_back:
            return None
        opened = open_index(self.db_path)
        if opened is None:
            raise RuntimeError(f"the vector index {self.folder} could not be read back")
        return opened

    def _compare(self, rowids: np.ndarray, prints: np.ndarray) -> tuple[int, np.ndarray]:
        """Drop the shards' keys whose passage is gone or changed; return (how many, the rowids to add)."""
        covered = np.zeros(len(rowids), dtype=bool)
        removed = 0
        shards = self.manifest.shards
        for i, info in enumerate(list(shards)):
            keys, fps = _load_keys(self.folder, info)
            dead = _load_dead(self.folder, info)
            live = ~np.isin(keys, dead, assume_unique=True) if len(dead) else np.ones(len(keys), bool)
            pos = np.minimum(np.searchsorted(rowids, keys), max(len(rowids) - 1, 0))
            hit = live & (pos < len(rowids))
            if len(rowids):
                hit &= (rowids[pos] == keys) & (prints[pos] == fps) & ~covered[pos]
            else:
                hit[:] = False
            covered[pos[hit]] = True
            gone = keys[live & ~hit]
            if not len(gone):
                continue
            removed += len(gone)
            self.changed = True
            if i == len(shards) - 1 and info.size < SHARD_SIZE and not info.dead_count:
                self._load_open(info, keys, fps)  # the last shard: removed with usearch, it is rewritten anyway
                self.open.remove(gone.astype(np.uint64))
                keep = ~np.isin(keys, gone, assume_unique=True)
                self.open_keys, self.open_prints = [keys[keep]], [fps[keep]]
            else:
                self._tombstone(i, np.union1d(dead, gone))
        return removed, rowids[~covered]

    def _tombstone(self, i: int, dead: np.ndarray) -> None:
        info = self.manifest.shards[i]
        gen = self._next_generation()
        if len(dead) > COMPACT_SHARE * info.size:
            index = usearch_index_class().restore(str(self.folder / info.graph), view=False)
            index.remove(dead.astype(np.uint64))
            keys, fps = _load_keys(self.folder, info)
            keep = ~np.isin(keys, dead, assume_unique=True)
            name = self._name(i, gen)
            atomic_write(self.folder / f"{name}.usearch", lambda tmp: index.save(str(tmp)))
            _save_keys(self.folder / f"{name}.npz", keys[keep], fps[keep])
            self.manifest.shards[i] = ShardInfo(f"{name}.usearch", f"{name}.npz", len(index))
            log.info("vector index: shard %d compacted (%d dead vectors removed)", i, len(dead))
            del index
        else:
            name = f"{self._name(i, gen)}.dead.npy"
            _save_npy(self.folder / name, dead.astype(np.int64))
            info.dead, info.dead_count = name, len(dead)

    def _add(self, wanted: np.ndarray) -> int:
        """Read the wanted passages' vectors from SQLite and add them to the last shard, shard after shard."""
        if not len(wanted):
            return 0
        if len(wanted) >= _ADD_BATCH:  # minutes at a million passages on two cores: say so (stderr)
            log.warning("vector index %s: adding %d passages' vectors (a one-time cost; later runs add only new ones)",
                        self.folder.name, len(wanted))
        added = 0
        for keys, prints, vecs in self._vector_batches(wanted):
            dim = vecs.shape[1]
            if self.manifest.dim and dim != self.manifest.dim:
                raise RuntimeError("stored passage vectors have mixed dimensions: re-index with one embedder")
            self.manifest.dim = dim
            start = 0
            while start < len(keys):
                if self.open is None:
                    self._start_open()
                room = SHARD_SIZE - self._open_size()
                part = slice(start, start + room)
                n = len(keys[part])
                # usearch's threaded add races on small graphs (measured: 3 of 240 queries lost a true
                # top-10 neighbour in 50-vector indexes, 0 with one thread); large batches keep every core
                self.open.add(keys[part].astype(np.uint64), vecs[part], threads=1 if n < _SERIAL_ADD else 0)
                self.open_keys.append(keys[part])
                self.open_prints.append(prints[part])
                added += len(keys[part])
                start += room
                self.changed = True
                if self._open_size() >= SHARD_SIZE:
                    self._save_open()  # full: saved once, memory-mapped from now on
                    self.manifest.count = self.manifest.max_rowid = None  # a build under way
                    self._write_manifest()
                    if self.progress:
                        log.info("vector index: shard %d saved (%d of %d passages added)",
                                 len(self.manifest.shards) - 1, added, len(wanted), extra={"added": added})
            if self.progress:
                log.info("vector index: %d of %d passages added", added, len(wanted), extra={"added": added})
        return added

    def _vector_batches(self, wanted: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(rowids, id fingerprints, float32 vectors) of the wanted passages that have a vector, by rowid."""
        passages = self.store.passages
        span = int(wanted[-1]) - int(wanted[0]) + 1
        if 2 * len(wanted) >= span:  # mostly contiguous (a first build, new passages at the end): scan by rowid
            last = int(wanted[-1])
            for rows in passages.vector_batches(int(wanted[0]) - 1, _ADD_BATCH):
                ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
                pos = np.minimum(np.searchsorted(wanted, ids), len(wanted) - 1)
                keep = wanted[pos] == ids
                batch = [rows[j] for j in np.flatnonzero(keep)]
                if batch:
                    yield self._arrays([(r[0], r[1], r[2]) for r in batch])
                if ids[-1] >= last:
                    return
        else:
            for c in range(0, len(wanted), _ADD_BATCH):
                rows = passages.vectors_by_rowids(wanted[c:c + _ADD_BATCH].tolist())
                rows = sorted((r[0], r[1], r[4]) for r in rows if r[4] is not None)
                if rows:
                    yield self._arrays(rows)

    @staticmethod
    def _arrays(rows: list[tuple[int, str, bytes]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dim = len(rows[0][2]) // 4
        blob = b"".join(r[2] for r in rows)
        if len(blob) != len(rows) * dim * 4:
            raise RuntimeError("stored passage vectors have mixed dimensions: re-index with one embedder")
        keys = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        return keys, id_fingerprints([r[1] for r in rows]), np.frombuffer(blob, dtype="<f4").reshape(len(rows), dim)

    # -- the last shard ----------------------------------------------------------------------------
    def _open_size(self) -> int:
        return sum(len(k) for k in self.open_keys)

    def _start_open(self) -> None:
        """Load the last shard to go on filling it, or begin a new one when it is full or there is none."""
        shards = self.manifest.shards
        if shards and shards[-1].size < SHARD_SIZE and shards[-1].dead_count == 0:
            info = shards[-1]
            self._load_open(info, *_load_keys(self.folder, info))
        else:
            self.open, self.open_keys, self.open_prints, self.open_info = _new_index(self.manifest.dim), [], [], None

    def _load_open(self, info: ShardInfo, keys: np.ndarray, prints: np.ndarray) -> None:
        if self.open is not None:
            return
        self.open = usearch_index_class().restore(str(self.folder / info.graph), view=False)
        if self.open is None or len(self.open) != info.size:
            raise RuntimeError(f"shard {info.graph} does not hold the {info.size} vectors its manifest says")
        self.open_keys, self.open_prints, self.open_info = [keys], [prints], info

    def _save_open(self) -> None:
        keys = np.concatenate(self.open_keys) if self.open_keys else np.zeros(0, np.int64)
        prints = np.concatenate(self.open_prints) if self.open_prints else np.zeros(0, np.uint64)
        order = np.argsort(keys, kind="stable")
        shards = self.manifest.shards
        i = shards.index(self.open_info) if self.open_info is not None else len(shards)
        name = self._name(i, self._next_generation())
        index = self.open
        atomic_write(self.folder / f"{name}.usearch", lambda tmp: index.save(str(tmp)))
        _save_keys(self.folder / f"{name}.npz", keys[order], prints[order])
        info = ShardInfo(f"{name}.usearch", f"{name}.npz", len(index))
        if i < len(shards):
            shards[i] = info
        else:
            shards.append(info)
        self.open, self.open_keys, self.open_prints, self.open_info = None, [], [], None

    # -- files -------------------------------------------------------------------------------------
    def _next_generation(self) -> int:
        self.manifest.generation += 1
        return self.manifest.generation

    @staticmethod
    def _name(i: int, generation: int) -> str:
        return f"shard-{i:05d}.g{generation}"

    def _write_manifest(self) -> None:
        path = self.folder / "manifest.json"
        text = self.manifest.to_json()
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        self._remove_unnamed_files()

    def _remove_unnamed_files(self) -> None:
        """Remove shard files the manifest does not name (replaced ones, or left by a killed sync)."""
        named = {f for s in self.manifest.shards for f in s.files()}
        if self.open_info is not None:
            named.update(self.open_info.files())
        for path in self.folder.iterdir():
            if (_SHARD_FILE.match(path.name) or path.name.endswith(".tmp")) and path.name not in named:
                with contextlib.suppress(OSError):  # Windows: still mapped by a reader; the next sync retries
                    path.unlink()

    def _from_legacy(self) -> Manifest | None:
        """A format-1 index beside the database: moved in as the first shard when small enough, else removed."""
        graph, keyfile = legacy_paths(self.db_path)
        if not graph.exists() and not keyfile.exists():
            return None
        try:
            with np.load(keyfile, allow_pickle=False) as data:
                keys = data["keys"].astype(np.int64)
                prints = data["fingerprints"].astype(np.uint64)
                meta = json.loads(str(data["meta"]))
            if meta.get("format") != 1:
                raise ValueError(f"format {meta.get('format')!r}")
        except (OSError, ValueError, KeyError) as exc:
            log.warning("vector index %s (format 1) is unreadable (%s): removed, building the sharded index anew",
                        graph.name, exc)
            keys = None
        if keys is not None and len(keys) > SHARD_SIZE:
            log.warning("vector index %s (format 1) holds %d vectors, more than one shard (%d): removed, building "
                        "the sharded index anew in %s", graph.name, len(keys), SHARD_SIZE, self.folder.name)
            keys = None
        manifest = None
        if keys is not None and graph.is_file():
            name = self._name(0, 1)
            os.replace(graph, self.folder / f"{name}.usearch")
            _save_keys(self.folder / f"{name}.npz", keys, prints)
            manifest = Manifest(int(meta["dim"]), int(meta["count"]), int(meta["max_rowid"]), 1,
                                [ShardInfo(f"{name}.usearch", f"{name}.npz", len(keys))])
            self.manifest = manifest
            self._write_manifest()
            log.warning("vector index %s (format 1, %d vectors) moved into %s as its first shard", graph.name,
                        len(keys), self.folder.name)
        for path in (graph, keyfile):
            path.unlink(missing_ok=True)
        return manifest


__all__ = ["COMPACT_SHARE", "SHARD_SIZE", "AnnIndex", "ShardInfo", "id_fingerprints", "index_dir", "legacy_paths",
           "open_index", "sync", "usearch_index_class", "usearch_module"]
