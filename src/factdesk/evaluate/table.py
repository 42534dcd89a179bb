"""Render an evaluation result dict as a plain aligned text table.

Example::

    >>> print(format_table({"task": "verify", "n": 2, "label_accuracy": 0.5,
    ...                     "labels": ["supported", "refuted"],
    ...                     "confusion": {"supported": {"supported": 1, "refuted": 0},
    ...                                   "refuted": {"supported": 1, "refuted": 0}}}))
    ... # doctest: +NORMALIZE_WHITESPACE
    evaluation: verify
    <BLANKLINE>
    metric          value
    --------------  ------
    n               2
    label_accuracy  0.5000
    <BLANKLINE>
    confusion (rows: gold, columns: predicted)
    gold \\ pred  supported  refuted
    supported            1        0
    refuted              1        0
"""

from __future__ import annotations

from typing import Any

# Shown in the title line, not as metric rows.
_HEADER_KEYS = ("task", "data", "verifier", "scorer")
# Never shown as rows: structure, echoed inputs shown elsewhere, or notes appended below.
_SKIP_KEYS = {"labels", "confusion", "label_mapping", "best_threshold_note", "macro_f1_labels"}

_ROW_NAMES = {
    "best_f1": "best_f1 (threshold tuned on this data)",
    "best_threshold": "best_threshold (tuned on this data)",
}


def _value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:,.1f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return str(v)


def format_table(result: dict[str, Any]) -> str:
    """A readable ``metric | value`` table, then the confusion matrix and the label mapping."""
    title = f"evaluation: {result.get('task', '?')}"
    extras = [f"{k}={result[k]}" for k in _HEADER_KEYS[1:] if result.get(k)]
    lines = [title + ("  (" + "  ".join(extras) + ")" if extras else "")]

    rows = [(_ROW_NAMES.get(k, k), _value(v)) for k, v in result.items()
            if k not in _HEADER_KEYS and k not in _SKIP_KEYS and not isinstance(v, dict)]
    if "macro_f1_labels" in result:
        rows = [(("macro_f1 (over gold labels)" if name == "macro_f1" else name), val) for name, val in rows]
    if rows:
        w1 = max(len("metric"), *(len(r[0]) for r in rows))
        w2 = max(len("value"), *(len(r[1]) for r in rows))
        lines += ["", f"{'metric':<{w1}}  value", f"{'-' * w1}  {'-' * w2}"]
        lines += [f"{name:<{w1}}  {val}" for name, val in rows]

    confusion = result.get("confusion")
    if isinstance(confusion, dict) and confusion:
        labels = list(result.get("labels") or confusion)
        cols = [lab for lab in labels if any(lab in row for row in confusion.values())] or labels
        corner = "gold \\ pred"
        w0 = max(len(corner), *(len(str(g)) for g in confusion))
        widths = [max(len(str(c)), *(len(str(row.get(c, 0))) for row in confusion.values())) for c in cols]
        lines += ["", "confusion (rows: gold, columns: predicted)",
                  f"{corner:<{w0}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cols, widths))]
        for g in [lab for lab in labels if lab in confusion] + [g for g in confusion if g not in labels]:
            row = confusion[g]
            lines.append(f"{g:<{w0}}  " + "  ".join(f"{row.get(c, 0):>{w}}" for c, w in zip(cols, widths)))

    mapping = result.get("label_mapping")
    if isinstance(mapping, dict) and mapping:
        lines += ["", "labels: " + ", ".join(f"{src} -> {dst}" for src, dst in mapping.items())]
    agg = result.get("aggregation")
    if isinstance(agg, dict):
        lines += ["", f"aggregation: {agg.get('source')} (stance threshold {agg.get('threshold')})"]
    if result.get("best_threshold_note"):
        lines += ["", f"note: best_threshold/best_f1 are {result['best_threshold_note']}"]
    llm = result.get("llm")
    if isinstance(llm, dict):
        lines += ["", f"LLM {llm.get('model')} beside the built-in verifier (same claims, same evidence)",
                  f"{'':<20}  {'built-in':>10}  {'LLM':>10}"]
        for name, ours, theirs in (("accuracy", result.get("label_accuracy"), llm.get("label_accuracy")),
                                   ("macro_f1", result.get("macro_f1"), llm.get("macro_f1")),
                                   ("seconds per claim", llm.get("builtin_seconds_per_claim"), llm.get("seconds_per_claim")),
                                   ("tokens per claim", 0, llm.get("tokens_per_claim"))):
            lines.append(f"{name:<20}  {_value(ours):>10}  {_value(theirs):>10}")
        lines.append(f"LLM answered {llm.get('answered')} of {llm.get('claims')} claims; "
                     f"{llm.get('fallbacks')} fell back to the built-in verdict"
                     + (f" ({_value(llm.get('fallback_codes'))})" if llm.get("fallback_codes") else ""))
    return "\n".join(lines)
