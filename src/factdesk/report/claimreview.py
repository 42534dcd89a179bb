"""The report as schema.org ``ClaimReview`` JSON-LD, one item per checked claim.

ClaimReview is what a fact-checker puts on the page where a fact-check is
published, so search engines and fact-check archives can find it.  Claims
without a verdict (or without any claim text) are left out.  Each item has:

``claimReviewed``
    The claim's standalone form.
``datePublished``
    The report's date.
``url``
    The page where *this fact-check* is published, on the publisher's site
    (schema.org and Google want the fact-check's own page, never the page of
    the article that made the claim).  The first of these that is set wins:

    1. ``review_url`` (setting ``review_url_template``, flag ``--review-url``):
       a template with ``{report_id}`` and ``{claim_id}``, e.g.
       ``https://example.org/fact-checks/{report_id}#claim-{claim_id}``; both
       are percent-encoded when filled in.  It must give an absolute http(s)
       URL, else :class:`~factdesk.errors.ConfigError`.  A fixed URL (no
       placeholder) is allowed, for a single report published by hand.
    2. ``publisher_url`` (setting, flag ``--publisher-url``), the publisher's
       home page: ``<publisher_url>/factchecks/<report id>#claim-<claim id>``.
    3. For local use, the web desk's own page for the report at its default
       address (``factdesk serve`` listens on 127.0.0.1:8000):
       ``http://127.0.0.1:8000/checks/<report id>#claim-<claim id>``; the
       desk opens ``/checks/<report id>`` and marks each claim with the
       anchor ``claim-<claim id>``.  The web desk's own exports pass the
       address they were requested on instead (``desk_url``).  Set 1 or 2
       before publishing: a loopback URL means nothing to anyone else.

    Never a ``urn:`` and never the reviewed article's URL.
``author``
    The publisher, an ``Organization`` with ``name`` (``publisher``, default
    "factdesk") and ``url``: ``publisher_url``; else the site root of the
    ``review_url`` template; else the desk root of 3 above.
``reviewRating``
    See the rating mapping below.
``itemReviewed``
    The ``Claim``: its ``author`` (below), ``datePublished`` (the article's
    date, when known) and where it appeared, ``appearance`` (a one-item
    list) and ``firstAppearance``: the article as a ``CreativeWork`` with its
    http(s) ``url``, ``headline``, ``datePublished`` and ``author`` (the
    article's author, a Person, else its source, an Organization), each only
    when known.  A file without a URL still gets a headline-only work.
``reviewBody``
    The verdict's explanation.
``citation``
    The http(s) URLs of the evidence not marked irrelevant, in order, without
    repeats, followed by the claim's earlier fact-checks.

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

The JSON text (:func:`render_claimreview_json`) writes ``<``, ``>`` and ``&``
as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (and U+2028/U+2029 escaped), so it
can be pasted into an HTML ``<script type="application/ld+json">`` element
as is: hostile claim or evidence text cannot close the script element.  It
parses back to the same strings.

``claimreview-schema.json`` (next to this module; :func:`load_claimreview_schema`)
is a JSON Schema for one exported item, written from schema.org's ClaimReview,
Claim and Rating definitions and Google's required and recommended properties;
:func:`validate_claimreview` applies it plus the checks a JSON Schema cannot
express (``worstRating`` < ``bestRating``, ``ratingValue`` between them).
"""

from __future__ import annotations

import copy
import json
import string
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from factdesk.errors import ConfigError, InputError
from factdesk.report._common import claims_of, iso_day, label_of, one_line, safe_http_url, text

RATINGS: dict[str, tuple[int, str]] = {
    "supported": (5, "Supported"),
    "refuted": (1, "Refuted"),
    "conflicting": (3, "Conflicting evidence"),
    "not_enough_evidence": (3, "Not enough evidence"),
}
BEST_RATING = 5
WORST_RATING = 1

DEFAULT_PUBLISHER = "factdesk"
#: The web desk's default address (``factdesk serve``: 127.0.0.1, port 8000).
LOCAL_DESK_URL = "http://127.0.0.1:8000/"
TEMPLATE_FIELDS = ("report_id", "claim_id")
_TEMPLATE_HINT = ("give an absolute http(s) URL with {report_id} and {claim_id}, "
                  "e.g. https://example.org/fact-checks/{report_id}#claim-{claim_id}")


@dataclass(frozen=True)
class Publishing:
    """Who publishes the ClaimReview and where; see the module docstring for the URL rules.

    Build it with :func:`publishing`, which checks the values.
    """

    publisher: str = DEFAULT_PUBLISHER
    publisher_url: str | None = None
    review_url: str | None = None  # the template
    desk_url: str = LOCAL_DESK_URL

    def review_page(self, report_id: str, claim_id: str) -> str:
        """The URL of the page that publishes the review of one claim."""
        rid, cid = quote(report_id, safe=""), quote(claim_id, safe="")
        if self.review_url:
            return _fill(self.review_url, {"report_id": rid, "claim_id": cid})
        fragment = "claim-" + cid
        if self.publisher_url:
            return _under(self.publisher_url, "factchecks/" + rid, fragment)
        return _under(self.desk_url, "checks/" + rid, fragment)

    def author(self) -> dict[str, str]:
        """The publisher as a schema.org Organization with ``name`` and ``url``."""
        if self.publisher_url:
            url = self.publisher_url
        elif self.review_url:
            parts = urlsplit(_fill(self.review_url, {"report_id": "r", "claim_id": "c"}))
            url = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
        else:
            url = self.desk_url
        return {"@type": "Organization", "name": self.publisher, "url": url}


def publishing(publisher: str | None = None, publisher_url: str | None = None, review_url: str | None = None,
               desk_url: str | None = None) -> Publishing:
    """Checked :class:`Publishing`; empty strings count as not set.

    Raises :class:`~factdesk.errors.ConfigError` (with a hint) for a
    ``publisher_url`` or ``desk_url`` that is not an absolute http(s) URL and
    for a ``review_url`` template that has unknown placeholders, broken braces
    or does not give an absolute http(s) URL.
    """
    name = one_line(publisher) or DEFAULT_PUBLISHER
    home = (publisher_url or "").strip() or None
    if home is not None and not safe_http_url(home):
        raise ConfigError(f"the publisher URL {home!r} is not an absolute http(s) URL",
                          hint="give the publisher's home page, e.g. --publisher-url https://example.org/")
    template = (review_url or "").strip() or None
    if template is not None:
        _check_template(template)
    desk = (desk_url or "").strip() or LOCAL_DESK_URL
    if not safe_http_url(desk):
        raise ConfigError(f"the desk URL {desk!r} is not an absolute http(s) URL")
    return Publishing(publisher=name, publisher_url=home, review_url=template, desk_url=desk)


def _pieces(template: str) -> list[tuple[str, str | None]]:
    """``(literal, field)`` pairs of a template; ConfigError for anything but plain known fields."""
    out: list[tuple[str, str | None]] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ConfigError(f"the review URL template {template!r} has unbalanced braces ({exc})",
                          hint=_TEMPLATE_HINT + "; write a literal brace as {{ or }}") from None
    for literal, field, spec, conversion in parsed:
        if field is not None and (field not in TEMPLATE_FIELDS or spec or conversion):
            shown = "{" + field + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
            raise ConfigError(f"the review URL template {template!r} has an unknown placeholder {shown}",
                              hint="only {report_id} and {claim_id} are filled in; " + _TEMPLATE_HINT)
        out.append((literal, field))
    return out


def _fill(template: str, values: dict[str, str]) -> str:
    return "".join(literal + (values[field] if field else "") for literal, field in _pieces(template))


def _check_template(template: str) -> None:
    sample = _fill(template, {"report_id": "0123abcd", "claim_id": "c1"})
    if not safe_http_url(sample):
        raise ConfigError(f"the review URL template {template!r} does not give an absolute http(s) URL "
                          f"(it gives {sample!r})", hint=_TEMPLATE_HINT)


def _under(base: str, path: str, fragment: str) -> str:
    """``base`` with ``path`` appended to its path, no query, and ``fragment``."""
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/" + path, "", fragment))


def _claim_author(claim: dict[str, Any], article: dict[str, Any]) -> dict[str, str] | None:
    who = one_line(claim.get("attributed_to"))
    if who:
        return {"@type": "Person", "name": who}
    if text(claim.get("kind")) in ("quoted", "rebutted"):
        return None
    return _article_author(article)


def _article_author(article: dict[str, Any]) -> dict[str, str] | None:
    if one_line(article.get("author")):
        return {"@type": "Person", "name": one_line(article.get("author"))}
    if one_line(article.get("source")):
        return {"@type": "Organization", "name": one_line(article.get("source"))}
    return None


def _appearance(article: dict[str, Any]) -> dict[str, Any] | None:
    work: dict[str, Any] = {"@type": "CreativeWork"}
    url = safe_http_url(article.get("url"))
    if url:
        work["url"] = url
    if one_line(article.get("title")):
        work["headline"] = one_line(article.get("title"))
    if iso_day(article.get("published")):
        work["datePublished"] = iso_day(article.get("published")) or ""
    author = _article_author(article)
    if author:
        work["author"] = author
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
    d: dict[str, Any],
    *,
    publisher: str | None = DEFAULT_PUBLISHER,
    publisher_url: str | None = None,
    review_url: str | None = None,
    desk_url: str | None = None,
) -> list[dict[str, Any]]:
    """ClaimReview JSON-LD objects for the report dict's checked claims.

    ``publisher`` names the publisher (``author.name``), ``publisher_url`` is
    its home page, ``review_url`` a template for the page of each review and
    ``desk_url`` the web desk's root (default :data:`LOCAL_DESK_URL`); how
    they make ``url`` and ``author`` is in the module docstring.  Bad values
    raise :class:`~factdesk.errors.ConfigError`.
    """
    pub = publishing(publisher, publisher_url, review_url, desk_url)
    raw_article = d.get("article")
    article: dict[str, Any] = raw_article if isinstance(raw_article, dict) else {}
    report_id = text(d.get("id"))
    review_date = iso_day(d.get("created")) or date.today().isoformat()
    org = pub.author()

    items = []
    for claim in claims_of(d):
        label = label_of(claim)
        reviewed = one_line(claim.get("standalone")) or one_line(claim.get("text"))
        if label is None or not reviewed:
            continue
        verdict = claim["verdict"]
        value, name = RATINGS[label]
        claim_id = text(claim.get("id"))

        item_reviewed: dict[str, Any] = {"@type": "Claim"}
        author = _claim_author(claim, article)
        if author:
            item_reviewed["author"] = author
        if iso_day(article.get("published")):
            item_reviewed["datePublished"] = iso_day(article.get("published"))
        appearance = _appearance(article)
        if appearance:
            item_reviewed["appearance"] = [appearance]
            item_reviewed["firstAppearance"] = copy.deepcopy(appearance)

        items.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "claimReviewed": reviewed,
                "datePublished": review_date,
                "url": pub.review_page(report_id, claim_id),
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


_SCRIPT_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_safe_json(value: Any) -> str:
    """Pretty-printed JSON that is also safe inside an HTML ``<script>`` element.

    ``<``, ``>``, ``&`` (and U+2028/U+2029) only occur inside JSON strings, so
    writing them as ``\\uXXXX`` escapes keeps the same JSON value.
    """
    out = json.dumps(value, indent=2, ensure_ascii=False)
    for raw, escaped in _SCRIPT_SAFE.items():
        out = out.replace(raw, escaped)
    return out


def render_claimreview_json(
    d: dict[str, Any],
    *,
    publisher: str | None = DEFAULT_PUBLISHER,
    publisher_url: str | None = None,
    review_url: str | None = None,
    desk_url: str | None = None,
) -> str:
    """:func:`render_claimreview` as pretty-printed JSON array text, safe to embed in a script element."""
    items = render_claimreview(d, publisher=publisher, publisher_url=publisher_url, review_url=review_url,
                               desk_url=desk_url)
    return script_safe_json(items) + "\n"


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("factdesk.report").joinpath("claimreview-schema.json").read_text(encoding="utf-8")


def load_claimreview_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one exported ClaimReview item, as a fresh dict."""
    return json.loads(_schema_text())


def validate_claimreview(item: dict[str, Any]) -> None:
    """Check one exported item; :class:`~factdesk.errors.InputError` names the first problem.

    Applies ``claimreview-schema.json`` and then what a JSON Schema cannot
    compare: ``worstRating`` < ``bestRating`` and ``ratingValue`` between them.
    Needs the optional ``jsonschema`` package (``pip install factdesk[test]``).
    """
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("validating ClaimReview needs the jsonschema package",
                          hint="pip install jsonschema") from exc
    validator = jsonschema.Draft202012Validator(load_claimreview_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(item))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"not a valid ClaimReview at {where}: {error.message}")
    rating = item["reviewRating"]
    worst, best, value = rating["worstRating"], rating["bestRating"], rating["ratingValue"]
    if not worst < best:
        raise InputError(f"not a valid ClaimReview at reviewRating: worstRating {worst} is not below "
                         f"bestRating {best}")
    if not worst <= value <= best:
        raise InputError(f"not a valid ClaimReview at reviewRating: ratingValue {value} is outside "
                         f"{worst}..{best}")
