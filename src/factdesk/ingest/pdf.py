"""PDF reader: the text of every page and the title/author/creation date, with pypdf.

Encrypted (unless openable with an empty password), malformed and text-less
PDFs raise InputError with a one-line message; pypdf's own exceptions never
escape.  Pages are separated by a blank line.

Example::

    >>> document_from_pdf(b"not a pdf")
    Traceback (most recent call last):
    ...
    factdesk.errors.InputError: the PDF input is not a PDF file (it does not start with %PDF)
"""

from __future__ import annotations

import io
import logging
import warnings

from factdesk.errors import InputError
from factdesk.ingest._common import parse_date
from factdesk.ingest.text import build_document
from factdesk.types import Document

log = logging.getLogger(__name__)

MAX_PAGES = 5000


def is_pdf(data: bytes) -> bool:
    """True when the %PDF marker is in the first KiB (where readers look for it)."""
    return b"%PDF-" in data[:1024]


def _meta_str(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def document_from_pdf(data: bytes, *, path: str | None = None, url: str | None = None) -> Document:
    """A Document from PDF bytes: all pages' text, metadata title/author/creation date."""
    where = path or url or "the PDF input"
    if not is_pdf(data):
        raise InputError(f"{where} is not a PDF file (it does not start with %PDF)")
    try:
        import pypdf  # noqa: F401 - only to say clearly when it is missing
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError("reading PDF needs the pypdf package", hint="pip install pypdf") from exc

    # pypdf logs and warns about every repaired defect; keep that out of the user's terminal
    pypdf_log = logging.getLogger("pypdf")
    old_level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text, info = _read(data, where)
    finally:
        pypdf_log.setLevel(old_level)

    if not text.strip():
        raise InputError(f"no extractable text in {where}",
                         hint="it may be a scanned image; factdesk does not do OCR — run OCR first")
    parsed = {
        "title": info.get("title"),
        "author": info.get("author"),
        "published": info.get("published"),
        "url": url,
        "path": path or url,
    }
    return build_document(text, "pdf", parsed, {}, title_from_first_line=not parsed["title"])


def _read(data: bytes, where: str) -> tuple[str, dict[str, str | None]]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - e.g. AES without the cryptography package
                raise InputError(f"{where} is encrypted and cannot be opened",
                                 hint="remove the password protection and try again") from exc
            if not opened:
                raise InputError(f"{where} is password-protected",
                                 hint="remove the password protection and try again")
        pages = reader.pages
        count = len(pages)
        if count == 0:
            raise InputError(f"{where} is a malformed PDF (no pages)")
        if count > MAX_PAGES:
            raise InputError(f"{where} has {count} pages, more than factdesk reads ({MAX_PAGES})")
        texts = []
        for i in range(count):
            try:
                texts.append(pages[i].extract_text() or "")
            except Exception:  # noqa: BLE001 - one broken page should not lose the rest
                log.debug("page %d of %s unreadable", i + 1, where, exc_info=True)
        info = _info(reader)
    except InputError:
        raise
    except RecursionError as exc:
        raise InputError(f"{where} is a malformed PDF (nested too deeply)") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds; none may leak
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InputError(f"{where} is a malformed PDF ({detail})") from exc
    text = "\n\n".join(t.strip() for t in texts if t and t.strip())
    return text, info


def _info(reader: object) -> dict[str, str | None]:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        return {}
    if not meta:
        return {}
    out: dict[str, str | None] = {}
    try:
        out["title"] = _meta_str(meta.get("/Title"))
        out["author"] = _meta_str(meta.get("/Author"))
    except Exception:  # noqa: BLE001
        pass
    raw_date = None
    try:
        raw_date = meta.get("/CreationDate")
    except Exception:  # noqa: BLE001
        pass
    out["published"] = parse_date(str(raw_date)) if raw_date else None
    return out


__all__ = ["document_from_pdf", "is_pdf"]
