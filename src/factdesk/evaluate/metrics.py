"""Evaluation metrics as small pure functions over plain lists.

Nothing here knows about factdesk's types: labels are any hashable values
(strings in practice), rankings are lists of ids.  Every function returns
plain Python numbers or dicts, so results serialise to JSON as they are.

Conventions
-----------
* A ratio with a zero denominator is ``0.0`` (precision of a label never
  predicted, recall of a label never in the gold, F1 when both are 0).
* ``macro_f1`` averages the per-label F1 over the labels you pass; by
  default the labels present in the *gold* data (a label only ever predicted
  is already punished through the gold labels' precision).
* ``expected_calibration_error`` uses equal-width bins ``[i/B, (i+1)/B)``
  with the last bin closed at 1.0.
* ``map_at_k``: per query, ``AP@k = sum_{i<=k, rel(i)} P@i / min(|R|, k)``,
  so a perfect ranking scores 1.0 even when a query has more than k relevant
  items; queries with no relevant item score 0 (CheckThat! convention).

Example::

    >>> accuracy(["a", "b", "b"], ["a", "b", "a"])
    0.6666666666666666
    >>> round(macro_f1(["a", "a", "b"], ["a", "b", "b"]), 4)
    0.6667
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any


def _check_lengths(gold: Sequence[Any], pred: Sequence[Any]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold and predictions differ in length: {len(gold)} vs {len(pred)}")


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Share of positions where the prediction equals the gold label (0.0 for no items)."""
    _check_lengths(gold, pred)
    return _ratio(sum(1 for g, p in zip(gold, pred) if g == p), len(gold))


def ordered_labels(*label_lists: Iterable[Hashable], order: Sequence[Hashable] = ()) -> list[Hashable]:
    """Distinct labels of the lists: those named in ``order`` first (in that order), then the rest sorted."""
    seen: set[Hashable] = set()
    for labels in label_lists:
        seen.update(labels)
    first = [lab for lab in order if lab in seen]
    rest = sorted((lab for lab in seen if lab not in set(first)), key=str)
    return first + rest


def confusion_matrix(gold: Sequence[Hashable], pred: Sequence[Hashable],
                     labels: Sequence[Hashable] | None = None) -> dict[Hashable, dict[Hashable, int]]:
    """``matrix[gold_label][predicted_label] = count``, square over ``labels`` (zeros included).

    ``labels`` defaults to every label seen in gold or predictions, sorted.
    A pair whose gold or predicted label is not in ``labels`` raises ``ValueError``.
    """
    _check_lengths(gold, pred)
    labels = list(labels) if labels is not None else ordered_labels(gold, pred)
    matrix = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred):
        if g not in matrix or p not in matrix:
            raise ValueError(f"label {g if g not in matrix else p!r} is not among {labels}")
        matrix[g][p] += 1
    return matrix


def precision_recall_f1(gold: Sequence[Hashable], pred: Sequence[Hashable],
                        labels: Sequence[Hashable] | None = None) -> dict[Hashable, dict[str, float]]:
    """Per label: ``precision``, ``recall``, ``f1`` and ``support`` (gold count)."""
    _check_lengths(gold, pred)
    labels = list(labels) if labels is not None else ordered_labels(gold, pred)
    out: dict[Hashable, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        predicted = sum(1 for p in pred if p == lab)
        support = sum(1 for g in gold if g == lab)
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        out[lab] = {"precision": precision, "recall": recall,
                    "f1": _ratio(2 * precision * recall, precision + recall), "support": support}
    return out


def macro_f1(gold: Sequence[Hashable], pred: Sequence[Hashable],
             labels: Sequence[Hashable] | None = None) -> float:
    """Unweighted mean of the per-label F1 over ``labels`` (default: the labels present in the gold)."""
    labels = list(labels) if labels is not None else ordered_labels(gold)
    if not labels:
        return 0.0
    per = precision_recall_f1(gold, pred, labels)
    return sum(per[lab]["f1"] for lab in labels) / len(labels)


def binary_scores(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    """``precision``, ``recall``, ``f1`` of the positive class, and ``accuracy``, for booleans."""
    _check_lengths(gold, pred)
    tp = sum(1 for g, p in zip(gold, pred) if g and p)
    fp = sum(1 for g, p in zip(gold, pred) if not g and p)
    fn = sum(1 for g, p in zip(gold, pred) if g and not p)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"precision": precision, "recall": recall, "f1": _ratio(2 * precision * recall, precision + recall),
            "accuracy": accuracy(list(gold), list(pred))}


def best_threshold(gold: Sequence[bool], scores: Sequence[float]) -> tuple[float, float]:
    """The threshold (``score >= t`` is positive) among the observed scores that maximises F1.

    Returns ``(threshold, f1)``; ties go to the higher threshold.  With no
    positive gold item the F1 is 0 everywhere and the highest score is returned.
    """
    _check_lengths(gold, scores)
    if not scores:
        return 0.5, 0.0
    best_t, best_f = max(scores), -1.0
    for t in sorted(set(scores), reverse=True):
        f = binary_scores(gold, [s >= t for s in scores])["f1"]
        if f > best_f:
            best_t, best_f = t, f
    return float(best_t), best_f


def average_precision(gold: Sequence[bool], scores: Sequence[float]) -> float:
    """Average precision of ranking the items by score (descending; ties keep input order)."""
    _check_lengths(gold, scores)
    total = sum(1 for g in gold if g)
    if not total:
        return 0.0
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, acc = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if gold[i]:
            hits += 1
            acc += hits / rank
    return acc / total


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: ``sum_b |B_b|/n * |accuracy(B_b) - mean confidence(B_b)|`` over equal-width bins."""
    _check_lengths(confidences, correct)
    if bins < 1:
        raise ValueError("bins must be at least 1")
    n = len(confidences)
    if not n:
        return 0.0
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for c, ok in zip(confidences, correct):
        c = min(max(float(c), 0.0), 1.0)
        grouped[min(int(c * bins), bins - 1)].append((c, bool(ok)))
    ece = 0.0
    for members in grouped:
        if members:
            conf = sum(c for c, _ in members) / len(members)
            acc = sum(1 for _, ok in members if ok) / len(members)
            ece += len(members) / n * abs(acc - conf)
    return ece


def _as_sets(relevant: Sequence[Iterable[Hashable]]) -> list[set[Hashable]]:
    return [set(r) for r in relevant]


def average_precision_at_k(ranked: Sequence[Hashable], relevant: Iterable[Hashable], k: int) -> float:
    """AP@k of one ranking: precision at each relevant hit within the top k, over min(|relevant|, k)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    rel = set(relevant)
    if not rel:
        return 0.0
    hits, acc, seen = 0, 0.0, set()
    for rank, item in enumerate(ranked[:k], start=1):
        if item in rel and item not in seen:
            seen.add(item)
            hits += 1
            acc += hits / rank
    return acc / min(len(rel), k)


def map_at_k(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Iterable[Hashable]], k: int = 5) -> float:
    """Mean AP@k over queries (``ranked[i]`` is query i's ranking, ``relevant[i]`` its gold ids)."""
    _check_lengths(ranked, relevant)
    if not ranked:
        return 0.0
    rel = _as_sets(relevant)
    return sum(average_precision_at_k(r, g, k) for r, g in zip(ranked, rel)) / len(ranked)


def recall_at_k(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Iterable[Hashable]], k: int = 5) -> float:
    """Mean over queries with at least one relevant id of the share of those ids found in the top k."""
    _check_lengths(ranked, relevant)
    if k < 1:
        raise ValueError("k must be at least 1")
    scores = [len(g & set(r[:k])) / len(g) for r, g in zip(ranked, _as_sets(relevant)) if g]
    return sum(scores) / len(scores) if scores else 0.0


def mrr(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Iterable[Hashable]], k: int | None = None) -> float:
    """Mean reciprocal rank of the first relevant id (within the top k when given; 0 when absent)."""
    _check_lengths(ranked, relevant)
    if not ranked:
        return 0.0
    total = 0.0
    for r, g in zip(ranked, _as_sets(relevant)):
        for rank, item in enumerate(r[:k] if k else r, start=1):
            if item in g:
                total += 1 / rank
                break
    return total / len(ranked)


def classification_report(gold: Sequence[Hashable], pred: Sequence[Hashable], *,
                          order: Sequence[Hashable] = ()) -> dict[str, Any]:
    """The usual multi-class block: n, accuracy, macro-F1, per-label F1, confusion, labels.

    ``labels`` (rows/columns of the confusion and the ``f1_<label>`` keys) are
    the labels seen in gold or predictions, ``order`` first; ``macro_f1`` is
    over the gold labels, listed in ``macro_f1_labels``.
    """
    labels = ordered_labels(gold, pred, order=order)
    gold_labels = ordered_labels(gold, order=order)
    per = precision_recall_f1(gold, pred, labels)
    out: dict[str, Any] = {
        "n": len(gold),
        "label_accuracy": accuracy(gold, pred),
        "macro_f1": macro_f1(gold, pred, gold_labels),
        "macro_f1_labels": [str(lab) for lab in gold_labels],
    }
    for lab in labels:
        out[f"f1_{lab}"] = per[lab]["f1"]
    out["labels"] = [str(lab) for lab in labels]
    out["confusion"] = {str(g): {str(p): c for p, c in row.items()}
                        for g, row in confusion_matrix(gold, pred, labels).items()}
    return out
