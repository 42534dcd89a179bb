"""A resumable on-disk cache of sentence embeddings for training runs.

Vectors are stored as float16 chunks (``chunk_00000.npz`` …) keyed by the
SHA-1 of the text, under ``$XDG_CACHE_HOME/factdesk/verifier-train/<embedder>/``
(never inside the repository).  Each chunk is written as soon as it is
embedded, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from factdesk.paths import cache_dir


def default_cache_dir() -> Path:
    return cache_dir() / "verifier-train"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class EmbeddingCache:
    def __init__(self, folder: Path, embedder: Any, chunk: int = 2048) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.chunk = chunk
        self._index: dict[str, tuple[int, int]] = {}
        self._chunks: list[np.ndarray] = []
        for f in sorted(self.folder.glob("chunk_*.npz")):
            try:
                with np.load(f) as z:
                    keys, vecs = z["keys"], z["vecs"]
            except Exception:  # noqa: BLE001 - a chunk cut short by an interruption: embed again
                f.unlink(missing_ok=True)
                continue
            c = len(self._chunks)
            self._chunks.append(vecs)
            for i, k in enumerate(keys.tolist()):
                self._index[k] = (c, i)

    def __len__(self) -> int:
        return len(self._index)

    def ensure(self, texts: list[str], log: Callable[[str], None] = print) -> None:
        todo = [t for t in dict.fromkeys(texts) if _key(t) not in self._index]
        if not todo:
            return
        log(f"embedding {len(todo):,} new texts ({len(self._index):,} cached) into {self.folder}")
        started = time.perf_counter()
        for s in range(0, len(todo), self.chunk):
            part = todo[s:s + self.chunk]
            vecs = np.asarray(self.embedder.embed(part), dtype=np.float32).astype(np.float16)
            keys = np.asarray([_key(t) for t in part])
            c = len(self._chunks)
            path = self.folder / f"chunk_{c:05d}.npz"
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=keys, vecs=vecs)
            os.replace(tmp, path)
            self._chunks.append(vecs)
            for i, k in enumerate(keys.tolist()):
                self._index[k] = (c, i)
            done = s + len(part)
            rate = done / (time.perf_counter() - started)
            log(f"  {done:,}/{len(todo):,} texts, {rate:.0f}/s, ~{(len(todo) - done) / rate:.0f}s left")

    def get(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self._chunks[0].shape[1] if self._chunks else 384), np.float32)
        for row, t in enumerate(texts):
            c, i = self._index[_key(t)]
            out[row] = self._chunks[c][i]
        # float16 storage: renormalise to unit length
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
