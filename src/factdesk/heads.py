"""Run-time side of the project's small trained heads (numpy only).

A head is a folder with ``head.npz`` (a standardiser ``mean``/``scale`` and either a logistic
layer ``W``/``b`` or an MLP ``W1``/``b1``/``W2``/``b2``) and ``config.json`` (at least
``{"head": {"kind": "mlp" | "logreg"}}``), as written by the trainers in ``factdesk.train``.
The trained verifier and the trained check-worthiness scorer both load theirs through here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from factdesk import registry
from factdesk.errors import ConfigError
from factdesk.paths import model_dir_override


def model_dir(explicit: str | os.PathLike[str] | None, env_var: str, default: Path) -> Path:
    """The folder to load from: an explicit path, else ``$env_var``, else the shipped default."""
    if explicit is not None:
        return Path(explicit).expanduser()
    return model_dir_override(env_var) or default


def head_files_present(folder: Path) -> bool:
    return (folder / "head.npz").is_file() and (folder / "config.json").is_file()


class SavedHead:
    """Standardiser + logistic / MLP layers + temperature, as saved by a trainer."""

    def __init__(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        self.config = config
        self.kind = config["head"]["kind"]
        self.temperature = float(config.get("temperature", 1.0))
        self.mean = arrays["mean"].astype(np.float32)
        self.scale = arrays["scale"].astype(np.float32)
        self.params = {k: v.astype(np.float32) for k, v in arrays.items() if k not in ("mean", "scale")}

    @classmethod
    def load(cls, folder: Path, *, what: str = "model", train_command: str = "factdesk train") -> Any:
        cfg_path, npz_path = folder / "config.json", folder / "head.npz"
        if not cfg_path.is_file() or not npz_path.is_file():
            raise ConfigError(f"trained {what} files missing in {folder}", hint=f"train them with: {train_command}")
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
        with np.load(npz_path) as z:
            arrays = {k: z[k] for k in z.files}
        return cls(arrays, config)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Raw class logits (before temperature) for standardised-on-the-fly features ``x``."""
        z = (x - self.mean) / self.scale
        p = self.params
        if self.kind == "mlp":
            return np.maximum(z @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]
        return z @ p["W"] + p["b"]


class EmbeddingHeadModel:
    """Shared loading for models made of the packaged MiniLM embedder plus a :class:`SavedHead`.

    Subclasses set ``head_class`` and, in ``__init__``, ``model_dir``, ``threads``,
    ``_embedder`` (``None``: load the packaged one), ``_head = None`` and ``_lock``.
    """

    head_class: type[SavedHead] = SavedHead
    model_dir: Path
    threads: int
    _embedder: Any
    _head: Any
    _lock: Any

    def warm_up(self) -> None:
        """Load the head (milliseconds) and the embedder; cheap to call twice, thread-safe."""
        if self._head is not None:
            return
        with self._lock:
            if self._head is not None:
                return
            head = self.head_class.load(self.model_dir)
            if self._embedder is None:  # none shared by the pipeline: the default one, our own
                self._embedder = registry.create("embedder", "minilm-int8", threads=self.threads)
            self._embedder.warm_up()
            self._head = head
