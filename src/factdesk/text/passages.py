"""Cut a document into passages: overlapping windows of sentences (shared by retrieve and sources).

A passage is ``window`` consecutive sentences; the next one starts ``stride``
sentences later, so neighbours overlap by ``window - stride`` sentences and
every sentence is in at least one passage.  Windows stay inside a paragraph
where they can: a paragraph with at least ``window`` sentences gets its own
windows, while runs of short paragraphs (news articles are full of one- and
two-sentence paragraphs) are grouped so their passages still carry context.
A passage never exceeds ``max_chars`` unless one sentence piece alone does,
and a sentence longer than ``max_chars`` is cut at whitespace into pieces.

``text`` is always exactly ``doc.text[start:end]``.

Example::

    >>> from factdesk.types import Document
    >>> doc = Document(text="One. Two. Three. Four. Five.")
    >>> [p.text for p in make_passages(doc, window=3, stride=2)]
    ['One. Two. Three.', 'Three. Four. Five.']
"""

from __future__ import annotations

from factdesk.text.sentences import split_sentences
from factdesk.types import Document, Passage


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split text[start:end] into spans of at most max_chars, preferring whitespace cuts."""
    spans = []
    while end - start > max_chars:
        cut = start + max_chars
        space = text.rfind(" ", start + max_chars // 2, cut + 1)
        if space > start:
            cut = space
        piece_end = cut
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        spans.append((start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        spans.append((start, end))
    return spans


def make_passages(doc: Document, *, window: int = 3, stride: int = 2, max_chars: int = 900) -> list[Passage]:
    """Sentence-window passages of ``doc`` with its title/published/url/source."""
    if window < 1 or stride < 1:
        raise ValueError("window and stride must be at least 1")
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    text = doc.text or ""
    units: list[tuple[int, int, int]] = []  # (start, end, paragraph)
    for s in split_sentences(text):
        for a, b in _cut_long(text, s.start, s.end, max_chars):
            units.append((a, b, s.paragraph))
    if not units:
        return []

    spans: list[tuple[int, int]] = []
    if len(units) <= window and units[-1][1] - units[0][0] <= max_chars:
        spans.append((units[0][0], units[-1][1]))  # a short document: one passage
    else:
        for block in _blocks(units, window):
            spans.extend(_windows(block, window, stride, max_chars))

    meta = dict(title=doc.title, published=doc.published, url=doc.url, source=doc.source)
    return [Passage(document_id=doc.id, text=text[a:b], start=a, end=b, position=i, **meta)
            for i, (a, b) in enumerate(spans)]


def _blocks(units: list[tuple[int, int, int]], window: int) -> list[list[tuple[int, int, int]]]:
    """Group units by paragraph; each run of paragraphs shorter than ``window`` forms one block."""
    paragraphs: list[list[tuple[int, int, int]]] = []
    for u in units:
        if paragraphs and paragraphs[-1][-1][2] == u[2]:
            paragraphs[-1].append(u)
        else:
            paragraphs.append([u])
    blocks: list[list[tuple[int, int, int]]] = []
    pending: list[tuple[int, int, int]] = []  # a run of consecutive short paragraphs
    for para in paragraphs:
        if len(para) >= window:
            if pending:
                blocks.append(pending)
                pending = []
            blocks.append(para)
        else:
            pending.extend(para)
    if pending:
        blocks.append(pending)
    return blocks


def _windows(block: list[tuple[int, int, int]], window: int, stride: int, max_chars: int) -> list[tuple[int, int]]:
    out = []
    i, n = 0, len(block)
    while i < n:
        j = i + 1  # always take at least one unit
        while j < min(n, i + window) and block[j][1] - block[i][0] <= max_chars:
            j += 1
        out.append((block[i][0], block[j - 1][1]))
        if j >= n:
            break
        i += max(1, min(stride, j - i))
    return out
