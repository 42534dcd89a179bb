"""A fine-tuned cross-encoder verifier: claim and passage read together.

The model is all-MiniLM-L6-v2 fine-tuned as a 3-way classifier over
``[CLS] claim [SEP] passage [SEP]`` (supports / refutes / neutral), exported
to ONNX and quantised to int8.  Inference needs only ``onnxruntime``,
``tokenizers`` and ``numpy`` — no torch.  Training lives in
:mod:`factdesk.train.cross_encoder`; the model card is
``docs/models/verifier-cross-encoder.md``.

Model folder layout (shipped in ``factdesk/models/verifier-ce/``, or your own
folder named by ``FACTDESK_VERIFIER_DIR``):

* ``model.onnx`` — inputs ``input_ids``, ``attention_mask``, ``token_type_ids``
  (int64, shape ``[batch, seq]``), output ``logits`` ``[batch, 3]``;
* ``tokenizer.json`` — a ``tokenizers`` tokenizer (special tokens are added here,
  not by the tokenizer);
* ``config.json`` — ``labels`` (logit order), ``max_length``, ``max_claim_tokens``,
  ``temperature``, ``cls_id``/``sep_id``/``pad_id``, plus the training summary.

Example::

    from factdesk.registry import create
    v = create("verifier", "cross-encoder")
    v.warm_up()
    [r] = v.stances([("The dam opened in 1998.", "The dam was opened in 2001.")])
    r.stance, r.probabilities
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from factdesk.text.sentences import split_sentences
from factdesk.errors import ConfigError
from factdesk.paths import VERIFIER_DIR_ENV, model_dir_override
from factdesk.registry import available_when
from factdesk.verify.base import StanceResult
from factdesk.verify.focus import focus_terms, key_sentence

ENV_DIR = VERIFIER_DIR_ENV
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models" / "verifier-ce"
REQUIRED_FILES = ("model.onnx", "tokenizer.json", "config.json")
STANCES = ("supports", "refutes", "neutral")


def has_model(path: str | os.PathLike[str] | None = None) -> bool:
    d = Path(path) if path is not None else model_dir_from_env()
    return all((d / f).is_file() for f in REQUIRED_FILES)


def model_dir_from_env() -> Path:
    """The folder to load: ``FACTDESK_VERIFIER_DIR`` when it holds a cross-encoder, else the shipped one.

    The ``trained`` verifier reads the same variable for its own (different) layout, so a folder
    without ``model.onnx`` + ``tokenizer.json`` + ``config.json`` is left to it.
    """
    env = model_dir_override(ENV_DIR)
    if env is not None and has_model(env):
        return env
    return SHIPPED_DIR


def encode_pair(claim_ids: list[int], evidence_ids: list[int], *, max_length: int, max_claim_tokens: int,
                cls_id: int, sep_id: int) -> tuple[list[int], list[int]]:
    """``[CLS] claim [SEP] evidence [SEP]`` ids and token types, cut to ``max_length``.

    The evidence is cut first; the claim keeps up to ``max_claim_tokens`` tokens
    (more when the evidence is short).  Shared by training and inference so the
    two never drift apart.
    """
    budget = max_length - 3
    claim = claim_ids[:budget]
    if len(claim) + len(evidence_ids) > budget:
        # the claim keeps what it needs up to its cap; the evidence gets the rest, at least what is left
        keep_claim = min(len(claim), max(max_claim_tokens, budget - len(evidence_ids)))
        claim = claim[:keep_claim]
        evidence = evidence_ids[: max(0, budget - len(claim))]
    else:
        evidence = evidence_ids
    ids = [cls_id, *claim, sep_id, *evidence, sep_id]
    types = [0] * (len(claim) + 2) + [1] * (len(evidence) + 1)
    return ids, types


def window_spans(sentence_tokens: list[tuple[int, int]], budget: int, max_windows: int) -> list[tuple[int, int]]:
    """Token spans ``[start, end)`` of evidence windows that each fit ``budget`` tokens.

    ``sentence_tokens`` are the evidence's sentences as token spans, in order.  A window
    is a run of whole sentences (a sentence longer than the budget is cut into pieces);
    consecutive windows share one sentence, so a fact split over a sentence boundary is
    still read together.  At most ``max_windows`` windows (the passage head first).
    """
    pieces: list[tuple[int, int]] = []
    for a, b in sentence_tokens:
        while b - a > budget:
            pieces.append((a, a + budget))
            a += budget
        if b > a:
            pieces.append((a, b))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces) and len(spans) < max_windows:
        j = i + 1
        while j < len(pieces) and pieces[j][1] - pieces[i][0] <= budget:
            j += 1
        spans.append((pieces[i][0], pieces[j - 1][1]))
        if j >= len(pieces):
            break
        i = max(i + 1, j - 1)
    return spans


class PairEncoder:
    """Turns (claim, passage) strings into padded numpy batches for the model.

    A passage too long for one model input is read in windows of whole sentences
    (:func:`window_spans`) and :meth:`encode_focused` reads the one most about the claim.
    """

    def __init__(self, tokenizer: Any, config: dict[str, Any], max_windows: int = 32):
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.max_length = int(config.get("max_length", 128))
        self.max_claim_tokens = int(config.get("max_claim_tokens", 48))
        self.cls_id = int(config["cls_id"])
        self.sep_id = int(config["sep_id"])
        self.pad_id = int(config.get("pad_id", 0))
        self.max_windows = max(1, int(max_windows))

    def _pair(self, claim_ids: list[int], evidence_ids: list[int]) -> tuple[list[int], list[int]]:
        return encode_pair(claim_ids, evidence_ids, max_length=self.max_length, max_claim_tokens=self.max_claim_tokens,
                           cls_id=self.cls_id, sep_id=self.sep_id)

    def encode(self, pairs: list[tuple[str, str]]) -> list[tuple[list[int], list[int]]]:
        """One model input per pair: the passage's head (what training saw)."""
        if not pairs:
            return []
        claims = self.tokenizer.encode_batch([c or "" for c, _ in pairs], add_special_tokens=False)
        evid = self.tokenizer.encode_batch([e or "" for _, e in pairs], add_special_tokens=False)
        # very long passages: only the head can be used anyway; cap the work per pair
        return [self._pair(c.ids, e.ids[: self.max_length]) for c, e in zip(claims, evid)]

    def encode_focused(self, pairs: list[tuple[str, str]]
                       ) -> list[tuple[tuple[list[int], list[int]], tuple[int, int] | None, int]]:
        """One model input per pair, read from the part of the passage most about the claim.

        A passage that fits is read whole (span ``None``).  A longer one is cut into windows
        of whole sentences (:func:`window_spans`) and the window sharing the most content
        words and numbers with the claim is read (the earliest on a tie); returns the input,
        that window's character span and the number of windows.
        """
        if not pairs:
            return []
        claims = self.tokenizer.encode_batch([c or "" for c, _ in pairs], add_special_tokens=False)
        evid = self.tokenizer.encode_batch([e or "" for _, e in pairs], add_special_tokens=False)
        out: list[tuple[tuple[list[int], list[int]], tuple[int, int] | None, int]] = []
        for (claim_text, text), c, e in zip(pairs, claims, evid):
            text = text or ""
            claim = c.ids[: min(len(c.ids), self.max_claim_tokens)]
            budget = self.max_length - 3 - len(claim)
            if len(c.ids) + len(e.ids) <= self.max_length - 3 or budget < 8:
                out.append((self._pair(c.ids, e.ids[: self.max_length]), None, 1))
                continue
            offsets = e.offsets
            spans, k = [], 0
            for sent in split_sentences(text):  # sentence character spans -> token spans
                while k < len(offsets) and offsets[k][1] <= sent.start:
                    k += 1
                first = k
                while k < len(offsets) and offsets[k][0] < sent.end:
                    k += 1
                if k > first:
                    spans.append((first, k))
            windows = window_spans(spans or [(0, len(e.ids))], budget, self.max_windows)
            wanted = focus_terms(claim_text or "")
            chars = [(offsets[a][0], offsets[b - 1][1]) for a, b in windows]
            best = max(range(len(windows)), key=lambda i: (len(wanted & focus_terms(text[slice(*chars[i])])), -i))
            a, b = windows[best]
            out.append((self._pair(claim, e.ids[a:b]), chars[best], len(windows)))
        return out

    def pad(self, encoded: list[tuple[list[int], list[int]]]) -> dict[str, Any]:
        import numpy as np

        width = max(len(ids) for ids, _ in encoded)
        n = len(encoded)
        input_ids = np.full((n, width), self.pad_id, dtype=np.int64)
        types = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        for i, (ids, tt) in enumerate(encoded):
            input_ids[i, : len(ids)] = ids
            types[i, : len(tt)] = tt
            mask[i, : len(ids)] = 1
        return {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": types}


class CrossEncoderVerifier:
    """Stance of each (claim, passage) pair from the fine-tuned MiniLM cross-encoder (ONNX).

    ``batch_size`` is 1 by default: the int8 model quantizes its activations with one scale per tensor,
    computed over the whole batch, so in batches of 32 a pair's logits moved by up to 1.24 with the other
    pairs (23 stances of 600 FEVER dev pairs changed).  One pair a call gives each pair the same stance
    whatever is judged beside it, for 11 % of the speed (benchmarks/verifier_batching.py); a larger batch is
    faster and no longer reproducible pair by pair.
    """

    name = "cross-encoder"

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, threads: int = 2, batch_size: int = 1,
                 windows: bool = True, max_windows: int = 32, **_: Any):
        self.model_dir = Path(model_dir).expanduser() if model_dir is not None else model_dir_from_env()
        self.threads = max(1, int(threads))
        self.batch_size = max(1, int(batch_size))
        self.windows = bool(windows)
        self.max_windows = max(1, int(max_windows))
        self._session: Any = None
        self._encoder: PairEncoder | None = None
        self.config: dict[str, Any] = {}

    # -- loading ----------------------------------------------------------------------
    def warm_up(self) -> None:
        if self._session is not None:
            return
        missing = [f for f in REQUIRED_FILES if not (self.model_dir / f).is_file()]
        if missing:
            raise ConfigError(f"cross-encoder model folder {self.model_dir} lacks {', '.join(missing)}",
                              hint=f"point {ENV_DIR} at a folder with model.onnx, tokenizer.json and config.json")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.config = json.loads((self.model_dir / "config.json").read_text(encoding="utf-8"))
        labels = [str(x) for x in self.config.get("labels", STANCES)]
        if sorted(labels) != sorted(STANCES):
            raise ConfigError(f"config.json labels must be {', '.join(STANCES)}; got {labels}")
        self.labels = labels
        self.temperature = float(self.config.get("temperature", 1.0)) or 1.0
        self._encoder = PairEncoder(Tokenizer.from_file(str(self.model_dir / "tokenizer.json")), self.config,
                                    max_windows=self.max_windows)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(self.model_dir / "model.onnx"), sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    # -- scoring ----------------------------------------------------------------------
    def _run(self, encoded: list[tuple[list[int], list[int]]]) -> Any:
        """Raw logits ``[n, 3]`` for encoded inputs, batched by length."""
        import numpy as np

        assert self._encoder is not None
        out = np.zeros((len(encoded), 3), dtype=np.float32)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            feed = self._encoder.pad([encoded[i] for i in idx])
            feed = {k: v for k, v in feed.items() if k in self._inputs}
            out[idx] = self._session.run(None, feed)[0]
        return out

    def _softmax(self, z: Any) -> Any:
        import numpy as np

        z = z / self.temperature
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def logits(self, pairs: list[tuple[str, str]]) -> Any:
        """Raw logits ``[n, 3]`` in ``self.labels`` order (before temperature), one input per pair:
        the claim and the head of the passage, exactly as in training."""
        self.warm_up()
        assert self._encoder is not None
        return self._run(self._encoder.encode(pairs))

    def probabilities(self, pairs: list[tuple[str, str]]) -> Any:
        """Stance probabilities ``[n, 3]`` from each passage's head (no windows)."""
        return self._softmax(self.logits(pairs))

    def stances(self, pairs: list[tuple[str, str]]) -> list[StanceResult]:
        """Judge each pair.  A passage longer than one model input is read where it is most
        about the claim (see :meth:`PairEncoder.encode_focused`), and the reason quotes that
        part; ``windows=False`` reads every passage's head, as training did."""
        if not pairs:
            return []
        self.warm_up()
        assert self._encoder is not None
        if not self.windows:
            return [self._result(row, None, 1) for row in self.probabilities(pairs)]
        focused = self._encoder.encode_focused(pairs)
        probs = self._softmax(self._run([enc for enc, _, _ in focused]))
        out = []
        for row, (_, span, n), (claim, text) in zip(probs, focused, pairs):
            window = (text or "")[span[0]:span[1]] if span else None
            out.append(self._result(row, window and (key_sentence(claim, window) or window), n))
        return out

    def _result(self, row: Any, window_text: str | None, n_windows: int) -> StanceResult:
        pr = {lab: float(row[j]) for j, lab in enumerate(self.labels)}
        top = max(pr, key=lambda k: pr[k])
        reason = f"cross-encoder: {top} {pr[top]:.2f}"
        if window_text:
            shown = window_text if len(window_text) <= 160 else window_text[:157].rstrip() + "…"
            reason += f" (long passage: read the part of it most about the claim, 1 of {n_windows}, around “{shown}”)"
        return StanceResult(probabilities=pr, reasons=[reason], key_sentence=window_text)


@available_when(has_model)
def make_cross_encoder(**settings: Any) -> CrossEncoderVerifier:
    """The cross-encoder verifier (entry point ``verifier.cross-encoder``), when its model is present.

    Settings: model_dir, threads, batch_size, windows, max_windows; others are ignored.
    """
    allowed = {k: v for k, v in settings.items()
               if k in ("model_dir", "threads", "batch_size", "windows", "max_windows")}
    return CrossEncoderVerifier(**allowed)
