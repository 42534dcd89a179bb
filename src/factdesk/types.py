"""The plain data that flows between factdesk's stages.

Every stage takes and returns these dataclasses; none of them holds a
connection, a model or any other resource.  Ids are content hashes, so the
same text ingested twice gets the same id (re-indexing is idempotent).

This module imports nothing from the stages: reading text into a Document (its ``date``
header, dateline, title) is :func:`factdesk.ingest.document_from_text`.

Example::

    >>> doc = Document(text="The dam opened in 1998.", published="2024-03-01")
    >>> doc.id == Document(text="The dam opened in 1998.", published="2024-03-01").id
    True
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import Enum
from typing import Any


def content_id(*parts: object, prefix: str = "", length: int = 16) -> str:
    """A stable id from the parts' text: sha256, hex, shortened."""
    h = hashlib.sha256()
    for part in parts:
        h.update(str(part if part is not None else "").encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return prefix + h.hexdigest()[:length]


class ClaimKind(str, Enum):
    ASSERTION = "assertion"  # the article states it in its own voice
    QUOTED = "quoted"  # the article reports someone else saying it
    REBUTTED = "rebutted"  # a claim the article sets up in order to rebut it ("Claim: ...")
    REBUTTAL = "rebuttal"  # the article's answer to a rebutted claim ("Fact: ...")


class Stance(str, Enum):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    NEUTRAL = "neutral"


class Label(str, Enum):
    SUPPORTED = "supported"
    REFUTED = "refuted"
    NOT_ENOUGH_EVIDENCE = "not_enough_evidence"
    CONFLICTING = "conflicting"


@dataclass
class Document:
    """One ingested text: an article to check or a corpus document.

    ``published`` is an ISO date (``YYYY-MM-DD``) or ``None`` when unknown.
    ``kind`` names the reader that produced it: text, markdown, html, pdf.
    """

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    url: str | None = None
    source: str | None = None  # site or publisher name, when known
    path: str | None = None  # where it was read from (file path or URL)
    kind: str = "text"
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = content_id(self.text, self.title, self.url, prefix="d")

    @property
    def published_date(self) -> date | None:
        return date.fromisoformat(self.published) if self.published else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """A window of sentences from a corpus document, the unit of evidence."""

    document_id: str
    text: str
    start: int  # character offsets into the document text
    end: int
    position: int = 0  # index of the passage within its document
    title: str | None = None
    published: str | None = None
    url: str | None = None
    source: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = content_id(self.document_id, self.start, self.end, self.text, prefix="p")


@dataclass
class Claim:
    """A check-worthy statement found in an article.

    ``start``/``end`` are character offsets into the article text; ``text`` is
    exactly ``article.text[start:end]``.  ``standalone`` is the claim rewritten
    to make sense alone (pronouns and relative dates resolved).  ``checked_as`` is
    what evidence is searched for and judged against: the standalone claim without
    its speech act ("…, said Mayor X" checks whether "…" is true; whether X said it
    is the quote-provenance check).  Empty means the standalone form.
    """

    text: str
    start: int
    end: int
    checkworthiness: float
    kind: ClaimKind = ClaimKind.ASSERTION
    attributed_to: str | None = None
    responds_to: str | None = None  # id of the claim this one rebuts
    standalone: str = ""
    dates: list[str] = field(default_factory=list)  # resolved ISO dates or years
    sentence_index: int = 0
    id: str = ""
    checked_as: str = ""

    def __post_init__(self) -> None:
        if not self.standalone:
            self.standalone = self.text
        if not self.id:
            self.id = content_id(self.start, self.end, self.text, prefix="c", length=12)

    @property
    def to_check(self) -> str:
        """What retrieval, matching and the verifier work on: ``checked_as``, else the standalone form."""
        return self.checked_as or self.standalone or self.text


@dataclass
class TimelineEvent:
    date: str  # ISO date, or a year "YYYY", or "YYYY-MM"
    text: str
    claim_id: str | None = None


@dataclass
class ClaimSet:
    """What the claims stage returns for one article."""

    claims: list[Claim]
    timeline: list[TimelineEvent] = field(default_factory=list)
    sentences: int = 0  # how many sentences were scored
    left_out: int = 0  # check-worthy claims over the max_claims cap, not kept


@dataclass
class Hit:
    """A passage returned by retrieval, with how it ranked."""

    passage: Passage
    score: float  # fused score (higher is better)
    lexical_rank: int | None = None
    dense_rank: int | None = None
    dense_similarity: float | None = None
    after_claim_date: bool = False
    # where an outside source's hit came from: source, query, url, fetched_at, content_hash, snapshot_id
    provenance: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """One search hit as the CLI's ``search --json`` and the web desk's search API give it."""
        p = self.passage
        return {"passage_id": p.id, "document_id": p.document_id, "title": p.title, "url": p.url,
                "published": p.published, "source": p.source, "score": round(float(self.score), 4),
                "after_date": self.after_claim_date, "text": p.text}


@dataclass
class Evidence:
    """A retrieved passage judged against one claim."""

    passage: Passage
    score: float  # retrieval score
    stance: Stance = Stance.NEUTRAL
    stance_probability: float = 0.0
    probabilities: dict[str, float] = field(default_factory=dict)
    after_claim_date: bool = False
    irrelevant: bool = False  # set by a reviewer
    key_sentence: str | None = None  # the sentence most about the claim, in a passage of several
    provenance: dict[str, Any] | None = None  # for evidence from an outside source (see Hit.provenance)


@dataclass
class Verdict:
    label: Label
    confidence: float
    explanation: str
    evidence_ids: list[str] = field(default_factory=list)  # passages that decide it


@dataclass
class CheckedClaim:
    claim: Claim
    evidence: list[Evidence] = field(default_factory=list)
    verdict: Verdict | None = None


@dataclass
class Report:
    """A claim-by-claim fact-check of one article."""

    article: Document
    claims: list[CheckedClaim]
    timeline: list[TimelineEvent] = field(default_factory=list)
    created: str = ""  # ISO timestamp
    verifier: str = ""
    id: str = ""
    left_out: int = 0  # check-worthy claims over the max_claims cap, not checked

    def __post_init__(self) -> None:
        if not self.id:
            self.id = content_id(self.article.id, self.created, self.verifier, prefix="r", length=12)


@dataclass
class IndexStats:
    """What one ``factdesk index`` run did (``--json`` prints :meth:`to_dict`)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    passages: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "passages": self.passages, "seconds": round(self.seconds, 2),
                "failed": [{"path": p, "error": e} for p, e in self.failed]}
