"""The lexical engine of large stores: a tantivy (BM25) index beside the SQLite file.

SQLite FTS5's OR-queries score every passage holding any query term, so their cost grows with the
store (p50 ~10x from 100 k to 1 M passages; ~0.5 s a query at 10 M even with its rare-term pruning);
tantivy answered the same queries ~45x faster at p50 at 1 M with the recall of unpruned FTS5
(``benchmarks/lexical_engines.py``, docs/benchmarks.md "Choosing the lexical engine").  The SQLite
retriever's ``lexical_engine`` option (``[retriever.options]`` and ``[indexer.options]`` in
factdesk.toml) is ``"auto"`` by default: tantivy in a SQLite file of 50,000 passages or more
(``tantivy_threshold``), FTS5 below it, in memory and on PostgreSQL; ``"tantivy"`` or ``"fts5"``
choose one whatever the size.  tantivy is a core dependency.

The index lives in the folder ``<database>.tantivy.d``, kept like the vector index
(:mod:`factdesk.retrieve.ann`):

* ``manifest.json``: the ``count`` / ``max_rowid`` of the passages it was synced with (``null``
  while an update is under way), and the names of the current tantivy folder (``index-g7``) and key
  list (``keys-g7.npz``: every indexed rowid, ascending, with a 64-bit fingerprint of its passage id);
* one document per passage: its rowid (unsigned, indexed, fast and stored) and one ``body`` field
  holding the title and the text (``en_stem``: lower case, Snowball English stems; term frequencies,
  no positions).  A query ORs the query's words over ``body``: one BM25 over the whole passage, with
  the title and text lengths together as the document length, as FTS5's ``bm25(passages_fts, 1.0,
  0.5)`` scores a row.  One difference stays: a title word counts 1.0 here, 0.5 in FTS5 (tantivy
  weights fields, not parts of one field).  Format 1 kept ``text`` and ``title`` as two fields (a
  BM25 each, the title's boosted 0.5, summed); its top 10 agreed less with FTS5's and the demo
  check's label accuracy fell (docs/benchmarks.md), so :func:`sync` rebuilds an index of another
  format and :func:`open_index` never opens one.

**Kept in step** by :func:`sync` (``factdesk index`` calls it through
:meth:`~factdesk.retrieve.index.SqliteIndexer.finish`): it compares the store's (rowid, passage id)
list with the key list; the passages gone or changed are deleted from the index by rowid and the
new ones added, read from SQLite in batches.  When there is no index yet, the last update did not
finish, or more than :data:`REBUILD_SHARE` of the passages changed, a new index is built in a new
folder from the passages streamed in batches (memory: the writer's budget plus 16 bytes a passage
of bookkeeping) and the manifest is switched to it last, so a kill leaves the previous index and
the next sync removes what no manifest names.  A lock file in the folder keeps two processes from
syncing at once.  The retriever never builds at query time: a missing or stale index means FTS5
(with one warning on the ``factdesk`` logger).  ``python -m factdesk.retrieve.lexical_tantivy DB``
builds or updates it at once (a store indexed before it was the default, whose next ``factdesk
index`` finds nothing new to write).

Example::

    from factdesk.retrieve import lexical_tantivy
    index = lexical_tantivy.sync(store)                   # builds or updates <db>.tantivy.d
    index.search(["dam", "opened"], 10)                   # [(rowid, score), ...] best first
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# the vector index's helpers: one way to lock a folder, write a file atomically and list the store's keys
from factdesk.retrieve.sidecar import SyncedWith, atomic_write, id_fingerprints, store_keys, syncing, tail_print
from factdesk.store import Store

log = logging.getLogger("factdesk")

FORMAT = 2  # 1: fields text and title (title boosted 0.5); 2: one field body (title and text)
FIELD = "body"
REBUILD_SHARE = 0.25  # more passages than this share gone or new: build anew instead of deleting and adding
WRITER_HEAP_MB = 512  # tantivy's indexing memory budget (shared by its threads)
WRITER_THREADS = 4  # at most; never more than the machine's cores
_READ_BATCH = 20_000
_LOCK = threading.RLock()
_OWN_FILE = re.compile(r"^(index-g\d+|keys-g\d+\.npz)$")


def available() -> bool:
    """Whether tantivy is installed (a core dependency; ``pip install tantivy`` where it is missing)."""
    return _tantivy() is not None


def _tantivy() -> Any | None:
    try:
        import tantivy
    except ImportError:
        return None
    return tantivy


def index_dir(db_path: Path) -> Path:
    """The folder of a database's tantivy index (its manifest, key list and index)."""
    return Path(str(db_path) + ".tantivy.d")


def manifest_stamp(db_path: Path) -> int | None:
    """The manifest's modification time (ns): changes with every sync that changes the index; None: no index."""
    try:
        return os.stat(index_dir(Path(db_path)) / "manifest.json").st_mtime_ns
    except OSError:
        return None


@dataclass
class Manifest:
    count: int | None = None  # the store's passage count when synced; None while an update is under way
    max_rowid: int | None = None
    generation: int = 0
    index: str | None = None  # the tantivy folder
    keys: str | None = None  # the key list
    tail: str | None = None  # tail_print of the passages synced (None: written before it was kept)

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "count": self.count, "max_rowid": self.max_rowid,
                           "generation": self.generation, "index": self.index, "keys": self.keys,
                           "tail": self.tail}, indent=1)


def _read_manifest(folder: Path) -> Manifest | None:
    """The manifest of an index of this :data:`FORMAT`; None when missing, unreadable or of another format."""
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            log.info("tantivy index %s has format %r, not %d: it will be rebuilt", folder, data.get("format"), FORMAT)
            return None
        return Manifest(data["count"], data["max_rowid"], int(data["generation"]), data["index"], data["keys"],
                        data.get("tail"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("tantivy index manifest %s is unreadable (%s); the index will be rebuilt", path, exc)
        return None


def _schema() -> Any:
    tantivy = _tantivy()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(FIELD, tokenizer_name="en_stem", index_option="freq")
    builder.add_unsigned_field("rowid", stored=True, indexed=True, fast=True)
    return builder.build()


# -- the opened index (search) -------------------------------------------------------------------
class TantivyIndex(SyncedWith):
    """An opened tantivy index and the store state it was synced with."""

    def __init__(self, index: Any, count: int | None, max_rowid: int | None, path: Path,
                 tail: str | None = None) -> None:
        self.index, self.count, self.max_rowid, self.path, self.tail = index, count, max_rowid, path, tail
        self.searcher = index.searcher()
        self._tail_checked: tuple | None = None  # the last store version whose tail matched

    def __len__(self) -> int:
        return int(self.searcher.num_docs)

    def search(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        """The best ``k`` ``(rowid, BM25 score)`` for the OR of these words (``fusion.query_terms``), best first."""
        words = [w for t in query_terms for w in t.split()]
        if not words or k <= 0:
            return []
        # query_terms keeps \w words only, lower-cased, so the parser sees no syntax (AND/OR are upper case)
        text = " ".join(words)
        try:
            query = self.index.parse_query(text, [FIELD])
        except ValueError:  # a word the analyzer splits in two would be a phrase, and no positions are kept
            query, _errors = self.index.parse_query_lenient(text, [FIELD])
        hits = self.searcher.search(query, int(k), count=False).hits
        if hasattr(self.searcher, "fast_field_values"):  # tantivy-py 0.25+: the rowid column, no stored documents
            rowids = self.searcher.fast_field_values("rowid", [addr for _, addr in hits])
        else:
            rowids = [self.searcher.doc(addr)["rowid"][0] for _, addr in hits]
        return [(int(r), float(score)) for r, (score, _) in zip(rowids, hits)]


def open_index(db_path: Path) -> TantivyIndex | None:
    """The saved index of a database; None when tantivy is missing or the index is missing or unreadable."""
    tantivy = _tantivy()
    folder = index_dir(Path(db_path))
    if tantivy is None or not (folder / "manifest.json").is_file():
        return None
    for attempt in range(2):  # a sync in another process may switch to a new folder meanwhile
        manifest = _read_manifest(folder)
        if manifest is None or manifest.index is None:
            return None
        try:
            index = tantivy.Index.open(str(folder / manifest.index))
            return TantivyIndex(index, manifest.count, manifest.max_rowid, folder, manifest.tail)
        except (OSError, ValueError, RuntimeError) as exc:
            if attempt:
                log.warning("tantivy index %s is unreadable (%s)", folder, exc)
    return None


# -- building and updating ------------------------------------------------------------------------
def sync(store: Store, *, progress: bool = False, read_back: bool = True) -> TantivyIndex | None:
    """Build or update the tantivy index beside ``store``'s file to match its passages; returns it opened
    (``read_back=False``: None, for ``factdesk index``, which does not search it).

    Raises RuntimeError when tantivy is missing or the store has no file.
    """
    if not available():
        raise RuntimeError("tantivy is not installed (pip install tantivy)")
    with syncing(store, index_dir, _LOCK, "an in-memory or server store has no place for a tantivy index") as (db_path, folder):
        return _Sync(store, db_path, folder, progress).run(read_back)


class _Sync:
    def __init__(self, store: Store, db_path: Path, folder: Path, progress: bool) -> None:
        self.store, self.db_path, self.folder, self.progress = store, db_path, folder, progress
        self.manifest = _read_manifest(folder) or Manifest(generation=_any_generation(folder))

    def run(self, read_back: bool = True) -> TantivyIndex | None:
        started = time.perf_counter()
        self._remove_unnamed()
        rowids, prints = store_keys(self.store)
        m = self.manifest
        how = "built"
        if (m.count is None or m.index is None or m.keys is None or not (self.folder / m.index).is_dir()
                or not len(rowids)):
            del rowids, prints  # the build reads its own keys with the passages (16 bytes a passage)
            added, removed = self._build(), 0
        else:
            old_keys, old_prints = self._load_keys(m.keys)
            pos = np.minimum(np.searchsorted(rowids, old_keys), len(rowids) - 1)
            same = (rowids[pos] == old_keys) & (prints[pos] == old_prints)
            gone = old_keys[~same]
            covered = np.zeros(len(rowids), bool)
            covered[pos[same]] = True
            new = rowids[~covered]
            if not len(gone) and not len(new):
                added = removed = 0
                how = "up to date"
                top = int(rowids[-1]) if len(rowids) else 0
                tail = tail_print(rowids, prints, top)
                if (m.count, m.max_rowid, m.tail) != (len(rowids), top, tail):
                    m.count, m.max_rowid, m.tail = len(rowids), top, tail
                    self._write_manifest()
            elif len(gone) + len(new) > REBUILD_SHARE * max(len(rowids), 1):
                added, removed = self._build(), len(old_keys)
            else:
                del rowids, prints
                added, removed = self._update(old_keys[same], old_prints[same], gone, new), len(gone)
                how = "updated"
        log.info("tantivy index %s %s: %d added, %d removed in %.1f s", self.folder.name, how, added, removed,
                 time.perf_counter() - started)
        if not read_back:
            return None
        opened = open_index(self.db_path)
        if opened is None:
            raise RuntimeError(f"the tantivy index {self.folder} could not be read back")
        return opened

    def _writer(self, index: Any) -> Any:
        threads = max(1, min(WRITER_THREADS, os.cpu_count() or 1))
        return index.writer(heap_size=WRITER_HEAP_MB * 1_000_000, num_threads=threads)

    def _build(self) -> int:
        """A new index in a new folder from every passage, streamed in batches; the manifest switches last."""
        tantivy = _tantivy()
        gen = self.manifest.generation + 1
        name = f"index-g{gen}"
        path = self.folder / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        index = tantivy.Index(_schema(), path=str(path), reuse=False)
        writer = self._writer(index)
        keys: list[np.ndarray] = []
        prints: list[np.ndarray] = []
        total = self.store.passages.count()
        if total >= 100_000:
            log.warning("tantivy index %s: indexing %d passages (a one-time cost; later syncs add only new ones)",
                        self.folder.name, total)
        for rows in self.store.passages.text_batches(size=_READ_BATCH):
            for rid, _pid, text, title in rows:
                writer.add_document(_document(tantivy, rid, text, title))
            keys.append(np.fromiter((r[0] for r in rows), np.int64, len(rows)))
            prints.append(id_fingerprints([r[1] for r in rows]))
            if self.progress:
                log.info("tantivy index: %d of %d passages added", sum(len(k) for k in keys), total)
        writer.commit()
        writer.wait_merging_threads()
        del writer, index  # the writer's memory budget is given back before the key list is joined
        return self._finish(gen, name, keys, prints)

    def _update(self, kept: np.ndarray, kept_prints: np.ndarray, gone: np.ndarray, new: np.ndarray) -> int:
        """Delete the gone or changed passages by rowid and add the new ones, in the current folder."""
        tantivy = _tantivy()
        m = self.manifest
        m.count = m.max_rowid = m.tail = None  # under way: a kill before the manifest below means a rebuild next time
        self._write_manifest()
        index = tantivy.Index.open(str(self.folder / m.index))  # type: ignore[operator]
        writer = self._writer(index)
        schema = index.schema
        for c in range(0, len(gone), _READ_BATCH):  # by query: delete_documents_by_term makes an i64 term, no match
            part = gone[c:c + _READ_BATCH].tolist()
            writer.delete_documents_by_query(tantivy.Query.term_set_query(schema, "rowid", part))
        keys, prints = [kept], [kept_prints]
        for c in range(0, len(new), _READ_BATCH):
            passages = self.store.passages.by_rowids(new[c:c + _READ_BATCH].tolist())
            rows = sorted(passages.items())
            for rid, p in rows:
                writer.add_document(_document(tantivy, rid, p.text, p.title))
            keys.append(np.fromiter((r for r, _ in rows), np.int64, len(rows)))
            prints.append(id_fingerprints([p.id for _, p in rows]))
        writer.commit()
        writer.wait_merging_threads()
        del writer, index
        added = sum(len(k) for k in keys[1:])
        self._finish(m.generation + 1, m.index, keys, prints)  # type: ignore[arg-type]
        return added

    def _finish(self, gen: int, index_name: str, keys: list[np.ndarray], prints: list[np.ndarray]) -> int:
        """Write the key list and the manifest; ``keys`` and ``prints`` (chunks) are emptied as they are joined."""
        rowids = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        keys.clear()  # the chunks go as soon as they are joined: at 10 M passages each copy is 80 MB
        fps = np.concatenate(prints) if prints else np.zeros(0, np.uint64)
        prints.clear()
        if len(rowids) > 1 and not bool(np.all(rowids[1:] > rowids[:-1])):  # a build reads in rowid order
            order = np.argsort(rowids, kind="stable")
            rowids, fps = rowids[order], fps[order]
            del order
        keys_name = f"keys-g{gen}.npz"

        def write(tmp: Path) -> None:
            with tmp.open("wb") as fh:
                np.savez(fh, keys=rowids, fingerprints=fps)
        atomic_write(self.folder / keys_name, write)
        top = int(rowids[-1]) if len(rowids) else 0
        self.manifest = Manifest(len(rowids), top, gen, index_name, keys_name, tail_print(rowids, fps, top))
        self._write_manifest()
        return len(rowids)

    def _load_keys(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        with np.load(self.folder / name, allow_pickle=False) as data:
            return data["keys"].astype(np.int64), data["fingerprints"].astype(np.uint64)

    def _write_manifest(self) -> None:
        text = self.manifest.to_json()
        atomic_write(self.folder / "manifest.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
        self._remove_unnamed()

    def _remove_unnamed(self) -> None:
        """Remove index folders and key lists the manifest does not name (replaced, or left by a killed sync)."""
        named = {self.manifest.index, self.manifest.keys}
        for path in self.folder.iterdir():
            if (_OWN_FILE.match(path.name) or path.name.endswith(".tmp")) and path.name not in named:
                with contextlib.suppress(OSError):  # still open by a reader elsewhere (Windows): the next sync retries
                    if path.is_dir():
                        shutil.rmtree(path)
                    else:
                        path.unlink()


def _any_generation(folder: Path) -> int:
    """The generation in a manifest of any format (0 when none): a rebuild goes to a folder no older index used."""
    try:
        return int(json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("generation") or 0)
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def _document(tantivy: Any, rowid: int, text: str, title: str | None) -> Any:
    doc = tantivy.Document()
    doc.add_unsigned("rowid", int(rowid))  # Document(rowid=...) would make it a signed value
    # one field: title and text are one BM25 document, as FTS5 scores a row (a title word weighs 1.0, not 0.5)
    doc.add_text(FIELD, f"{title}\n{text or ''}" if title else (text or ""))
    return doc


def main(argv: list[str] | None = None) -> int:
    """``python -m factdesk.retrieve.lexical_tantivy DB``: build or update the tantivy index beside DB now.

    ``factdesk index`` does it after writing passages; this is for a store that already holds them (one
    indexed before tantivy was the engine of large stores, or written by a program that never called
    :meth:`~factdesk.retrieve.index.SqliteIndexer.finish`).
    """
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m factdesk.retrieve.lexical_tantivy", description=main.__doc__)
    ap.add_argument("db", help="the SQLite store (a file)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not Path(args.db).is_file():
        print(f"no such store: {args.db}", file=sys.stderr)
        return 2
    with Store.open(args.db) as store:
        index = sync(store, progress=True)
    print(f"{index.path}: {len(index)} passages")
    return 0


__all__ = ["REBUILD_SHARE", "TantivyIndex", "available", "index_dir", "main", "manifest_stamp", "open_index", "sync"]


if __name__ == "__main__":
    raise SystemExit(main())
