"""The JSON report: the one contract every renderer reads.

A :class:`~factdesk.types.Report` becomes a plain dict of strings, numbers,
lists and ``None`` (see ``docs/report-schema.json``).  The Markdown, HTML and
ClaimReview renderers work from this dict only, so a report stored as JSON can
be re-rendered later without the objects or the models that made it.

Normalisation done here, so the renderers can trust the shape:

* floats are rounded to 4 places; non-finite numbers become ``0.0``;
  confidences and stance probabilities are clamped to ``0..1``;
* ``published`` dates are ISO dates (``YYYY-MM-DD``; a timestamp is cut to
  its date) or ``None`` when missing or unreadable;
* claim and timeline dates keep ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``;
  a claim date or timeline event in any other form is dropped.

Optional context, passed by the pipeline when it has it (see
:func:`report_to_dict`): per claim a ``quote`` (provenance of a quoted or
rebutted claim, from :mod:`factdesk.context.quotes`) and ``matches`` (earlier
fact-checks of the same claim), and at the top level ``omitted`` (relevant
facts from the corpus that the article leaves out, from
:mod:`factdesk.context.omitted`).  Absent, they are ``null``, ``[]`` and ``[]``.
Each may be given as a dataclass, an object with ``to_dict()`` or a dict.

When an LLM took part (:mod:`factdesk.llm`), the report has a top-level ``llm`` object (model,
stages, prompt versions, per-stage usage, fallbacks) and each claim an ``llm`` object (its
questions, the LLM verdict, the built-in verifier's verdict beside it, a disagreement flag,
fallbacks).  Without an LLM neither key is present: such a report is the same as before.

Example::

    d = report_to_dict(report)
    json.dumps(d)            # always serialisable
    render_html(d)           # from factdesk.report.html
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timezone
from typing import Any

from factdesk.types import (
    Claim,
    ClaimSet,
    Document,
    Evidence,
    Report,
    TimelineEvent,
    Verdict,
    content_id,
)

LABELS = ("supported", "refuted", "not_enough_evidence", "conflicting")
STANCES = ("supports", "refutes", "neutral")

_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _version() -> str:
    try:
        from factdesk import __version__

        return str(__version__)
    except Exception:  # pragma: no cover - the package always has one
        return "unknown"


def _num(value: Any, *, lo: float | None = None, hi: float | None = None) -> float:
    """A JSON-safe float rounded to 4 places, optionally clamped."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = 0.0
    if not math.isfinite(x):
        x = 0.0
    if lo is not None:
        x = max(lo, x)
    if hi is not None:
        x = min(hi, x)
    return round(x, 4)


def _enum_value(value: Any) -> str:
    return str(getattr(value, "value", value))


def iso_date(value: Any) -> str | None:
    """``YYYY-MM-DD`` from a date, datetime or ISO-ish string; ``None`` if unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    m = _FULL_DATE.match(str(value).strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def partial_date(value: Any) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a timestamp is cut to its date."""
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return iso_date(value)
    text = str(value).strip()
    full = iso_date(text)
    if full:
        return full
    if _PARTIAL_DATE.match(text):
        if len(text) == 7 and not 1 <= int(text[5:7]) <= 12:
            return None
        return text
    return None


def _evidence_to_dict(ev: Evidence) -> dict[str, Any]:
    p = ev.passage
    return {
        "passage_id": p.id,
        "document_id": p.document_id,
        "document": p.title or p.url or p.document_id,
        "url": p.url or None,
        "source": p.source or None,
        "published": iso_date(p.published),
        "text": p.text,
        "start": p.start,
        "end": p.end,
        "stance": _enum_value(ev.stance),
        "stance_probability": _num(ev.stance_probability, lo=0.0, hi=1.0),
        "probabilities": {str(k): _num(v, lo=0.0, hi=1.0) for k, v in (ev.probabilities or {}).items()},
        "score": _num(ev.score),
        "after_claim_date": bool(ev.after_claim_date),
        "irrelevant": bool(ev.irrelevant),
        "key_sentence": ev.key_sentence or None,
        **({"provenance": provenance_to_dict(ev.provenance)} if ev.provenance else {}),
    }


_PROVENANCE_KEYS = ("source", "kind", "query", "url", "final_url", "title", "fetched_at", "content_hash",
                    "snapshot_id", "published", "search_rank")


def provenance_to_dict(value: Any) -> dict[str, Any]:
    """Where outside evidence came from (a web search, a ZIM file): the known keys, as plain JSON values."""
    d = value if isinstance(value, dict) else {}
    out: dict[str, Any] = {}
    for key in _PROVENANCE_KEYS:
        v = d.get(key)
        if v is None or v == "":
            continue
        out[key] = int(v) if key == "search_rank" and isinstance(v, (int, float)) else str(v)
    for key, v in d.items():  # a plugin's own keys travel too, when they are plain values
        if key not in out and key not in _PROVENANCE_KEYS and isinstance(v, (str, int, float, bool)):
            out[str(key)] = v
    return out


def sources_to_dict(value: Any) -> dict[str, Any]:
    """The report's ``sources`` object: what each outside source did, what was skipped and why."""
    d = value if isinstance(value, dict) else {}
    factchecks = d.get("factchecks") if isinstance(d.get("factchecks"), dict) else {}
    return {
        "used": [dict(u) for u in d.get("used") or [] if isinstance(u, dict)],
        "skipped": [dict(x) for x in d.get("skipped") or [] if isinstance(x, dict)],
        "page_errors": [dict(x) for x in d.get("page_errors") or [] if isinstance(x, dict)],
        "factchecks": {str(k): [dict(f) for f in v if isinstance(f, dict)] for k, v in factchecks.items()
                       if isinstance(v, list)},
    }


def _verdict_to_dict(v: Verdict | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "label": _enum_value(v.label),
        "confidence": _num(v.confidence, lo=0.0, hi=1.0),
        "explanation": v.explanation or "",
        "evidence_ids": [str(i) for i in v.evidence_ids],
    }


QUOTE_STATUSES = ("verbatim", "close", "altered", "not_found")
DIFF_OPS = ("insert", "delete", "replace")


def _as_dict(value: Any) -> dict[str, Any] | None:
    """A plain dict from a dict, a dataclass or an object with ``to_dict()``; else ``None``."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        out = to_dict()
        return out if isinstance(out, dict) else None
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return None


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _opt_int(value: Any) -> int | None:
    try:
        return None if value is None else max(0, int(value))
    except (TypeError, ValueError):
        return None


def quote_to_dict(quote: Any) -> dict[str, Any] | None:
    """The report's ``quote`` object for a :class:`~factdesk.context.quotes.QuoteCheck` (or dict)."""
    q = _as_dict(quote)
    if q is None:
        return None
    status = _enum_value(q.get("status"))
    if status not in QUOTE_STATUSES:
        status = "not_found"
    diff = []
    for op in q.get("diff") or []:
        op = _as_dict(op)
        if op is None or _enum_value(op.get("op")) not in DIFF_OPS:
            continue
        diff.append({"op": _enum_value(op.get("op")), "quote": str(op.get("quote") or ""),
                     "source": str(op.get("source") or "")})
    return {
        "status": status,
        "source_document": _opt_str(q.get("source_document")),
        "source_title": _opt_str(q.get("source_title")),
        "source_start": _opt_int(q.get("source_start")),
        "source_end": _opt_int(q.get("source_end")),
        "source_text": _opt_str(q.get("source_text")),
        "similarity": _num(q.get("similarity"), lo=0.0, hi=1.0),
        "diff": diff,
    }


def match_to_dict(match: Any) -> dict[str, Any] | None:
    """One earlier fact-check of the claim: ``claim, rating, publisher, date, url, score``."""
    m = _as_dict(match)
    if m is None:
        return None
    return {
        "claim": str(m.get("claim") or ""),
        "rating": _opt_str(m.get("rating")),
        "publisher": _opt_str(m.get("publisher")),
        "date": iso_date(m.get("date")),
        "url": _opt_str(m.get("url")),
        "score": _num(m.get("score")),
    }


def omitted_to_dict(fact: Any) -> dict[str, Any] | None:
    """One omitted-context entry (see :class:`~factdesk.context.omitted.OmittedFact`)."""
    f = _as_dict(fact)
    if f is None:
        return None
    stance = _enum_value(f.get("stance"))
    return {
        "passage_id": str(f.get("passage_id") or ""),
        "document": str(f.get("document") or f.get("url") or f.get("document_id") or ""),
        "document_id": str(f.get("document_id") or ""),
        "url": _opt_str(f.get("url")),
        "published": iso_date(f.get("published")),
        "text": str(f.get("text") or ""),
        "related_claim_id": _opt_str(f.get("related_claim_id")),
        "stance": stance if stance in STANCES else "neutral",
        "score": _num(f.get("score")),
    }


LLM_STAGES = ("decompose", "questions", "verdict")
_USAGE_KEYS = ("calls", "cached", "prompt_tokens", "completion_tokens")


def _plain_verdict(v: Any) -> dict[str, Any] | None:
    """A verdict-shaped dict (label, confidence, explanation, evidence_ids) from a dict; None if unusable."""
    v = _as_dict(v)
    if v is None or _enum_value(v.get("label")) not in LABELS:
        return None
    return {"label": _enum_value(v.get("label")), "confidence": _num(v.get("confidence"), lo=0.0, hi=1.0),
            "explanation": str(v.get("explanation") or ""),
            "evidence_ids": [str(i) for i in v.get("evidence_ids") or []]}


def _fallbacks(items: Any, *, with_claim: bool) -> list[dict[str, Any]]:
    out = []
    for f in items or []:
        if not isinstance(f, dict):
            continue
        entry: dict[str, Any] = {"stage": str(f.get("stage") or ""), "code": str(f.get("code") or "llm_failed"),
                                 "reason": str(f.get("reason") or "")}
        if with_claim:
            entry["claim_id"] = _opt_str(f.get("claim_id"))
        out.append(entry)
    return out


def llm_claim_to_dict(info: Any) -> dict[str, Any]:
    """A claim's ``llm`` object (see :class:`factdesk.llm.record.ClaimLLM`); an empty one from ``None``."""
    d = _as_dict(info) or {}
    raw = _as_dict(d.get("verdict"))
    verdict = None
    if raw is not None and _enum_value(raw.get("label")) in LABELS:
        verdict = {"label": _enum_value(raw.get("label")), "confidence": _num(raw.get("confidence"), lo=0.0, hi=1.0),
                   "justification": str(raw.get("justification") or ""),
                   "passage_ids": [str(i) for i in raw.get("passage_ids") or []],
                   "unknown_ids": [str(i) for i in raw.get("unknown_ids") or []]}
    builtin = _plain_verdict(d.get("builtin_verdict"))
    return {
        "decomposed_from": _opt_str(d.get("decomposed_from")),
        "questions": [str(q) for q in d.get("questions") or [] if str(q).strip()],
        "verdict": verdict,
        "builtin_verdict": builtin,
        "verdict_source": "llm" if verdict is not None else "builtin",
        "disagreement": bool(verdict and builtin and verdict["label"] != builtin["label"]),
        "fallbacks": _fallbacks(d.get("fallbacks"), with_claim=False),
    }


def llm_to_dict(info: Any, claims: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The report's top-level ``llm`` object (see :meth:`factdesk.llm.record.LLMRecord.to_report`)."""
    d = _as_dict(info) or {}

    def usage(u: Any) -> dict[str, Any]:
        u = u if isinstance(u, dict) else {}
        return {**{k: int(_num(u.get(k), lo=0.0)) for k in _USAGE_KEYS}, "seconds": _num(u.get("seconds"), lo=0.0)}

    stage_usage = {str(k): usage(v) for k, v in (d.get("usage") or {}).items()} \
        if isinstance(d.get("usage"), dict) else {}
    total = usage(d.get("total")) if isinstance(d.get("total"), dict) else usage(
        {k: sum(u[k] for u in stage_usage.values()) for k in (*_USAGE_KEYS, "seconds")})
    prompts = d.get("prompts") if isinstance(d.get("prompts"), dict) else {}
    return {
        "model": str(d.get("model") or ""),
        "stages": [s for s in (str(x) for x in d.get("stages") or []) if s in LLM_STAGES],
        "prompts": {str(k): str(v) for k, v in prompts.items()},
        "usage": stage_usage,
        "total": total,
        "fallbacks": _fallbacks(d.get("fallbacks"), with_claim=True),
        "disagreements": sum(1 for c in claims or [] if (c.get("llm") or {}).get("disagreement")),
    }


def _claim_to_dict(
    claim: Claim, evidence: list[Evidence] | None = None, verdict: Verdict | None = None, *,
    quote: Any = None, matches: Any = None,
) -> dict[str, Any]:
    dates = [d for d in (partial_date(x) for x in claim.dates) if d]
    return {
        "id": claim.id,
        "text": claim.text,
        "start": int(claim.start),
        "end": int(claim.end),
        "checkworthiness": _num(claim.checkworthiness),
        "kind": _enum_value(claim.kind),
        "attributed_to": claim.attributed_to or None,
        "responds_to": claim.responds_to or None,
        "standalone": claim.standalone or claim.text,
        "checked_as": claim.to_check,
        "dates": dates,
        "sentence_index": int(claim.sentence_index),
        "evidence": [_evidence_to_dict(e) for e in (evidence or [])],
        "verdict": _verdict_to_dict(verdict),
        "quote": quote_to_dict(quote),
        "matches": [m for m in (match_to_dict(x) for x in (matches or [])) if m is not None],
    }


def _article_to_dict(article: Document) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title or None,
        "author": article.author or None,
        "published": iso_date(article.published),
        "url": article.url or None,
        "source": article.source or None,
        "path": article.path or None,
        "kind": article.kind,
        "text": article.text,
    }


def _timeline_to_list(events: list[TimelineEvent]) -> list[dict[str, Any]]:
    out = []
    for ev in events:
        when = partial_date(ev.date)
        if when is None:
            continue  # a timeline entry without a readable date cannot be placed
        out.append({"date": when, "text": ev.text, "claim_id": ev.claim_id or None})
    return out


def summarize(claims: list[dict[str, Any]], *, left_out: int = 0) -> dict[str, int]:
    """Counts per verdict label over claim dicts; claims without a verdict are ``unchecked``.

    ``left_out`` counts the check-worthy claims the ``max_claims`` cap kept out of the report."""
    summary = {"claims": len(claims), **{label: 0 for label in LABELS}, "unchecked": 0, "left_out": max(0, left_out)}
    for c in claims:
        verdict = c.get("verdict")
        label = verdict.get("label") if isinstance(verdict, dict) else None
        if label in LABELS:
            summary[label] += 1
        else:
            summary["unchecked"] += 1
    return summary


def report_to_dict(report: Report, *, quotes: dict[str, Any] | None = None,
                   matches: dict[str, list[Any]] | None = None,
                   omitted: list[Any] | None = None, llm: Any = None,
                   llm_claims: dict[str, Any] | None = None, sources: Any = None) -> dict[str, Any]:
    """The full JSON report for a checked article (see ``docs/report-schema.json``).

    ``quotes`` maps claim ids to quote checks (:func:`factdesk.context.quotes.provenance_for_claims`),
    ``matches`` maps claim ids to lists of earlier fact-checks, ``omitted`` lists omitted-context
    facts (:func:`factdesk.context.omitted.find_omitted`).  All optional: a claim without an entry
    gets ``quote: null`` and ``matches: []``; no ``omitted`` gives ``omitted: []``.

    ``llm`` (the LLM stages' record, :meth:`factdesk.llm.record.LLMRecord.to_report`) adds the
    top-level ``llm`` object, and ``llm_claims`` (claim id → :class:`~factdesk.llm.record.ClaimLLM`
    dict) each claim's ``llm`` object; without ``llm`` neither key appears.

    ``sources`` (:meth:`factdesk.sources.run.SourcesRun.to_report`) adds the top-level ``sources`` object
    when outside evidence sources ran; each evidence item from one carries ``provenance``.
    """
    quotes = quotes or {}
    matches = matches or {}
    claims = [_claim_to_dict(cc.claim, cc.evidence, cc.verdict, quote=quotes.get(cc.claim.id),
                             matches=matches.get(cc.claim.id)) for cc in report.claims]
    if llm is not None:
        for c in claims:
            c["llm"] = llm_claim_to_dict((llm_claims or {}).get(c["id"]))
    out = {
        "id": report.id,
        "created": report.created or "",
        "verifier": report.verifier or "",
        "factdesk_version": _version(),
        "article": _article_to_dict(report.article),
        "claims": claims,
        "timeline": _timeline_to_list(report.timeline),
        "summary": summarize(claims, left_out=report.left_out),
        "omitted": [f for f in (omitted_to_dict(x) for x in (omitted or [])) if f is not None],
    }
    if llm is not None:
        out["llm"] = llm_to_dict(llm, claims)
    if sources is not None:
        out["sources"] = sources_to_dict(sources)
    return out


def claims_to_dict(article: Document, claim_set: ClaimSet, *, created: str | None = None) -> dict[str, Any]:
    """The report shape for the claims-only command: no evidence, no verdicts.

    ``created`` defaults to the current UTC time; pass one to make the output
    reproducible.
    """
    when = created or datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    claims = [_claim_to_dict(c) for c in claim_set.claims]
    return {
        "id": content_id(article.id, when, "claims-only", prefix="r", length=12),
        "created": when,
        "verifier": "",
        "factdesk_version": _version(),
        "article": _article_to_dict(article),
        "claims": claims,
        "timeline": _timeline_to_list(claim_set.timeline),
        "summary": summarize(claims, left_out=claim_set.left_out),
        "omitted": [],
    }
