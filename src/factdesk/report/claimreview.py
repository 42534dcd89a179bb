"""The report as schema.org ``ClaimReview`` JSON-LD, one item per checked claim.

Claims without a verdict are left out.  Each item has ``claimReviewed`` (the
claim's standalone form), ``datePublished`` (the report's date), a ``url``
(``<article url>#factdesk-<claim id>`` when the article has an http(s) URL,
else ``urn:factdesk:report:<report id>:claim:<claim id>``), the publisher as
``author``, a ``reviewRating``, the ``itemReviewed`` claim with where it
appeared, ``reviewBody`` (the verdict's explanation) and ``citation`` (the
http(s) URLs of the evidence not marked irrelevant, in order, without
repeats, followed by the claim's earlier fact-checks).

Earlier fact-checks (the claim's ``matches``) are added to ``citation`` after
the evidence URLs, each as a nested ``ClaimReview`` object: ``claimReviewed``
(the claim as that fact-check worded it), ``url`` (only a plain http(s) URL),
``author`` (the publisher, an Organization), ``datePublished`` and a
``reviewRating`` with only ``alternateName`` (their own rating text; no
numeric value is invented for another publisher's scale).  ``citation``
accepts both Text and CreativeWork, so consumers that only read URLs still
find the evidence strings first.  The report's quote check and omitted
context have no ClaimReview equivalent and are not emitted.

Rating mapping (``worstRating`` 1, ``bestRating`` 5)::

    label                 ratingValue  alternateName
    supported             5            "Supported"
    refuted               1            "Refuted"
    conflicting           3            "Conflicting evidence"
    not_enough_evidence   3            "Not enough evidence"

schema.org requires ``ratingValue`` to lie within worst..best, so the two
undecided labels both sit at the midpoint 3.  That 3 does *not* mean "half
true": ``alternateName`` carries the actual finding, and consumers should
read it (Google's fact-check markup shows ``alternateName``).  The names say
what factdesk found in the corpus, not a stronger "True"/"False".

``itemReviewed.author``: for claims the article makes itself (``assertion``,
``rebuttal``) the claim's ``attributed_to``, else the article's author
(a Person), else its source (an Organization).  For claims the article
reports or sets up to rebut (``quoted``, ``rebutted``) only ``attributed_to``
is used; with no attribution the author is left out rather than pinned on
the article's author, who did not make the claim.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from factdesk.report._common import claims_of, iso_day, label_of, one_line, safe_http_url, text

RATINGS: dict[str, tuple[int, str]] = {
    "supported": (5, "Supported"),
    "refuted": (1, "Refuted"),
    "conflicting": (3, "Conflicting evidence"),
    "not_enough_evidence": (3, "Not enough evidence"),
}
BEST_RATING = 5
WORST_RATING = 1


def _claim_url(d: dict[str, Any], article: dict[str, Any], claim_id: str) -> str:
    safe = safe_http_url(article.get("url"))
    if safe:
        parts = urlsplit(safe)
        return urlunsplit(parts._replace(fragment="factdesk-" + quote(claim_id, safe="")))
    return f"urn:factdesk:report:{quote(text(d.get('id')), safe='')}:claim:{quote(claim_id, safe='')}"


def _claim_author(claim: dict[str, Any], article: dict[str, Any]) -> dict[str, str] | None:
    who = one_line(claim.get("attributed_to"))
    if who:
        return {"@type": "Person", "name": who}
    if text(claim.get("kind")) in ("quoted", "rebutted"):
        return None
    if one_line(article.get("author")):
        return {"@type": "Person", "name": one_line(article.get("author"))}
    if one_line(article.get("source")):
        return {"@type": "Organization", "name": one_line(article.get("source"))}
    return None


def _appearance(article: dict[str, Any]) -> dict[str, str] | None:
    work: dict[str, str] = {"@type": "CreativeWork"}
    url = safe_http_url(article.get("url"))
    if url:
        work["url"] = url
    if one_line(article.get("title")):
        work["headline"] = one_line(article.get("title"))
    if iso_day(article.get("published")):
        work["datePublished"] = iso_day(article.get("published")) or ""
    return work if len(work) > 1 else None


def _citations(claim: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for ev in claim.get("evidence") or []:
        if not isinstance(ev, dict) or ev.get("irrelevant"):
            continue
        url = safe_http_url(ev.get("url"))
        if url and url not in out:
            out.append(url)
    return out


def _earlier_reviews(claim: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    matches = claim.get("matches")
    for m in matches if isinstance(matches, list) else []:
        if not isinstance(m, dict):
            continue
        item: dict[str, Any] = {"@type": "ClaimReview", "claimReviewed": one_line(m.get("claim"))}
        url = safe_http_url(m.get("url"))
        if url:
            item["url"] = url
        if one_line(m.get("publisher")):
            item["author"] = {"@type": "Organization", "name": one_line(m.get("publisher"))}
        if iso_day(m.get("date")):
            item["datePublished"] = iso_day(m.get("date"))
        if one_line(m.get("rating")):
            item["reviewRating"] = {"@type": "Rating", "alternateName": one_line(m.get("rating"))}
        if item["claimReviewed"] or url:
            out.append(item)
    return out


def render_claimreview(
    d: dict[str, Any], *, publisher: str = "factdesk", publisher_url: str | None = None
) -> list[dict[str, Any]]:
    """ClaimReview JSON-LD objects for the report dict's checked claims."""
    article = d.get("article") if isinstance(d.get("article"), dict) else {}
    review_date = iso_day(d.get("created")) or date.today().isoformat()
    org: dict[str, str] = {"@type": "Organization", "name": publisher}
    if safe_http_url(publisher_url):
        org["url"] = str(publisher_url)

    items = []
    for claim in claims_of(d):
        label = label_of(claim)
        if label is None:
            continue
        verdict = claim["verdict"]
        value, name = RATINGS[label]
        claim_id = text(claim.get("id"))
        reviewed = one_line(claim.get("standalone")) or one_line(claim.get("text"))

        item_reviewed: dict[str, Any] = {"@type": "Claim"}
        author = _claim_author(claim, article)
        if author:
            item_reviewed["author"] = author
        if iso_day(article.get("published")):
            item_reviewed["datePublished"] = iso_day(article.get("published"))
        appearance = _appearance(article)
        if appearance:
            item_reviewed["appearance"] = [appearance]
            item_reviewed["firstAppearance"] = dict(appearance)

        items.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "claimReviewed": reviewed,
                "datePublished": review_date,
                "url": _claim_url(d, article, claim_id),
                "author": dict(org),
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": value,
                    "bestRating": BEST_RATING,
                    "worstRating": WORST_RATING,
                    "alternateName": name,
                },
                "itemReviewed": item_reviewed,
                "reviewBody": text(verdict.get("explanation")),
                "citation": [*_citations(claim), *_earlier_reviews(claim)],
            }
        )
    return items


def render_claimreview_json(
    d: dict[str, Any], *, publisher: str = "factdesk", publisher_url: str | None = None
) -> str:
    """:func:`render_claimreview` as pretty-printed JSON array text."""
    items = render_claimreview(d, publisher=publisher, publisher_url=publisher_url)
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
