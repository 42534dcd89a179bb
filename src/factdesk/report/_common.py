"""Helpers shared by the renderers: labels, safe links, claim numbering.

Everything here reads the JSON report dict defensively (``.get`` with
defaults), because a stored report may come from an older version or may
have been edited by hand.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

LABEL_TEXT = {
    "supported": "supported",
    "refuted": "refuted",
    "not_enough_evidence": "not enough evidence",
    "conflicting": "conflicting",
    None: "unchecked",
}
SUMMARY_ORDER = ("supported", "refuted", "conflicting", "not_enough_evidence", "unchecked")

_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def text(value: Any) -> str:
    """A string for display; ``None`` becomes empty."""
    return "" if value is None else str(value)


def one_line(value: Any) -> str:
    """Whitespace (newlines included) collapsed to single spaces."""
    return " ".join(text(value).split())


def trim(value: Any, limit: int = 280) -> str:
    """One line, at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    s = one_line(value)
    if len(s) <= limit:
        return s
    cut = s[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def safe_http_url(value: Any) -> str | None:
    """The URL itself when it is a plain absolute http(s) URL, else ``None``.

    Rejects every other scheme (``javascript:``, ``data:``, ``file:``...),
    anything with whitespace or control characters (browsers strip those
    and could then see another scheme) and URLs without a host.
    """
    if not isinstance(value, str) or not value:
        return None
    if _CONTROL.search(value):
        return None
    lowered = value.lower()
    if not (lowered.startswith("http://") or lowered.startswith("https://")):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def label_of(claim: dict[str, Any]) -> str | None:
    """The claim's verdict label, or ``None`` when unchecked (or unknown)."""
    verdict = claim.get("verdict")
    if not isinstance(verdict, dict):
        return None
    label = verdict.get("label")
    return label if label in LABEL_TEXT else None


def label_text(label: str | None) -> str:
    return LABEL_TEXT.get(label, "unchecked")


def confidence_of(claim: dict[str, Any]) -> float | None:
    verdict = claim.get("verdict")
    if not isinstance(verdict, dict):
        return None
    try:
        c = float(verdict.get("confidence"))
    except (TypeError, ValueError):
        return None
    if c != c:  # NaN
        return None
    return max(0.0, min(1.0, c))


def percent(value: float) -> str:
    return f"{round(value * 100):d}%"


def claims_of(d: dict[str, Any]) -> list[dict[str, Any]]:
    claims = d.get("claims") or []
    return [c for c in claims if isinstance(c, dict)]


def claim_numbers(claims: list[dict[str, Any]]) -> dict[str, int]:
    """Claim id -> its 1-based number in the report (first one wins on duplicate ids)."""
    numbers: dict[str, int] = {}
    for i, c in enumerate(claims, 1):
        cid = text(c.get("id"))
        if cid and cid not in numbers:
            numbers[cid] = i
    return numbers


def summary_of(d: dict[str, Any]) -> dict[str, int]:
    """The report's summary, recomputed from the claims when it is missing."""
    s = d.get("summary")
    left_out = s.get("left_out") if isinstance(s, dict) else None
    left_out = left_out if isinstance(left_out, int) and not isinstance(left_out, bool) and left_out > 0 else 0
    if isinstance(s, dict) and all(isinstance(s.get(k), int) for k in SUMMARY_ORDER):
        return {"claims": int(s.get("claims", 0) or 0), **{k: int(s[k]) for k in SUMMARY_ORDER}, "left_out": left_out}
    claims = claims_of(d)
    out = {"claims": len(claims), **{k: 0 for k in SUMMARY_ORDER}, "left_out": left_out}
    for c in claims:
        out[label_of(c) or "unchecked"] += 1
    return out


def left_out_note(s: dict[str, int]) -> str:
    """What the ``max_claims`` cap kept out of a report (plain text; empty when nothing was)."""
    n = s.get("left_out", 0)
    if not n:
        return ""
    return (f"{n} more check-worthy claim{'s' if n != 1 else ''} left out by the max_claims cap: raise it with "
            "--max-claims N (0 = no cap) or max_claims in factdesk.toml")


def kind_phrase(claim: dict[str, Any], numbers: dict[str, int]) -> str:
    """E.g. ``rebutted — attributed to Jane Doe`` or ``rebuttal of claim 3`` (plain text)."""
    kind = text(claim.get("kind")) or "assertion"
    parts = [kind]
    who = one_line(claim.get("attributed_to"))
    if who:
        parts.append(f"attributed to {who}")
    target = text(claim.get("responds_to"))
    if target:
        ref = f"claim {numbers[target]}" if target in numbers else f"claim {target}"
        if kind == "rebuttal":
            parts[0] = f"rebuttal of {ref}"
        else:
            parts.append(f"responds to {ref}")
    return " — ".join(parts)


def iso_day(value: Any) -> str | None:
    """The ``YYYY-MM-DD`` prefix of a date or timestamp string, if it has one."""
    s = text(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", s):
        return s[:10]
    return None


QUOTE_STATUS_TEXT = {
    "verbatim": "verbatim",
    "close": "close paraphrase",
    "altered": "altered",
    "not_found": "not found in the sources",
}


def fraction(value: Any) -> float | None:
    """A number clamped to 0..1, or ``None`` when it is not a finite number."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if x != x or x in (float("inf"), float("-inf")):
        return None
    return max(0.0, min(1.0, x))


def edit_phrase(edit: dict[str, Any]) -> str:
    """One quote edit as plain text, e.g. ``source “rose” → quote “fell”`` (not escaped)."""
    op = text(edit.get("op"))
    quote, source = one_line(edit.get("quote")), one_line(edit.get("source"))
    if op == "insert":
        return f"added in the quote: “{quote}”"
    if op == "delete":
        return f"dropped from the source: “{source}”"
    return f"changed: source “{source}” → quote “{quote}”"


def group_omitted(
    facts: list[dict[str, Any]], numbers: dict[str, int]
) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Omitted facts grouped by related claim: the main subject (``None``) first, then claims in report order.

    Facts keep their order inside a group; a fact naming a claim id that is not in the report
    keeps that id as its own group, after the known claims.
    """
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for f in facts:
        cid = text(f.get("related_claim_id")) or None
        groups.setdefault(cid, []).append(f)

    def order(cid: str | None) -> tuple[int, int, str]:
        if cid is None:
            return (0, 0, "")
        if cid in numbers:
            return (1, numbers[cid], "")
        return (2, 0, cid)

    return [(cid, groups[cid]) for cid in sorted(groups, key=order)]
