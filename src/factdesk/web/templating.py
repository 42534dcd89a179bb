"""Rendering the desk's pages: the Jinja2 environment (autoescaped), its filters, claim highlighting.

:func:`render` turns a template into a response and gives a browser without a
valid session cookie a fresh anonymous one (its CSRF token is in the page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import Response

from factdesk.report._common import safe_http_url
from factdesk.web import sessions
from factdesk.web.state import desk_of

LABEL_TEXT = {"supported": "Supported", "refuted": "Refuted", "conflicting": "Conflicting",
              "not_enough_evidence": "Not enough evidence", None: "Unchecked"}
STANCE_TEXT = {"supports": "supports", "refutes": "refutes", "neutral": "neutral"}
QUOTE_TEXT = {"verbatim": "quoted verbatim", "close": "close to the source", "altered": "altered from the source",
              "not_found": "source not found"}


def template_env(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                             undefined=jinja2.ChainableUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = pct
    env.filters["label_text"] = lambda v: LABEL_TEXT.get(v, str(v or "Unchecked"))
    env.filters["safe_url"] = safe_http_url
    env.filters["day"] = lambda v: (str(v)[:10] if v else "")
    env.filters["when"] = lambda v: (str(v)[:19].replace("T", " ") if v else "")
    env.filters["quote_text"] = lambda v: QUOTE_TEXT.get(v, str(v or ""))
    env.filters["label_class"] = lambda v: str(v) if v in LABEL_TEXT and v else "unchecked"
    env.filters["stance_class"] = lambda v: str(v) if v in STANCE_TEXT else "neutral"
    env.filters["cw_class"] = cw_class
    env.filters["stance_counts"] = stance_counts
    return env


def pct(value: Any) -> str:
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return "–"


def cw_class(value: Any) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "low"
    return "high" if v >= 0.75 else ("mid" if v >= 0.5 else "low")


def stance_counts(evidence: list[dict[str, Any]]) -> str:
    counts = {"supports": 0, "refutes": 0, "neutral": 0}
    for ev in evidence or []:
        if isinstance(ev, dict) and not ev.get("irrelevant"):
            counts[ev.get("stance") if ev.get("stance") in counts else "neutral"] += 1
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "none usable"


def segments(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The article text cut into plain runs and claim runs (by the claims' character offsets).

    A claim whose offsets do not fit the text, or overlap an earlier claim, is not highlighted
    (it is still listed with the claims).
    """
    text = str((d.get("article") or {}).get("text") or "")
    claims = []
    for n, c in enumerate(d.get("claims") or [], 1):
        if not isinstance(c, dict):
            continue
        try:
            start, end = int(c.get("start")), int(c.get("end"))
        except (TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            claims.append((start, end, n, c))
    claims.sort(key=lambda t: (t[0], -t[1]))
    out: list[dict[str, Any]] = []
    pos = 0
    for start, end, n, c in claims:
        if start < pos:
            continue
        if start > pos:
            out.append({"text": text[pos:start], "claim": None})
        out.append({"text": text[start:end], "claim": c, "number": n})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "claim": None})
    return out


def render(request: Request, name: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    """The template ``name`` as an HTML page for this request (never cached)."""
    desk = desk_of(request)
    sid = getattr(request.state, "sid", None)
    data = desk.signer.load(request.cookies.get(sessions.COOKIE)) if sid is None else {"sid": sid}
    new_cookie = None
    if data is None:
        sid = sessions.new_sid()
        new_cookie = desk.signer.dump(sid, False)
    else:
        sid = data["sid"]
    user = getattr(request.state, "user", None)
    html = desk.templates.get_template(name).render(request=request, user=user, csrf=desk.signer.csrf_for(sid),
                                                    require_login=desk.require_login, **ctx)
    resp = Response(html, status_code=status_code, media_type="text/html; charset=utf-8")
    resp.headers["cache-control"] = "no-store"
    if new_cookie:
        sessions.set_cookie(request, resp, new_cookie)
    return resp
