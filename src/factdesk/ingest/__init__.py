"""Ingestion: files and URLs in, :class:`~factdesk.types.Document` out.

One reader per source kind (``text``, ``html``, ``pdf``, ``url``) and a small
dispatcher.  Every Document gets ``path`` (absolute file path or the URL),
``kind`` (text/markdown/html/pdf) and ``published`` as ISO ``YYYY-MM-DD`` or
None.  Text is normalised only lightly (NFC, ``\\n`` line ends, no trailing
spaces, at most one blank line in a row): later stages keep character offsets
into ``Document.text``.

Every refusal is an :class:`~factdesk.errors.InputError` (or its subclasses
FetchError / UnsafeURLError) with a one-line message.

Example::

    >>> from factdesk.ingest import load
    >>> load("corpus/dam.txt").published          # doctest: +SKIP
    '2024-03-01'
    >>> load("https://example.org/news/dam")      # doctest: +SKIP
    Document(text='The dam opened…', kind='html', …)
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from factdesk.errors import InputError, UnsafeURLError
from factdesk.ingest._common import decode_text_file, normalize_text, parse_date
from factdesk.ingest.html import document_from_html
from factdesk.ingest.pdf import document_from_pdf, is_pdf
from factdesk.ingest.text import document_from_markdown, document_from_text
from factdesk.ingest.url import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    DEFAULT_TIMEOUT,
    FetchedPage,
    document_from_url,
    fetch,
)
from factdesk.types import Document

SUPPORTED_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".pdf"}
DEFAULT_MAX_FILE_BYTES = 50_000_000  # local files (PDF reports with images run large)

# how each supported suffix is read (public: the web desk checks uploads against it)
KIND_BY_SUFFIX = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
                  ".html": "html", ".htm": "html", ".pdf": "pdf"}
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_WEB_LIKE = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/")


def _supported_list() -> str:
    return ", ".join(sorted(SUPPORTED_SUFFIXES))


def is_url(source: str | os.PathLike[str]) -> bool:
    """True when ``source`` looks like ``scheme://…`` (any scheme; only http(s) will be fetched)."""
    return isinstance(source, str) and bool(_URL_LIKE.match(source.strip()))


def load(source: str | os.PathLike[str], *, allow_private: bool = False, timeout: float = DEFAULT_TIMEOUT,
         max_bytes: int | None = None, max_redirects: int = DEFAULT_MAX_REDIRECTS) -> Document:
    """Read a file path or an http(s) URL into a Document.

    Other URL schemes (``file://``, ``ftp://`` …) raise UnsafeURLError; bad
    files raise InputError with a message that says what is wrong.
    ``max_bytes`` defaults to 10 MB for URLs and 50 MB for files.
    ``allow_private``, ``timeout`` and ``max_redirects`` apply to URLs only.
    """
    if is_url(source):
        url = str(source).strip()
        scheme = url.split(":", 1)[0].lower()
        if scheme not in {"http", "https"}:
            raise UnsafeURLError(f"refusing {url}: only http:// and https:// URLs can be fetched",
                                 hint=f"{scheme}:// is not supported; for a local file give its path")
        return document_from_url(url, allow_private=allow_private, timeout=timeout,
                                 max_bytes=DEFAULT_MAX_BYTES if max_bytes is None else max_bytes,
                                 max_redirects=max_redirects)
    return load_file(Path(source), max_bytes=DEFAULT_MAX_FILE_BYTES if max_bytes is None else max_bytes)


def _check_file(path: Path, max_bytes: int) -> tuple[Path, int]:
    shown = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        hint = None
        if _WEB_LIKE.match(shown):
            hint = f"if this is a web address, write it as https://{shown}"
        raise InputError(f"no such file: {shown}", hint=hint) from None
    except PermissionError:
        raise InputError(f"cannot read {shown}: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{shown} is a directory, not a file",
                         hint=f"to add a folder of documents to the corpus, run: factdesk index {shown}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{shown} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        what = f"'{path.suffix}'" if path.suffix else "(no extension)"
        raise InputError(f"unsupported file type {what} for {shown}: supported types are {_supported_list()}",
                         hint="convert it to .txt, .md, .html or .pdf first")
    if st.st_size > max_bytes:
        raise InputError(f"{shown} is larger than {max_bytes} bytes ({st.st_size} bytes)")
    if st.st_size == 0:
        raise InputError(f"{shown} is empty")
    return path, st.st_size


def load_file(path: Path | str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Document:
    """Read one file by its suffix (.txt .text .md .markdown .html .htm .pdf)."""
    path = Path(path).expanduser()
    _check_file(path, max_bytes)
    shown = str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise InputError(f"cannot read {shown}: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{shown} is larger than {max_bytes} bytes")
    return load_bytes(data, shown, path=str(path.resolve()))  # the same key the indexer stores


def load_bytes(data: bytes, name: str, *, path: str | None = None) -> Document:
    """Read a file's bytes by the suffix of ``name``: what :func:`load_file` read, or an upload.

    ``name`` is shown in messages; ``path`` (default: ``name``) becomes ``Document.path``.
    """
    shown = name
    suffix = Path(name).suffix.lower()
    kind = KIND_BY_SUFFIX.get(suffix)
    if kind is None:
        raise InputError(f"unsupported file type {suffix or '(no extension)'} for {shown}: supported types are "
                         f"{_supported_list()}", hint="convert it to .txt, .md, .html or .pdf first")
    if not data.strip():
        raise InputError(f"{shown} is empty")
    absolute = name if path is None else path
    if kind == "pdf":
        if not is_pdf(data):
            raise InputError(f"{shown} is not a PDF file (it does not start with %PDF)")
        return document_from_pdf(data, path=absolute)
    if kind == "html":
        if is_pdf(data):
            raise InputError(f"{shown} is a PDF file with an .html name", hint="rename it to .pdf")
        if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(f"{shown} looks like binary data, not text")
        return document_from_html(data, path=absolute)
    text = decode_text_file(data, shown)
    if not normalize_text(text):
        raise InputError(f"{shown} is empty")
    reader = document_from_markdown if kind == "markdown" else document_from_text
    doc = reader(text, path=absolute)
    if not doc.text:
        raise InputError(f"{shown} is empty", hint="it has a header but no text")
    return doc


def find_files(folder: Path | str | os.PathLike[str], *,
               unreadable: list[tuple[str, str]] | None = None) -> list[Path]:
    """Supported files under ``folder``, recursively, sorted; hidden files and folders skipped.

    Symbolic links to folders are not followed; a symbolic link to a file is
    kept only when its target lies inside ``folder``.  A file given as
    ``folder`` is returned alone when its type is supported.  Subfolders that
    cannot be listed are appended to ``unreadable`` as ``(path, reason)`` when
    it is given (never skipped without a word).  For folders of millions of
    files, :func:`iter_files` yields the same files without holding them all.
    """
    return sorted(iter_files(folder, unreadable=unreadable))


def iter_files(folder: Path | str | os.PathLike[str], *,
               unreadable: list[tuple[str, str]] | None = None) -> Iterator[Path]:
    """The files :func:`find_files` lists, yielded as the walk finds them (one folder listing in memory).

    The order is fixed: each folder's files by name, then its subfolders by name.
    """
    root = Path(folder).expanduser()
    if not root.exists():
        raise InputError(f"no such folder: {root}")
    if root.is_file():
        if root.suffix.lower() in SUPPORTED_SUFFIXES:
            yield root
        return
    real_root = root.resolve()

    def report(exc: OSError) -> None:
        if unreadable is not None:
            unreadable.append((str(exc.filename or root), f"cannot list this folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=report):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            candidate = Path(dirpath) / name
            if candidate.is_symlink():
                try:
                    target = candidate.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue
                if not target.is_relative_to(real_root) or not target.is_file():
                    continue
            elif not candidate.is_file():
                continue
            yield candidate


def file_sha256(path: Path | str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes (streamed)."""
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return h.hexdigest()


__all__ = [
    "SUPPORTED_SUFFIXES", "KIND_BY_SUFFIX", "DEFAULT_MAX_FILE_BYTES", "load", "load_file", "load_bytes",
    "find_files", "iter_files", "file_sha256", "is_url",
    "document_from_text", "document_from_markdown", "document_from_html", "document_from_pdf",
    "document_from_url", "fetch", "FetchedPage", "parse_date",
]
