"""The articles of a batch run: a folder of files, a JSONL manifest or a Parquet file.

Every article gets a stable id that names its report file, so a re-run finds the reports it
already wrote: a manifest's own ``id``, else a hash of the article's content (a file's bytes, a
manifest row's text, or its URL).  Ids are kept to ``[A-Za-z0-9._-]`` so they are safe file names.

Example::

    >>> from factdesk.scale.articles import read_articles
    >>> [a.id for a in read_articles("articles.jsonl")]       # doctest: +SKIP
    ['bbc-2024-001', 'bbc-2024-002']
    >>> read_articles("news/")[0]                              # doctest: +SKIP
    Article(id='a3f1c…', path='/abs/news/dam.html', url=None, text=None, title=None, published=None)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from factdesk import ingest
from factdesk.errors import ConfigError, InputError
from factdesk.jsonlines import iter_jsonl
from factdesk.types import Document

# the columns a manifest row (JSONL object or Parquet row) may have
MANIFEST_COLUMNS = ("id", "path", "url", "text", "title", "published")
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]")
_MAX_ID = 120


@dataclass(frozen=True)
class Article:
    """One article to check: exactly one of ``path``, ``url`` or ``text``, under a stable ``id``.

    ``title`` and ``published`` (ISO date) from a manifest override what the reader finds.

    Example::

        >>> Article(id="n1", text="The dam opened in 1998.", published="2024-03-01").source
        'text'
    """

    id: str
    path: str | None = None
    url: str | None = None
    text: str | None = None
    title: str | None = None
    published: str | None = None

    @property
    def source(self) -> str:
        """Where the article comes from, for messages: its path, its URL, or ``text``."""
        return self.path or self.url or "text"

    def to_row(self) -> dict[str, str | None]:
        """The article as a flat row (a Spark DataFrame row, a JSON object)."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: Any) -> "Article":
        """An article from a row with the :data:`MANIFEST_COLUMNS` (a dict or a Spark Row)."""
        data = row.asDict() if hasattr(row, "asDict") else dict(row)
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})

    def load(self, *, allow_private: bool = False, timeout: float = 20.0, max_bytes: int | None = None
             ) -> Document:
        """Read the article into a Document (files and URLs through :mod:`factdesk.ingest`)."""
        if self.text is not None:
            if not self.text.strip():
                raise InputError(f"article {self.id}: its text is empty")
            doc = ingest.document_from_text(self.text, path=f"manifest:{self.id}")
        else:
            doc = ingest.load(self.path or self.url or "", allow_private=allow_private, timeout=timeout,
                              max_bytes=max_bytes)
        if self.title or self.published:
            # id="" lets the Document hash its id again over the manifest's title
            doc = replace(doc, title=self.title or doc.title, published=self.published or doc.published, id="")
        return doc


def read_articles(source: str | Path) -> list[Article]:
    """The articles in a folder (supported files, recursively), a ``.jsonl`` manifest or a ``.parquet`` file.

    Raises :class:`~factdesk.errors.InputError` for a missing input, a bad manifest row or a
    duplicate manifest id.  Files of a folder with the same content are one article (one report).
    """
    p = Path(source).expanduser()
    if not p.exists():
        raise InputError(f"no such file or folder: {source}")
    if p.is_dir():
        return _unique(_folder_articles(p), str(p), duplicates_ok=True)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _unique((_manifest_article(obj, p.parent, f"{p.name} line {n}") for n, obj in iter_jsonl(p)), p.name)
    if suffix in (".parquet", ".pq"):
        return _unique(_parquet_articles(p), p.name)
    raise InputError(f"{source} is not a folder, a .jsonl manifest or a .parquet file",
                     hint="give a folder of articles, or a manifest with one {\"id\", \"path\"|\"url\"|\"text\"} a line")


def content_id(data: bytes) -> str:
    """The id of an article with this content: ``a`` and 16 hex digits of its sha256."""
    return "a" + hashlib.sha256(data).hexdigest()[:16]


def safe_id(raw: object) -> str:
    """A manifest id as a file name: unsafe characters become ``_`` plus a short hash (so ids stay distinct)."""
    text = str(raw).strip()
    if not text:
        raise ValueError("empty id")
    cleaned = _SAFE_ID.sub("_", text)[:_MAX_ID].lstrip(".") or "_"
    if cleaned != text:
        cleaned += "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return cleaned


def _folder_articles(root: Path) -> Iterator[Article]:
    for f in ingest.find_files(root):
        path = str(f.resolve())
        try:
            digest = ingest.file_sha256(f)
            article_id = "a" + digest[:16]
        except InputError:
            # unreadable now: named by its path, so the check records the reason under a stable id
            article_id = "p" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]
        yield Article(id=article_id, path=path)


def _manifest_article(obj: dict[str, Any], base: Path, where: str) -> Article:
    unknown = sorted(set(obj) - set(MANIFEST_COLUMNS))
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}",
                         hint=f"a manifest row has {', '.join(MANIFEST_COLUMNS)}")
    given = [k for k in ("path", "url", "text") if obj.get(k) not in (None, "")]
    if len(given) != 1:
        raise InputError(f"{where}: give exactly one of path, url or text (got {', '.join(given) or 'none'})")
    for key in ("path", "url", "text", "title", "published"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InputError(f"{where}: {key} must be a string")
    published = obj.get("published") or None
    if published is not None:
        try:
            date.fromisoformat(published)
        except ValueError:
            raise InputError(f"{where}: published {published!r} is not an ISO date (YYYY-MM-DD)") from None
    path = obj.get("path") or None
    if path is not None and not Path(path).expanduser().is_absolute():
        path = str((base / path).resolve())  # relative to the manifest, not to the working directory
    raw_id = obj.get("id")
    if raw_id in (None, ""):
        if path is not None:
            try:
                article_id = "a" + ingest.file_sha256(path)[:16]
            except InputError:
                article_id = "p" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]
        else:
            article_id = content_id((obj.get("text") or obj.get("url") or "").encode("utf-8"))
    else:
        try:
            article_id = safe_id(raw_id)
        except ValueError:
            raise InputError(f"{where}: empty id") from None
    return Article(id=article_id, path=path, url=obj.get("url") or None, text=obj.get("text"),
                   title=obj.get("title") or None, published=published)


def _parquet_articles(p: Path) -> Iterator[Article]:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError as exc:
        raise ConfigError("reading a Parquet manifest needs pyarrow",
                          hint="pip install pyarrow (or give a JSONL manifest)") from exc
    try:
        table = pq.read_table(p)
    except Exception as exc:  # noqa: BLE001 - pyarrow's errors vary by version; the message says enough
        raise InputError(f"cannot read {p.name} as Parquet: {exc}") from exc
    columns = [c for c in table.column_names if c in MANIFEST_COLUMNS]
    for n, row in enumerate(table.select(columns).to_pylist(), start=1):
        yield _manifest_article({k: v for k, v in row.items() if v is not None}, p.parent, f"{p.name} row {n}")


def _unique(articles: Iterable[Article], where: str, *, duplicates_ok: bool = False) -> list[Article]:
    seen: dict[str, Article] = {}
    for a in articles:
        if a.id in seen:
            if duplicates_ok:
                continue  # the same bytes twice: one article, one report
            raise InputError(f"{where}: duplicate article id {a.id!r}", hint="each manifest row needs its own id")
        seen[a.id] = a
    return list(seen.values())
