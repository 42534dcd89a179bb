"""The article's dated events, in date order.

One event per (claim, resolved date): a claim mentioning 1998 and 2004 gives
two events.  Dates sort by where they start (a year at January 1, a month at
its first day), ties by position in the article.  Rebutted claims are left
out: the article states them only to deny them.

Example::

    >>> from factdesk.types import Claim
    >>> c = Claim("It opened in 1998.", 0, 18, 0.9, dates=["1998"])
    >>> [(e.date, e.text) for e in build_timeline([c])]
    [('1998', 'It opened in 1998.')]
"""

from __future__ import annotations

import re

from factdesk.types import Claim, ClaimKind, TimelineEvent

MAX_EVENT_CHARS = 200


def _sort_key(value: str) -> tuple[int, int, int]:
    parts = [int(p) for p in re.findall(r"\d+", value)[:3]]
    year = parts[0] if parts else 0
    month = parts[1] if len(parts) > 1 else 1
    day = parts[2] if len(parts) > 2 else 1
    return year, month, day


def shorten(text: str, limit: int = MAX_EVENT_CHARS) -> str:
    """Cut ``text`` to at most ``limit`` characters at a clause or word boundary, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for sep in ("; ", ", ", " "):
        i = cut.rfind(sep)
        if i >= limit * 0.6:
            return cut[:i].rstrip(" ,;:") + "…"
    return cut.rstrip() + "…"


def build_timeline(claims: list[Claim]) -> list[TimelineEvent]:
    """Timeline events for the claims' resolved dates, sorted by date then position."""
    rows = []
    for claim in claims:
        if claim.kind == ClaimKind.REBUTTED:
            continue
        for value in claim.dates:
            rows.append((_sort_key(value), claim.start, value, claim))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [TimelineEvent(date=value, text=shorten(claim.standalone or claim.text), claim_id=claim.id)
            for _, _, value, claim in rows]
