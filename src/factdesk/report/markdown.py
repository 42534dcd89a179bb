"""The report as Markdown, for the terminal (and anywhere Markdown is read).

Layout: a header with the article's metadata, a summary line with the count
per verdict label, then one section per claim (verdict in capitals with its
confidence, kind and attribution, the claim and its standalone form, the
explanation, the evidence as a short list) and the timeline as a table.

Article text, titles, evidence and explanations are untrusted: every such
string is put on one line and escaped (:func:`escape`) so it cannot open a
heading, a list, a code span, a link, a table cell or raw HTML.
"""

from __future__ import annotations

import re
from typing import Any

from factdesk.report._common import (
    SUMMARY_ORDER,
    claim_numbers,
    claims_of,
    confidence_of,
    kind_phrase,
    label_of,
    label_text,
    one_line,
    percent,
    safe_http_url,
    summary_of,
    text,
    trim,
)

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_SPECIAL_HASH = re.compile(r"([\\`*_\[\]|~#])")
_ENTITY = re.compile(r"&(#?[A-Za-z0-9]+;)")
_BLOCK_START = re.compile(r"^(#|>|-|\+|=|\d+[.)])")


def escape(value: Any, *, hashes: bool = False, block: bool = True) -> str:
    """Untrusted text as one line of inert Markdown.

    Backslash-escapes ``\\ ` * _ [ ] | ~``, turns ``<`` into ``&lt;`` (no raw
    HTML), neutralises entity references and escapes a leading block marker
    (``#``, ``>``, ``-``, ``+``, ``=``, ``1.``).  ``hashes=True`` escapes
    every ``#`` (for heading text, where a trailing run would be dropped);
    ``block=False`` leaves a leading marker alone, for text that never starts
    a line (dates, versions).
    """
    s = one_line(value)
    s = (_SPECIAL_HASH if hashes else _SPECIAL).sub(r"\\\1", s)
    s = _ENTITY.sub(r"&amp;\1", s)
    s = s.replace("<", "&lt;")
    m = _BLOCK_START.match(s) if block else None
    if m:
        s = "\\" + s if not m.group(1)[0].isdigit() else s[: len(m.group(1)) - 1] + "\\" + s[len(m.group(1)) - 1 :]
    return s


def escape_heading(value: Any) -> str:
    """Like :func:`escape`, and every ``#`` escaped (a trailing run would close the heading)."""
    return escape(value, hashes=True)


def link(url: Any) -> str:
    """An autolink for a plain http(s) URL; anything else as escaped text."""
    safe = safe_http_url(url)
    if safe is None:
        return escape(url)
    for ch, enc in (("<", "%3C"), (">", "%3E"), ("`", "%60")):
        safe = safe.replace(ch, enc)
    return f"<{safe}>"


def _summary_line(d: dict[str, Any]) -> str:
    s = summary_of(d)
    n = s["claims"]
    parts = [f"{s[k]} {label_text(k if k != 'unchecked' else None)}" for k in SUMMARY_ORDER if s[k]]
    head = f"**{n} claim{'s' if n != 1 else ''}**"
    return head + (": " + " · ".join(parts) if parts else "")


def _evidence_lines(ev: dict[str, Any], decisive: set[str]) -> list[str]:
    stance = text(ev.get("stance")) or "neutral"
    bits = [f"**{escape(stance)}**"]
    try:
        bits[0] += f" ({percent(max(0.0, min(1.0, float(ev.get('stance_probability')))))})"
    except (TypeError, ValueError):
        pass
    doc = escape(ev.get("document") or ev.get("url") or ev.get("document_id") or "unknown document")
    bits.append(doc)
    if ev.get("published"):
        bits.append(escape(ev.get("published"), block=False))
    flags = []
    if ev.get("after_claim_date"):
        flags.append("⚠ published after the claim")
    if ev.get("irrelevant"):
        flags.append("marked irrelevant")
    if text(ev.get("passage_id")) in decisive:
        flags.append("decisive")
    line = "- " + " — ".join(bits)
    if flags:
        line += " — " + ", ".join(f"*{f}*" for f in flags)
    if ev.get("url"):
        line += " — " + link(ev.get("url"))
    lines = [line]
    quote = trim(ev.get("text"), 240)
    if quote:
        lines.append(f"  > “{escape(quote)}”")
    return lines


def _claim_section(i: int, claim: dict[str, Any], numbers: dict[str, int]) -> list[str]:
    label = label_of(claim)
    conf = confidence_of(claim)
    title = f"### {i}. {label_text(label).upper()}"
    if conf is not None:
        title += f" ({percent(conf)})"
    lines = [title, "", f"*{escape(kind_phrase(claim, numbers))}*", ""]
    claim_text = one_line(claim.get("text"))
    lines.append(f"> {escape(claim_text)}")
    standalone = one_line(claim.get("standalone"))
    if standalone and standalone != claim_text:
        lines += ["", f"Standalone: {escape(standalone)}"]
    dates = [escape(x, block=False) for x in claim.get("dates") or []]
    if dates:
        lines += ["", "Dates: " + ", ".join(dates)]
    verdict = claim.get("verdict")
    if isinstance(verdict, dict) and one_line(verdict.get("explanation")):
        lines += ["", escape(verdict.get("explanation"))]
    decisive = {text(x) for x in (verdict or {}).get("evidence_ids") or []} if isinstance(verdict, dict) else set()
    evidence = [e for e in claim.get("evidence") or [] if isinstance(e, dict)]
    if evidence:
        lines += ["", "Evidence:", ""]
        for ev in evidence:
            lines += _evidence_lines(ev, decisive)
    elif isinstance(verdict, dict):
        lines += ["", "*No evidence found in the corpus.*"]
    lines.append("")
    return lines


def _cell(value: Any) -> str:
    return escape(value) or " "


def render_markdown(d: dict[str, Any]) -> str:
    """The report dict (see :func:`factdesk.report.report_to_dict`) as Markdown text."""
    article = d.get("article") if isinstance(d.get("article"), dict) else {}
    claims = claims_of(d)
    numbers = claim_numbers(claims)

    title = one_line(article.get("title")) or one_line(article.get("url")) or "Untitled article"
    out = [f"# Fact-check: {escape_heading(title)}", ""]
    meta = []
    if article.get("author"):
        meta.append("by " + escape(article["author"]))
    if article.get("published"):
        meta.append(escape(article["published"], block=False))
    if article.get("source"):
        meta.append(escape(article["source"]))
    if article.get("url"):
        meta.append(link(article["url"]))
    if meta:
        out += [" · ".join(meta), ""]
    info = [f"report {escape(d.get('id'))}"]
    if d.get("verifier"):
        info.append(f"verifier {escape(d['verifier'])}")
    if d.get("created"):
        info.append(f"created {escape(d['created'])}")
    if d.get("factdesk_version"):
        info.append(f"factdesk {escape(d['factdesk_version'], block=False)}")
    out += ["*" + " · ".join(info) + "*", "", _summary_line(d), ""]

    if claims:
        out += ["## Claims", ""]
        for i, claim in enumerate(claims, 1):
            out += _claim_section(i, claim, numbers)
    else:
        out += ["No check-worthy claims were found.", ""]

    events = [e for e in d.get("timeline") or [] if isinstance(e, dict)]
    if events:
        out += ["## Timeline", "", "| Date | Event | Claim |", "| --- | --- | --- |"]
        for ev in events:
            cid = text(ev.get("claim_id"))
            ref = str(numbers[cid]) if cid in numbers else (escape(cid) if cid else "")
            out.append(f"| {escape(ev.get('date'), block=False) or ' '} | {_cell(trim(ev.get('text'), 200))} | {ref or ' '} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
