"""Which claims of a checked article raise an alert, and where alerts go.

**When.** The report's per-claim ``matches`` are the imported ClaimReview records that the
matcher (:class:`factdesk.match.matcher.ClaimMatcher`) scored at or above its threshold (0.5):
the same claim, with negations, changed numbers, dates, people and places vetoed.  Each such
(claim, fact-check) pair is one alert:

* ``contradicts_factcheck`` when the check's verdict and the fact-check's rating disagree: the
  rating says false (:data:`FALSE_RATINGS`: "False", "Mostly false", "Pants on fire", "Fake" …)
  and the verdict is ``supported``, or the rating says true (:data:`TRUE_RATINGS`) and the verdict
  is ``refuted``;
* ``repeats_factcheck`` otherwise: the article repeats a claim that was fact-checked (whatever
  the rating; a "False" rating with a ``refuted`` or ``not_enough_evidence`` verdict is the common
  case: the article spreads a claim already debunked).

Ratings that are neither (``Misleading``, ``Mixture``, ``Unproven`` …) never contradict.

**Where.** :class:`TerminalSink` (one line each, or JSON lines with ``--json``),
:class:`JsonlSink` (appends one JSON object a line) and :class:`WebhookSink` (POSTs the same
object through the SSRF-guarded fetcher; a failure is logged and kept on the alert, never fatal).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import IO, Any, Protocol

from factdesk.errors import FactdeskError
from factdesk.ingest.url import post_json

log = logging.getLogger("factdesk.watch")

FALSE_RATINGS = frozenset({
    "false", "mostly false", "pants on fire", "incorrect", "fake", "wrong", "untrue", "not true", "fabricated",
    "baseless", "inaccurate", "hoax", "bogus", "four pinocchios", "debunked", "mostly incorrect", "totally false",
    "completely false", "false claim", "fake news",
})
TRUE_RATINGS = frozenset({
    "true", "mostly true", "correct", "accurate", "mostly correct", "mostly accurate", "geppetto checkmark",
    "verified", "confirmed",
})


def rating_class(rating: str | None) -> str | None:
    """``"false"``, ``"true"`` or None (mixed, misleading, unknown) for a free-text ClaimReview rating."""
    if not rating:
        return None
    text = re.sub(r"[^a-z ]+", " ", rating.lower())
    text = " ".join(text.split())
    if text in FALSE_RATINGS:
        return "false"
    if text in TRUE_RATINGS:
        return "true"
    return None


def contradicts(rating: str | None, verdict: str | None) -> bool:
    """True when the fact-check's rating and the check's verdict disagree (see the module docstring)."""
    cls = rating_class(rating)
    return (cls == "false" and verdict == "supported") or (cls == "true" and verdict == "refuted")


def alerts_for_report(report: dict[str, Any], *, feed_url: str, article_url: str,
                      content_source: str) -> list[dict[str, Any]]:
    """One alert per (claim, matched fact-check) in a JSON report; empty when nothing matched."""
    article = report.get("article") or {}
    out: list[dict[str, Any]] = []
    for claim in report.get("claims") or []:
        verdict = (claim.get("verdict") or {}).get("label")
        for match in claim.get("matches") or []:
            rating = match.get("rating")
            kind = "contradicts_factcheck" if contradicts(rating, verdict) else "repeats_factcheck"
            out.append({
                "kind": kind,
                "feed_url": feed_url,
                "article_url": article_url,
                "article_title": article.get("title"),
                "content_source": content_source,
                "report_id": report.get("id"),
                "claim_id": claim.get("id"),
                "claim": claim.get("text"),
                "verdict": verdict,
                "review": {"claim": match.get("claim"), "rating": rating, "rating_class": rating_class(rating),
                           "publisher": match.get("publisher"), "url": match.get("url"),
                           "date": match.get("date"), "score": match.get("score"),
                           "review_id": match.get("review_id")},
            })
    return out


def printable(value: Any) -> str:
    """Text safe to print on a terminal: control characters (escape sequences, C1 codes) become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in str(value))


def describe(alert: dict[str, Any]) -> str:
    """One line for the terminal (article and feed text cannot inject escape sequences)."""
    return printable(_describe(alert))


def _describe(alert: dict[str, Any]) -> str:
    review = alert.get("review") or {}
    what = "CONTRADICTS" if alert.get("kind") == "contradicts_factcheck" else "REPEATS"
    rated = f"rated {review.get('rating') or '(no rating)'}"
    if review.get("publisher"):
        rated += f" by {review['publisher']}"
    return (f"ALERT {what} a fact-check: {alert.get('claim')!r} (verdict {alert.get('verdict')}) — {rated}, "
            f"score {review.get('score')}, {review.get('url')} — in {alert.get('article_url')} "
            f"[report {alert.get('report_id')}]")


class Sink(Protocol):
    def send(self, alert: dict[str, Any]) -> str | None:
        """Deliver one alert; returns an error message (kept on the alert) or None."""


class TerminalSink:
    def __init__(self, stream: IO[str], *, as_json: bool = False) -> None:
        self.stream = stream
        self.as_json = as_json

    def send(self, alert: dict[str, Any]) -> str | None:
        # ASCII JSON: a C1 control character in an article cannot reach the terminal raw
        line = json.dumps({"event": "alert", **alert}, ensure_ascii=True) if self.as_json else describe(alert)
        print(line, file=self.stream, flush=True)
        return None


class JsonlSink:
    """Appends each alert as one JSON line (opened, written and closed per alert: safe to tail or rotate)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def send(self, alert: dict[str, Any]) -> str | None:
        line = json.dumps(alert, ensure_ascii=False) + "\n"
        try:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        except OSError as exc:
            message = f"cannot write alert to {self.path}: {exc.strerror or exc}"
            log.error(message)
            return message
        return None


class WebhookSink:
    """POSTs each alert as JSON to a URL, through the SSRF-guarded fetcher (redirects not followed)."""

    def __init__(self, url: str, *, allow_private: bool = False, timeout: float = 10.0) -> None:
        self.url = url
        self.allow_private = allow_private
        self.timeout = timeout

    def send(self, alert: dict[str, Any]) -> str | None:
        body = json.dumps(alert, ensure_ascii=False).encode("utf-8")
        try:
            post_json(self.url, body, allow_private=self.allow_private, timeout=self.timeout)
        except FactdeskError as exc:
            message = f"webhook: {exc}"
            log.error(message)
            return message
        return None
