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
    QUOTE_STATUS_TEXT,
    SUMMARY_ORDER,
    claim_numbers,
    claims_of,
    confidence_of,
    edit_phrase,
    fraction,
    group_omitted,
    kind_phrase,
    label_of,
    label_text,
    left_out_note,
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
    line = head + (": " + " · ".join(parts) if parts else "")
    note = left_out_note(s)
    return line + (f"\n\n*{escape(note, block=False)}*" if note else "")


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
    key = text(ev.get("key_sentence"))
    if key and key != text(ev.get("text")):
        lines.append(f"  > key sentence: “{escape(trim(key, 300))}”")
    prov = ev.get("provenance")
    if isinstance(prov, dict) and prov:
        lines.append("  " + provenance_line(prov))
    return lines


def provenance_line(prov: dict[str, Any]) -> str:
    """Where outside evidence came from: source, snapshot, fetch time, live URL."""
    bits = [f"from {escape(prov.get('source') or 'an outside source')}"]
    if prov.get("query"):
        bits.append(f"query “{escape(trim(prov.get('query'), 120))}”")
    if prov.get("snapshot_id"):
        bits.append(f"snapshot {escape(prov.get('snapshot_id'), block=False)}")
    if prov.get("fetched_at"):
        bits.append(f"fetched {escape(prov.get('fetched_at'), block=False)}")
    if prov.get("url"):
        bits.append("live " + link(prov.get("url")))
    return "*" + " · ".join(bits[:1]) + "*" + (" · " + " · ".join(bits[1:]) if len(bits) > 1 else "")


def _web_factcheck_lines(items: Any) -> list[str]:
    found = [f for f in items or [] if isinstance(f, dict)] if isinstance(items, list) else []
    if not found:
        return []
    lines = ["", "Earlier fact-checks found by web search (not used as evidence):", ""]
    for f in found[:10]:
        line = "- " + (escape(trim(f.get("title"), 160)) or "untitled")
        if f.get("published"):
            line += " — " + escape(f.get("published"), block=False)
        if f.get("url"):
            line += " — " + link(f.get("url"))
        lines.append(line)
    return lines


def _sources_section(d: dict[str, Any], numbers: dict[str, int]) -> list[str]:
    info = d.get("sources")
    if not isinstance(info, dict):
        return []
    out = ["## Evidence sources", "", "| Source | Kind | Queries | API calls | Cached | Pages fetched | Reused | Hits |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for u in info.get("used") or []:
        if isinstance(u, dict):
            cells = [_cell(u.get(k)) for k in ("name", "kind", "queries", "api_calls", "cached", "pages_fetched",
                                                "pages_reused", "hits")]
            out.append("| " + " | ".join(c or " " for c in cells) + " |")
    skipped = [x for x in info.get("skipped") or [] if isinstance(x, dict)]
    if skipped:
        out += ["", "Skipped (the check went on without them):", ""]
        for x in skipped[:50]:
            cid = text(x.get("claim_id"))
            where = f"claim {numbers[cid]}" if cid in numbers else "every claim"
            out.append(f"- {escape(x.get('source'))}, {where}: {escape(trim(x.get('reason'), 300))}")
    errors = [x for x in info.get("page_errors") or [] if isinstance(x, dict)]
    if errors:
        out += ["", "Result pages not used:", ""]
        for x in errors[:30]:
            out.append(f"- {link(x.get('url'))}: {escape(trim(x.get('reason'), 200))}")
    return out + [""]


def _claim_section(i: int, claim: dict[str, Any], numbers: dict[str, int], web_factchecks: Any = None) -> list[str]:
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
    checked_as = one_line(claim.get("checked_as"))
    if checked_as and checked_as not in (standalone, claim_text):
        lines += ["", f"Checked as: {escape(checked_as)}"]
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
    lines += _llm_lines(claim.get("llm"))
    lines += _quote_lines(claim.get("quote"))
    lines += _match_lines(claim.get("matches"))
    lines += _web_factcheck_lines(web_factchecks)
    lines.append("")
    return lines


def _llm_lines(info: Any) -> list[str]:
    """Who gave the verdict, the LLM's citations, the built-in verdict beside it, questions, fallbacks."""
    if not isinstance(info, dict):
        return []
    lines: list[str] = []
    verdict = info.get("verdict") if isinstance(info.get("verdict"), dict) else None
    builtin = info.get("builtin_verdict") if isinstance(info.get("builtin_verdict"), dict) else None
    if verdict is not None:
        ids = [escape(i, block=False) for i in verdict.get("passage_ids") or []]
        lines += ["", "Verdict by the LLM" + (" — cites " + ", ".join(ids) if ids else " — cites no passage")]
        if verdict.get("unknown_ids"):
            lines.append("(unknown passage ids dropped: " + escape(", ".join(map(str, verdict["unknown_ids"])), block=False) + ")")
    if builtin is not None:
        conf = fraction(builtin.get("confidence"))
        lines += ["", f"Built-in verifier: **{escape(label_text(builtin.get('label')))}**"
                  + (f" ({percent(conf)})" if conf is not None else "")
                  + (" — " + escape(builtin.get("explanation")) if verdict is not None and one_line(builtin.get("explanation")) else "")]
    if info.get("disagreement"):
        lines += ["", "**⚠ The LLM and the built-in verifier disagree: review this claim.**"]
    questions = [q for q in info.get("questions") or [] if one_line(q)]
    if questions:
        lines += ["", "Verification questions searched:", ""] + [f"- {escape(q)}" for q in questions]
    for f in info.get("fallbacks") or []:
        if isinstance(f, dict):
            lines += ["", f"*LLM {escape(f.get('stage'), block=False)} not used ({escape(f.get('code'), block=False)}):* "
                      + escape(trim(f.get("reason"), 200))]
    return lines


def _llm_section(d: dict[str, Any]) -> list[str]:
    """The model, prompt versions and tokens spent, per stage."""
    info = d.get("llm")
    if not isinstance(info, dict):
        return []
    usage = info.get("usage") if isinstance(info.get("usage"), dict) else {}
    prompts = info.get("prompts") if isinstance(info.get("prompts"), dict) else {}
    out = ["## LLM", "", f"Model: {escape(info.get('model'))} · disagreements with the built-in verifier: "
           f"{int(info.get('disagreements') or 0)}", "",
           "| Stage | Prompt | Calls | Cached | Prompt tokens | Completion tokens | Seconds |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    rows = [(name, u) for name, u in usage.items() if isinstance(u, dict)]
    total = info.get("total") if isinstance(info.get("total"), dict) else None
    if total is not None:
        rows.append(("total", total))
    for name, u in rows:
        out.append(f"| {_cell(name)} | {_cell(prompts.get(name, ''))} | {int(u.get('calls') or 0)} | "
                   f"{int(u.get('cached') or 0)} | {int(u.get('prompt_tokens') or 0)} | "
                   f"{int(u.get('completion_tokens') or 0)} | {float(u.get('seconds') or 0):.1f} |")
    article_falls = [f for f in info.get("fallbacks") or [] if isinstance(f, dict) and not f.get("claim_id")]
    for f in article_falls:
        out += ["", f"*LLM {escape(f.get('stage'), block=False)} not used for the article "
                f"({escape(f.get('code'), block=False)}):* {escape(trim(f.get('reason'), 300))}"]
    return out + [""]


def _quote_lines(quote: Any) -> list[str]:
    """The claim's quote provenance: status, where in which source, the source words, the edits."""
    if not isinstance(quote, dict):
        return []
    status = text(quote.get("status")) or "not_found"
    head = f"Quote check: **{escape(QUOTE_STATUS_TEXT.get(status, status))}**"
    sim = fraction(quote.get("similarity"))
    if sim is not None and status != "not_found":
        head += f" (similarity {percent(sim)})"
    where = one_line(quote.get("source_title")) or one_line(quote.get("source_document"))
    if where and status != "not_found":
        head += " — " + escape(where)
        start, end = quote.get("source_start"), quote.get("source_end")
        if isinstance(start, int) and isinstance(end, int):
            head += f", characters {start}–{end}"
    lines = ["", head]
    source = trim(quote.get("source_text"), 400)
    if source and status != "not_found":
        lines.append(f"> “{escape(source)}”")
    edits = [e for e in quote.get("diff") or [] if isinstance(e, dict)]
    if edits and status != "not_found":
        lines += ["", "Changes from the source:", ""]
        for e in edits:
            lines.append("- " + escape(edit_phrase(e)))
    return lines


def _match_lines(matches: Any) -> list[str]:
    items = [m for m in matches or [] if isinstance(m, dict)] if isinstance(matches, list) else []
    if not items:
        return []
    lines = ["", "Earlier fact-checks:", ""]
    for m in items:
        bits = [f"**{escape(one_line(m.get('rating')) or 'unrated')}**"]
        if one_line(m.get("publisher")):
            bits.append(escape(m.get("publisher")))
        if m.get("date"):
            bits.append(escape(m.get("date"), block=False))
        line = "- " + " — ".join(bits)
        if m.get("url"):
            line += " — " + link(m.get("url"))
        lines.append(line)
        claim = trim(m.get("claim"), 240)
        if claim:
            lines.append(f"  > “{escape(claim)}”")
    return lines


def _omitted_section(d: dict[str, Any], claims: list[dict[str, Any]], numbers: dict[str, int]) -> list[str]:
    facts = [f for f in d.get("omitted") or [] if isinstance(f, dict)] if isinstance(d.get("omitted"), list) else []
    if not facts:
        return []
    out = ["## Omitted context", "",
           "Facts from the corpus, published before the article, that it does not mention.", ""]
    for cid, group in group_omitted(facts, numbers):
        if cid is None:
            out += ["### On the article's main subject", ""]
        else:
            claim = claims[numbers[cid] - 1] if cid in numbers else {}
            ref = f"claim {numbers[cid]}" if cid in numbers else f"claim {cid}"
            snippet = trim(claim.get("text"), 120)
            out += ["### " + escape_heading(f"On {ref}" + (f": {snippet}" if snippet else "")), ""]
        for f in group:
            bits = [escape(f.get("document") or f.get("url") or f.get("document_id") or "unknown document")]
            if f.get("published"):
                bits.append(escape(f.get("published"), block=False))
            stance = text(f.get("stance"))
            if stance in ("supports", "refutes"):
                bits.append(f"*{escape(stance)} the claim*")
            line = "- " + " — ".join(bits)
            if f.get("url"):
                line += " — " + link(f.get("url"))
            out.append(line)
            body = trim(f.get("text"), 400)
            if body:
                out.append(f"  > “{escape(body)}”")
        out.append("")
    return out


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
    if isinstance(d.get("llm"), dict):
        info.append(f"LLM {escape(d['llm'].get('model'), block=False)}")
    out += ["*" + " · ".join(info) + "*", "", _summary_line(d), ""]

    if claims:
        out += ["## Claims", ""]
        sources = d.get("sources") if isinstance(d.get("sources"), dict) else {}
        found = sources.get("factchecks") if isinstance(sources.get("factchecks"), dict) else {}
        for i, claim in enumerate(claims, 1):
            out += _claim_section(i, claim, numbers, found.get(text(claim.get("id"))))
    else:
        out += ["No check-worthy claims were found.", ""]

    out += _omitted_section(d, claims, numbers)
    out += _llm_section(d)
    out += _sources_section(d, numbers)

    events = [e for e in d.get("timeline") or [] if isinstance(e, dict)]
    if events:
        out += ["## Timeline", "", "| Date | Event | Claim |", "| --- | --- | --- |"]
        for ev in events:
            cid = text(ev.get("claim_id"))
            ref = str(numbers[cid]) if cid in numbers else (escape(cid) if cid else "")
            out.append(f"| {escape(ev.get('date'), block=False) or ' '} | {_cell(trim(ev.get('text'), 200))} | {ref or ' '} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
