"""The report as one self-contained HTML page.

No scripts, no external assets, no remote fonts: the CSS sits in a
``<style>`` block and a Content-Security-Policy ``<meta>`` forbids anything
else, so the file can be opened from disk or mailed around safely.

The page: a header with the article's metadata and summary chips per verdict
label; the article text with every claim highlighted in place (by its
``start``/``end`` offsets; each highlight links to the claim's card); one card
per claim (verdict badge, confidence bar, kind and attribution, explanation,
evidence with stance, source link, date and an "after claim date" flag; the
quote check of a quoted claim, with the source span and word edits; earlier
fact-checks of the claim); the "Omitted context" section, grouped by the claim
each fact bears on (the article's main subject first); and the timeline.

Every untrusted string (article text and metadata, claims, evidence,
explanations, URLs) goes through :func:`html.escape` with ``quote=True``.
Links are emitted only for plain absolute http(s) URLs; any other URL
(``javascript:``, ``data:``, relative paths...) is shown as text.  Claim
offsets that fall outside the text are clipped; a highlight that would
overlap an earlier one is skipped, so bad offsets cannot break the page.
"""

from __future__ import annotations

import html
import re
from typing import Any

from factdesk.report._common import (
    QUOTE_STATUS_TEXT,
    SUMMARY_ORDER,
    claim_numbers,
    claims_of,
    confidence_of,
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

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
:root{--fg:#1d2329;--muted:#5b6670;--bg:#fbfbfa;--card:#fff;--line:#dde1e5;
--supported:#1f7a3a;--supported-bg:#dcf2e3;--refuted:#b3261e;--refuted-bg:#fbe1de;
--conflicting:#8a5a00;--conflicting-bg:#fdf0cf;--not_enough_evidence:#4d5866;--not_enough_evidence-bg:#e6e9ed;
--unchecked:#6b6f75;--unchecked-bg:#f0f0f0}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ea;--muted:#a3abb3;--bg:#15181b;--card:#1e2226;--line:#33393f;
--supported:#7fd394;--supported-bg:#1c3a25;--refuted:#ff8f85;--refuted-bg:#46201d;
--conflicting:#f0c060;--conflicting-bg:#42351a;--not_enough_evidence:#b9c2cc;--not_enough_evidence-bg:#2d333a;
--unchecked:#b0b4b9;--unchecked-bg:#2a2d31}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:.2rem 0 .4rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:2rem 0 .8rem;border-bottom:1px solid var(--line);padding-bottom:.3rem}
a{color:inherit}
.kicker{color:var(--muted);font-size:.85rem;text-transform:uppercase;letter-spacing:.06em}
.meta,.small{color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
.meta span+span:before{content:" · "}
.chips{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0 0;padding:0;list-style:none}
.chip{border-radius:999px;padding:.2rem .75rem;font-weight:600;font-size:.9rem}
.l-supported{color:var(--supported);background:var(--supported-bg)}
.l-refuted{color:var(--refuted);background:var(--refuted-bg)}
.l-conflicting{color:var(--conflicting);background:var(--conflicting-bg)}
.l-not_enough_evidence{color:var(--not_enough_evidence);background:var(--not_enough_evidence-bg)}
.l-unchecked{color:var(--unchecked);background:var(--unchecked-bg)}
.chip.zero{opacity:.45}
.article-text{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--card);border:1px solid var(--line);
border-radius:8px;padding:1rem 1.2rem;max-height:36rem;overflow:auto}
mark.hl{color:inherit;border-radius:3px;padding:0 .1em;border-bottom:2px solid currentColor}
mark.hl a{text-decoration:none}
mark.hl sup{font-size:.7em;font-weight:700;margin-left:.15em}
mark.hl.l-supported{background:var(--supported-bg);border-color:var(--supported)}
mark.hl.l-refuted{background:var(--refuted-bg);border-color:var(--refuted)}
mark.hl.l-conflicting{background:var(--conflicting-bg);border-color:var(--conflicting)}
mark.hl.l-not_enough_evidence{background:var(--not_enough_evidence-bg);border-color:var(--not_enough_evidence)}
mark.hl.l-unchecked{background:var(--unchecked-bg);border-color:var(--unchecked)}
.card{background:var(--card);border:1px solid var(--line);border-left-width:6px;border-radius:8px;
padding:1rem 1.2rem;margin:0 0 1rem}
.c-supported{border-left-color:var(--supported)}.c-refuted{border-left-color:var(--refuted)}
.c-conflicting{border-left-color:var(--conflicting)}.c-not_enough_evidence{border-left-color:var(--not_enough_evidence)}
.c-unchecked{border-left-color:var(--unchecked)}
.card:target{outline:3px solid var(--muted)}
.card-head{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem}
.num{font-weight:700;color:var(--muted)}
.badge{border-radius:4px;padding:.1rem .5rem;font-weight:700;font-size:.8rem;letter-spacing:.04em;text-transform:uppercase}
.bar{flex:0 0 8rem;height:.5rem;background:var(--line);border-radius:999px;overflow:hidden}
.bar span{display:block;height:100%;background:currentColor}
.conf{font-size:.85rem;color:var(--muted)}
.kind{font-size:.85rem;color:var(--muted);font-style:italic}
blockquote{margin:.6rem 0;padding:.1rem 0 .1rem .8rem;border-left:3px solid var(--line);font-size:1.05rem;overflow-wrap:anywhere}
.standalone{font-size:.9rem;color:var(--muted)}
.explanation{margin:.6rem 0;overflow-wrap:anywhere}
.evidence{list-style:none;padding:0;margin:.6rem 0 0}
.evidence li{border-top:1px solid var(--line);padding:.5rem 0;overflow-wrap:anywhere}
.evidence li.irrelevant{opacity:.55}
.stance{font-weight:700;font-size:.8rem;text-transform:uppercase;border-radius:4px;padding:0 .35rem}
.s-supports{color:var(--supported);background:var(--supported-bg)}
.s-refutes{color:var(--refuted);background:var(--refuted-bg)}
.s-neutral{color:var(--unchecked);background:var(--unchecked-bg)}
.flag{font-size:.8rem;font-weight:600;border-radius:4px;padding:0 .35rem;color:var(--conflicting);background:var(--conflicting-bg)}
.flag.decisive{color:var(--fg);background:var(--line)}
.quote{margin:.3rem 0 0;color:var(--fg);font-size:.92rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
th{font-size:.85rem;color:var(--muted)}
td.date{white-space:nowrap;font-variant-numeric:tabular-nums}
footer{margin-top:2.5rem;color:var(--muted);font-size:.8rem}
.provenance,.matches{margin:.6rem 0 0;padding:.5rem 0 0;border-top:1px dashed var(--line);overflow-wrap:anywhere}
.qs{font-weight:700;font-size:.8rem;text-transform:uppercase;border-radius:4px;padding:0 .35rem}
.q-verbatim{color:var(--supported);background:var(--supported-bg)}
.q-close{color:var(--not_enough_evidence);background:var(--not_enough_evidence-bg)}
.q-altered{color:var(--refuted);background:var(--refuted-bg)}
.q-not_found{color:var(--unchecked);background:var(--unchecked-bg)}
.edits{margin:.3rem 0 0;padding-left:1.2rem;font-size:.9rem}
ins{background:var(--supported-bg);text-decoration:none}del{background:var(--refuted-bg)}
.matches ul,.omitted ul{list-style:none;padding:0;margin:.3rem 0 0}
.matches li,.omitted li{border-top:1px solid var(--line);padding:.4rem 0;overflow-wrap:anywhere}
.omitted h3{font-size:1rem;margin:1.2rem 0 .3rem;overflow-wrap:anywhere}
.llm{margin:.6rem 0 0;padding:.5rem 0 0;border-top:1px dashed var(--line);overflow-wrap:anywhere}
.badge.src-llm{color:var(--fg);background:var(--line)}
.flag.disagree{color:var(--refuted);background:var(--refuted-bg)}
code.pid{font-size:.85em}
"""

_LABEL_CLASSES = {"supported", "refuted", "conflicting", "not_enough_evidence"}
_STANCES = {"supports", "refutes", "neutral"}
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def esc(value: Any) -> str:
    """``html.escape(str(value), quote=True)``; ``None`` becomes empty."""
    return html.escape(text(value), quote=True)


def _label_class(label: str | None) -> str:
    return "l-" + (label if label in _LABEL_CLASSES else "unchecked")


def _anchor_ids(claims: list[dict[str, Any]]) -> list[str]:
    """A unique, attribute-safe anchor per claim, derived from its id."""
    seen: set[str] = set()
    out = []
    for i, c in enumerate(claims, 1):
        base = "claim-" + (_ID_UNSAFE.sub("", text(c.get("id")))[:64] or str(i))
        anchor = base
        n = 2
        while anchor in seen:
            anchor = f"{base}-{n}"
            n += 1
        seen.add(anchor)
        out.append(anchor)
    return out


def _link(url: Any, label: Any = None) -> str:
    """An ``<a>`` for a plain http(s) URL; anything else is escaped text."""
    shown = esc(label if label not in (None, "") else url)
    safe = safe_http_url(url)
    if safe is None:
        return shown
    return f'<a href="{esc(safe)}" rel="noopener noreferrer nofollow">{shown}</a>'


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def highlight_spans(text_len: int, claims: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """``(start, end, claim index)`` spans to highlight, in order, clipped, never overlapping.

    Offsets are clipped to ``0..text_len``; empty spans are dropped, and a
    span overlapping one that starts earlier (or an earlier claim at the same
    start) is skipped.
    """
    candidates = []
    for i, c in enumerate(claims):
        start, end = _int(c.get("start")), _int(c.get("end"))
        if start is None or end is None:
            continue
        start, end = max(0, min(start, text_len)), max(0, min(end, text_len))
        if end <= start:
            continue
        candidates.append((start, end, i))
    candidates.sort(key=lambda t: (t[0], t[2]))
    spans: list[tuple[int, int, int]] = []
    last_end = 0
    for start, end, i in candidates:
        if start < last_end:
            continue
        spans.append((start, end, i))
        last_end = end
    return spans


def _article_html(
    article_text: str, claims: list[dict[str, Any]], anchors: list[str]
) -> tuple[str, set[int]]:
    parts = []
    pos = 0
    shown: set[int] = set()
    for start, end, i in highlight_spans(len(article_text), claims):
        parts.append(esc(article_text[pos:start]))
        claim = claims[i]
        label = label_of(claim)
        title = f"Claim {i + 1}: {label_text(label)}"
        parts.append(
            f'<mark class="hl {_label_class(label)}" id="ref-{anchors[i]}" title="{esc(title)}">'
            f'<a href="#{anchors[i]}">{esc(article_text[start:end])}</a><sup>{i + 1}</sup></mark>'
        )
        pos = end
        shown.add(i)
    parts.append(esc(article_text[pos:]))
    return "".join(parts), shown


def _chips(d: dict[str, Any]) -> str:
    s = summary_of(d)
    items = []
    for key in SUMMARY_ORDER:
        label = key if key != "unchecked" else None
        zero = " zero" if not s[key] else ""
        items.append(f'<li class="chip {_label_class(label)}{zero}">{s[key]} {esc(label_text(label))}</li>')
    note = left_out_note(s)
    return (f'<ul class="chips" aria-label="summary">{"".join(items)}</ul>'
            + (f'<p class="left-out">{esc(note)}</p>' if note else ""))


def _evidence_item(ev: dict[str, Any], decisive: set[str]) -> str:
    stance = text(ev.get("stance"))
    stance_cls = stance if stance in _STANCES else "neutral"
    head = [f'<span class="stance s-{stance_cls}">{esc(stance or "neutral")}</span>']
    try:
        p = max(0.0, min(1.0, float(ev.get("stance_probability"))))
        head.append(f'<span class="small">{percent(p)}</span>')
    except (TypeError, ValueError):
        pass
    doc = ev.get("document") or ev.get("url") or ev.get("document_id") or "unknown document"
    head.append(f"<strong>{_link(ev.get('url'), doc)}</strong>")
    if ev.get("published"):
        head.append(f'<span class="small">{esc(ev.get("published"))}</span>')
    if ev.get("after_claim_date"):
        head.append('<span class="flag" title="this source was published after the date the claim is about">'
                    "after claim date</span>")
    if text(ev.get("passage_id")) in decisive:
        head.append('<span class="flag decisive">decisive</span>')
    if ev.get("irrelevant"):
        head.append('<span class="flag">marked irrelevant</span>')
    body = ""
    quote = trim(ev.get("text"), 400)
    if quote:
        body += f'<p class="quote">“{esc(quote)}”</p>'
    key = text(ev.get("key_sentence"))
    if key and key != text(ev.get("text")):
        body += f'<p class="small key">key sentence: “{esc(trim(key, 300))}”</p>'
    url = ev.get("url")
    if url and safe_http_url(url) is None:
        body += f'<p class="small">source: {esc(url)}</p>'
    elif url and url != doc:
        body += f'<p class="small">{_link(url)}</p>'
    prov = ev.get("provenance")
    if isinstance(prov, dict) and prov:
        body += _provenance_html(prov)
    cls = ' class="irrelevant"' if ev.get("irrelevant") else ""
    return f"<li{cls}>{' '.join(head)}{body}</li>"


def _provenance_html(prov: dict[str, Any]) -> str:
    """Where outside evidence came from: source, query, snapshot, fetch time, live URL (all escaped)."""
    bits = [f"from <strong>{esc(prov.get('source') or 'an outside source')}</strong>"]
    if prov.get("query"):
        bits.append(f"query “{esc(trim(prov.get('query'), 120))}”")
    if prov.get("snapshot_id"):
        bits.append(f"snapshot <code>{esc(prov.get('snapshot_id'))}</code>")
    if prov.get("fetched_at"):
        bits.append(f"fetched {esc(prov.get('fetched_at'))}")
    if prov.get("url"):
        bits.append(f"live page {_link(prov.get('url'))}")
    return f'<p class="small provenance">{" · ".join(bits)}</p>'


def _web_factchecks_html(items: Any) -> str:
    found = [f for f in items or [] if isinstance(f, dict)] if isinstance(items, list) else []
    if not found:
        return ""
    lis = []
    for f in found[:10]:
        date = f' <span class="small">{esc(f.get("published"))}</span>' if f.get("published") else ""
        lis.append(f"<li>{_link(f.get('url'), trim(f.get('title'), 160) or f.get('url'))}{date}</li>")
    return ('<div class="matches"><h3>Earlier fact-checks found by web search</h3>'
            '<p class="small">Listed, not used as evidence: a page that fact-checks the claim repeats it.</p>'
            f'<ul>{"".join(lis)}</ul></div>')


def _sources_html(d: dict[str, Any], numbers: dict[str, int]) -> str:
    info = d.get("sources")
    if not isinstance(info, dict):
        return ""
    keys = ("name", "kind", "queries", "api_calls", "cached", "pages_fetched", "pages_reused", "hits")
    rows = "".join("<tr>" + "".join(f"<td>{esc(u.get(k))}</td>" for k in keys) + "</tr>"
                   for u in info.get("used") or [] if isinstance(u, dict))
    out = ('<section><h2>Evidence sources</h2><table><thead><tr><th>Source</th><th>Kind</th><th>Queries</th>'
           '<th>API calls</th><th>Cached</th><th>Pages fetched</th><th>Reused</th><th>Hits</th></tr></thead>'
           f"<tbody>{rows}</tbody></table>")
    skipped = [x for x in info.get("skipped") or [] if isinstance(x, dict)]
    if skipped:
        lis = []
        for x in skipped[:50]:
            cid = text(x.get("claim_id"))
            where = f"claim {numbers[cid]}" if cid in numbers else "every claim"
            lis.append(f"<li>{esc(x.get('source'))}, {esc(where)}: {esc(trim(x.get('reason'), 300))}</li>")
        out += f'<p class="small">Skipped (the check went on without them):</p><ul>{"".join(lis)}</ul>'
    errors = [x for x in info.get("page_errors") or [] if isinstance(x, dict)]
    if errors:
        lis = [f"<li>{_link(x.get('url'))}: {esc(trim(x.get('reason'), 200))}</li>" for x in errors[:30]]
        out += f'<p class="small">Result pages not used:</p><ul>{"".join(lis)}</ul>'
    return out + "</section>\n"


def _claim_card(
    i: int, claim: dict[str, Any], anchor: str, numbers: dict[str, int], anchors_by_id: dict[str, str], shown: bool,
    web_factchecks: Any = None,
) -> str:
    label = label_of(claim)
    conf = confidence_of(claim)
    head = [
        f'<span class="num">{i}</span>',
        f'<span class="badge {_label_class(label)}">{esc(label_text(label))}</span>',
    ]
    if conf is not None:
        head.append(
            f'<span class="bar {_label_class(label)}" title="confidence {percent(conf)}">'
            f'<span style="width:{conf * 100:.1f}%"></span></span>'
            f'<span class="conf">confidence {percent(conf)}</span>'
        )
    kind = esc(kind_phrase(claim, numbers))
    target = text(claim.get("responds_to"))
    if target in anchors_by_id:
        kind += f' (<a href="#{anchors_by_id[target]}">see claim {numbers[target]}</a>)'
    head.append(f'<span class="kind">{kind}</span>')
    llm = claim.get("llm") if isinstance(claim.get("llm"), dict) else None
    if llm is not None and isinstance(llm.get("verdict"), dict):
        head.append('<span class="badge src-llm" title="this verdict was given by the LLM">LLM verdict</span>')
    if llm is not None and llm.get("disagreement"):
        head.append('<span class="flag disagree" title="the LLM and the built-in verifier disagree">'
                    "LLM and built-in verifier disagree</span>")
    parts = [f'<div class="card-head">{"".join(head)}</div>']
    claim_text = one_line(claim.get("text"))
    back = f' <a class="small" href="#ref-{anchor}">in the article ↑</a>' if shown else ""
    parts.append(f"<blockquote>{esc(claim_text)}{back}</blockquote>")
    standalone = one_line(claim.get("standalone"))
    if standalone and standalone != claim_text:
        parts.append(f'<p class="standalone">Standalone: {esc(standalone)}</p>')
    checked_as = one_line(claim.get("checked_as"))
    if checked_as and checked_as not in (standalone, claim_text):
        parts.append(f'<p class="standalone">Checked as: {esc(checked_as)}</p>')
    dates = [esc(x) for x in claim.get("dates") or []]
    if dates:
        parts.append(f'<p class="small">Dates: {", ".join(dates)}</p>')
    verdict = claim.get("verdict") if isinstance(claim.get("verdict"), dict) else None
    if verdict and text(verdict.get("explanation")).strip():
        parts.append(f'<p class="explanation">{esc(verdict.get("explanation"))}</p>')
    if verdict is None:
        parts.append('<p class="small">Not checked.</p>')
    decisive = {text(x) for x in (verdict or {}).get("evidence_ids") or []}
    evidence = [e for e in claim.get("evidence") or [] if isinstance(e, dict)]
    if evidence:
        items = "".join(_evidence_item(e, decisive) for e in evidence)
        parts.append(f'<ul class="evidence">{items}</ul>')
    elif verdict is not None:
        parts.append('<p class="small">No evidence found in the corpus.</p>')
    parts.append(_llm_html(llm))
    parts.append(_quote_html(claim.get("quote")))
    parts.append(_matches_html(claim.get("matches")))
    parts.append(_web_factchecks_html(web_factchecks))
    card_cls = "c-" + _label_class(label)[2:]
    return f'<article class="card {card_cls}" id="{anchor}">{"".join(parts)}</article>'


def _llm_html(info: dict[str, Any] | None) -> str:
    """The LLM's citations, the built-in verifier's verdict beside it, the questions and any fallback."""
    if info is None:
        return ""
    parts = []
    verdict = info.get("verdict") if isinstance(info.get("verdict"), dict) else None
    builtin = info.get("builtin_verdict") if isinstance(info.get("builtin_verdict"), dict) else None
    if verdict is not None:
        ids = ", ".join(f'<code class="pid">{esc(i)}</code>' for i in verdict.get("passage_ids") or [])
        parts.append(f'<p class="small">Verdict by the LLM; cites {ids or "no passage"}'
                     + (f' (unknown ids dropped: {esc(", ".join(map(str, verdict["unknown_ids"])))})'
                        if verdict.get("unknown_ids") else "") + "</p>")
    if builtin is not None:
        conf = fraction(builtin.get("confidence"))
        label = label_of({"verdict": builtin})
        line = (f'Built-in verifier: <span class="badge {_label_class(label)}">{esc(label_text(label))}</span>'
                + (f" {percent(conf)}" if conf is not None else ""))
        if verdict is not None and one_line(builtin.get("explanation")):
            line += f" — {esc(one_line(builtin.get('explanation')))}"
        parts.append(f'<p class="small">{line}</p>')
    questions = [one_line(q) for q in info.get("questions") or [] if one_line(q)]
    if questions:
        parts.append('<p class="small">Verification questions searched:</p><ul class="edits">'
                     + "".join(f"<li>{esc(q)}</li>" for q in questions) + "</ul>")
    for f in info.get("fallbacks") or []:
        if isinstance(f, dict):
            parts.append(f'<p class="small">LLM {esc(f.get("stage"))} not used ({esc(f.get("code"))}): '
                         f'{esc(trim(f.get("reason"), 200))}</p>')
    return f'<div class="llm">{"".join(parts)}</div>' if parts else ""


def _llm_usage(d: dict[str, Any]) -> str:
    info = d.get("llm")
    if not isinstance(info, dict):
        return ""
    usage = info.get("usage") if isinstance(info.get("usage"), dict) else {}
    prompts = info.get("prompts") if isinstance(info.get("prompts"), dict) else {}
    rows = [(name, u) for name, u in usage.items() if isinstance(u, dict)]
    if isinstance(info.get("total"), dict):
        rows.append(("total", info["total"]))
    body = "".join(
        f"<tr><td>{esc(name)}</td><td>{esc(prompts.get(name, ''))}</td><td>{int(u.get('calls') or 0)}</td>"
        f"<td>{int(u.get('cached') or 0)}</td><td>{int(u.get('prompt_tokens') or 0)}</td>"
        f"<td>{int(u.get('completion_tokens') or 0)}</td><td>{float(u.get('seconds') or 0):.1f}</td></tr>"
        for name, u in rows)
    notes = "".join(f'<p class="small">LLM {esc(f.get("stage"))} not used for the article ({esc(f.get("code"))}): '
                    f'{esc(trim(f.get("reason"), 300))}</p>'
                    for f in info.get("fallbacks") or [] if isinstance(f, dict) and not f.get("claim_id"))
    return (f'<section class="llm-usage"><h2>LLM</h2><p class="small">Model {esc(info.get("model"))} · '
            f'disagreements with the built-in verifier: {int(info.get("disagreements") or 0)}</p>{notes}'
            "<table><thead><tr><th>Stage</th><th>Prompt</th><th>Calls</th><th>Cached</th><th>Prompt tokens</th>"
            f"<th>Completion tokens</th><th>Seconds</th></tr></thead><tbody>{body}</tbody></table></section>\n")


def _quote_html(quote: Any) -> str:
    """The claim's quote provenance: a status badge, the source span and the word edits."""
    if not isinstance(quote, dict):
        return ""
    status = text(quote.get("status"))
    cls = status if status in QUOTE_STATUS_TEXT else "not_found"
    head = [f'<strong>Quote check</strong> <span class="qs q-{cls}">'
            f'{esc(QUOTE_STATUS_TEXT.get(status, status or "not found"))}</span>']
    sim = fraction(quote.get("similarity"))
    found = cls != "not_found"
    if sim is not None and found:
        head.append(f'<span class="small">similarity {percent(sim)}</span>')
    where = one_line(quote.get("source_title")) or one_line(quote.get("source_document"))
    if where and found:
        loc = f"in {esc(where)}"
        start, end = quote.get("source_start"), quote.get("source_end")
        if isinstance(start, int) and isinstance(end, int):
            loc += f", characters {start}–{end}"
        head.append(f'<span class="small">{loc}</span>')
    parts = [f"<div>{' '.join(head)}</div>"]
    source = trim(quote.get("source_text"), 400)
    if source and found:
        parts.append(f'<p class="quote">Source: “{esc(source)}”</p>')
    edits = [e for e in quote.get("diff") or [] if isinstance(e, dict)] if isinstance(quote.get("diff"), list) else []
    if edits and found:
        items = []
        for e in edits:
            op = text(e.get("op"))
            q, src = esc(one_line(e.get("quote"))), esc(one_line(e.get("source")))
            if op == "insert":
                items.append(f"<li>added in the quote: <ins>{q}</ins></li>")
            elif op == "delete":
                items.append(f"<li>dropped from the source: <del>{src}</del></li>")
            else:
                items.append(f"<li>changed: <del>{src}</del> → <ins>{q}</ins></li>")
        parts.append(f'<ul class="edits">{"".join(items)}</ul>')
    return f'<div class="provenance">{"".join(parts)}</div>'


def _matches_html(matches: Any) -> str:
    items = [m for m in matches or [] if isinstance(m, dict)] if isinstance(matches, list) else []
    if not items:
        return ""
    rows = []
    for m in items:
        head = [f"<strong>{esc(one_line(m.get('rating')) or 'unrated')}</strong>"]
        if one_line(m.get("publisher")):
            head.append(esc(one_line(m.get("publisher"))))
        if m.get("date"):
            head.append(f'<span class="small">{esc(m.get("date"))}</span>')
        if m.get("url"):
            head.append(f'<span class="small">{_link(m.get("url"))}</span>')
        claim = trim(m.get("claim"), 300)
        body = f'<p class="quote">“{esc(claim)}”</p>' if claim else ""
        rows.append(f"<li>{' · '.join(head)}{body}</li>")
    return f'<div class="matches"><strong>Earlier fact-checks</strong><ul>{"".join(rows)}</ul></div>'


def _omitted(d: dict[str, Any], claims: list[dict[str, Any]], numbers: dict[str, int],
             anchors_by_id: dict[str, str]) -> str:
    raw = d.get("omitted")
    facts = [f for f in raw if isinstance(f, dict)] if isinstance(raw, list) else []
    if not facts:
        return ""
    parts = ['<section class="omitted"><h2>Omitted context</h2>'
             '<p class="small">Facts from the corpus, published before the article, that it does not mention.</p>']
    for cid, group in group_omitted(facts, numbers):
        if cid is None:
            parts.append("<h3>On the article’s main subject</h3>")
        elif cid in numbers:
            snippet = trim(claims[numbers[cid] - 1].get("text"), 120)
            ref = f'<a href="#{anchors_by_id[cid]}">claim {numbers[cid]}</a>' if cid in anchors_by_id \
                else f"claim {numbers[cid]}"
            parts.append(f"<h3>On {ref}{': ' + esc(snippet) if snippet else ''}</h3>")
        else:
            parts.append(f"<h3>On claim {esc(cid)}</h3>")
        items = []
        for f in group:
            doc = f.get("document") or f.get("url") or f.get("document_id") or "unknown document"
            head = [f"<strong>{_link(f.get('url'), doc)}</strong>"]
            if f.get("published"):
                head.append(f'<span class="small">{esc(f.get("published"))}</span>')
            stance = text(f.get("stance"))
            if stance in ("supports", "refutes"):
                head.append(f'<span class="stance s-{stance}">{esc(stance)} the claim</span>')
            body = trim(f.get("text"), 400)
            url = f.get("url")
            extra = f'<p class="small">source: {esc(url)}</p>' if url and safe_http_url(url) is None else ""
            items.append(f"<li>{' '.join(head)}" + (f'<p class="quote">“{esc(body)}”</p>' if body else "")
                         + f"{extra}</li>")
        parts.append(f"<ul>{''.join(items)}</ul>")
    parts.append("</section>")
    return "".join(parts)


def _timeline(d: dict[str, Any], numbers: dict[str, int], anchors_by_id: dict[str, str]) -> str:
    events = [e for e in d.get("timeline") or [] if isinstance(e, dict)]
    if not events:
        return ""
    rows = []
    for ev in events:
        cid = text(ev.get("claim_id"))
        ref = f'<a href="#{anchors_by_id[cid]}">claim {numbers[cid]}</a>' if cid in anchors_by_id else ""
        rows.append(
            f'<tr><td class="date">{esc(ev.get("date"))}</td><td>{esc(one_line(ev.get("text")))}</td><td>{ref}</td></tr>'
        )
    return (
        '<section><h2>Timeline</h2><table><thead><tr><th>Date</th><th>Event</th><th>Claim</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def render_html(d: dict[str, Any]) -> str:
    """The report dict (see :func:`factdesk.report.report_to_dict`) as a self-contained HTML page."""
    article = d.get("article") if isinstance(d.get("article"), dict) else {}
    claims = claims_of(d)
    numbers = claim_numbers(claims)
    anchors = _anchor_ids(claims)
    anchors_by_id: dict[str, str] = {}
    for c, a in zip(claims, anchors):
        anchors_by_id.setdefault(text(c.get("id")), a)

    title = one_line(article.get("title")) or one_line(article.get("url")) or "Untitled article"
    meta = []
    if article.get("author"):
        meta.append(f"<span>by {esc(one_line(article['author']))}</span>")
    if article.get("published"):
        meta.append(f"<span>{esc(article['published'])}</span>")
    if article.get("source"):
        meta.append(f"<span>{esc(one_line(article['source']))}</span>")
    if article.get("url"):
        meta.append(f"<span>{_link(article['url'])}</span>")

    article_text = text(article.get("text"))
    body_html, shown = _article_html(article_text, claims, anchors)
    sources = d.get("sources") if isinstance(d.get("sources"), dict) else {}
    found = sources.get("factchecks") if isinstance(sources.get("factchecks"), dict) else {}
    cards = "".join(
        _claim_card(i + 1, c, anchors[i], numbers, anchors_by_id, i in shown, found.get(text(c.get("id"))))
        for i, c in enumerate(claims)
    )
    if not cards:
        cards = '<p class="small">No check-worthy claims were found.</p>'
    footer = [f"report {esc(d.get('id'))}"]
    if d.get("verifier"):
        footer.append(f"verifier {esc(d['verifier'])}")
    if d.get("created"):
        footer.append(f"created {esc(d['created'])}")
    footer.append(f"factdesk {esc(d.get('factdesk_version') or '')}".rstrip())
    if isinstance(d.get("llm"), dict):
        footer.append(f"LLM {esc(d['llm'].get('model'))}")

    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="factdesk">\n'
        f"<title>Fact-check: {esc(title)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<header><div class="kicker">factdesk fact-check</div><h1>{esc(title)}</h1>'
        f'<div class="meta">{"".join(meta)}</div>{_chips(d)}</header>\n'
        f'<section><h2>Article</h2><div class="article-text">{body_html}</div></section>\n'
        f"<section><h2>Claims</h2>{cards}</section>\n"
        f"{_omitted(d, claims, numbers, anchors_by_id)}\n"
        f"{_timeline(d, numbers, anchors_by_id)}\n"
        f"{_llm_usage(d)}"
        f"{_sources_html(d, numbers)}"
        f'<footer>{" · ".join(footer)}</footer>\n'
        "</main>\n</body>\n</html>\n"
    )
