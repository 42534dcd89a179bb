"""A small classifier head trained with numpy: softmax regression or a 1-hidden-layer MLP.

Forward/backward and Adam are written out here (no torch).  Inputs are
standardised feature rows; labels are class indices.  Early stopping keeps the
parameters with the lowest validation loss.  :func:`fit_temperature` scales
the logits so the validation probabilities are calibrated.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray) -> float:
    p = softmax(logits)
    return float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())


def init_params(kind: str, d: int, k: int, hidden: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if kind == "mlp":
        return {"W1": (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32),
                "b1": np.zeros(hidden, np.float32),
                "W2": (rng.standard_normal((hidden, k)) * np.sqrt(1.0 / hidden)).astype(np.float32),
                "b2": np.zeros(k, np.float32)}
    return {"W": np.zeros((d, k), np.float32), "b": np.zeros(k, np.float32)}


def forward(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    if "W1" in params:
        return np.maximum(x @ params["W1"] + params["b1"], 0.0) @ params["W2"] + params["b2"]
    return x @ params["W"] + params["b"]


def _grads(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, w: np.ndarray, dropout: float,
           rng: np.random.Generator) -> tuple[float, dict[str, np.ndarray]]:
    n = len(y)
    if "W1" in params:
        pre = x @ params["W1"] + params["b1"]
        h = np.maximum(pre, 0.0)
        if dropout > 0:
            mask = (rng.random(h.shape) >= dropout).astype(np.float32) / (1.0 - dropout)
            h = h * mask
        logits = h @ params["W2"] + params["b2"]
    else:
        logits = x @ params["W"] + params["b"]
    p = softmax(logits)
    loss = float(-(w * np.log(np.maximum(p[np.arange(n), y], 1e-12))).sum() / w.sum())
    d = p
    d[np.arange(n), y] -= 1.0
    d *= (w / w.sum())[:, None]
    if "W1" in params:
        g = {"W2": h.T @ d, "b2": d.sum(0)}
        dh = d @ params["W2"].T
        if dropout > 0:
            dh *= mask
        dh *= (pre > 0)
        g["W1"] = x.T @ dh
        g["b1"] = dh.sum(0)
    else:
        g = {"W": x.T @ d, "b": d.sum(0)}
    return loss, g


def train_head(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *, kind: str = "mlp",
               hidden: int = 256, dropout: float = 0.3, lr: float = 1e-3, weight_decay: float = 1e-4,
               epochs: int = 40, batch_size: int = 256, patience: int = 5, seed: int = 0,
               class_weight: np.ndarray | None = None,
               log: Callable[[str], None] = print) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Adam on weighted cross-entropy with decoupled weight decay; returns (best params, history)."""
    rng = np.random.default_rng(seed)
    k = int(max(y.max(), y_val.max()) + 1)
    params = init_params(kind, x.shape[1], k, hidden, rng)
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    cw = np.ones(k, np.float32) if class_weight is None else class_weight.astype(np.float32)
    b1, b2, eps, t = 0.9, 0.999, 1e-8, 0
    best = (float("inf"), {n: p.copy() for n, p in params.items()}, 0)
    history = []
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(y))
        losses = []
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            loss, g = _grads(params, x[idx], y[idx], cw[y[idx]], dropout, rng)
            losses.append(loss)
            t += 1
            for n in params:
                m[n] = b1 * m[n] + (1 - b1) * g[n]
                v[n] = b2 * v[n] + (1 - b2) * g[n] * g[n]
                mhat = m[n] / (1 - b1 ** t)
                vhat = v[n] / (1 - b2 ** t)
                decay = weight_decay * params[n] if n.startswith("W") else 0.0
                params[n] -= (lr * (mhat / (np.sqrt(vhat) + eps) + decay)).astype(np.float32)
        val_logits = forward(params, x_val)
        val_loss = nll(val_logits, y_val)
        val_acc = float((val_logits.argmax(1) == y_val).mean())
        history.append({"epoch": epoch, "train_loss": round(float(np.mean(losses)), 4),
                        "val_loss": round(val_loss, 4), "val_acc": round(val_acc, 4)})
        log(f"  [{kind}] epoch {epoch:2d} train {np.mean(losses):.4f}  val {val_loss:.4f}  acc {val_acc:.4f}"
            f"  ({time.perf_counter() - started:.0f}s)")
        if val_loss < best[0] - 1e-4:
            best = (val_loss, {n: p.copy() for n, p in params.items()}, epoch)
        elif epoch - best[2] >= patience:
            break
    return best[1], {"best_epoch": best[2], "best_val_loss": round(best[0], 4), "epochs": history}


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T minimising the NLL of softmax(logits / T) (a 1-d search)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(5.0), 121))
    losses = [nll(logits / t, y) for t in grid]
    best = float(grid[int(np.argmin(losses))])
    # refine around the grid optimum
    fine = np.linspace(best * 0.95, best * 1.05, 41)
    return float(fine[int(np.argmin([nll(logits / t, y) for t in fine]))])


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    conf = probs.max(1)
    correct = (probs.argmax(1) == y).astype(np.float64)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(ece)
