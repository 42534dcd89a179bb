"""Helpers shared by the readers: text normalisation, dates, byte decoding.

Everything here is pure and cheap; no reader imports a heavy library at
module import time.

Example::

    >>> normalize_text("Caf\\u0065\\u0301 \\r\\nopen.  \\n\\n\\n\\nYes")
    'Café\\nopen.\\n\\nYes'
    >>> parse_date("3 March 2024"), parse_date("D:20240303120000+01'00'"), parse_date("2024")
    ('2024-03-03', '2024-03-03', None)
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from datetime import date, datetime

from factdesk.errors import InputError

_BLANK_RUN = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0\u3000]+$", re.MULTILINE)


def normalize_text(text: str) -> str:
    """NFC, ``\\r\\n``/``\\r`` to ``\\n``, no trailing spaces, at most one blank line in a row.

    Leading and trailing blank space of the whole text is dropped too.  Nothing
    else changes: downstream stages keep character offsets into this text.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE.sub("", text)
    text = _BLANK_RUN.sub("\n\n", text)
    return text.strip()


# --------------------------------------------------------------------- dates

_MIN_YEAR, _MAX_YEAR = 1800, 2200
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])")
_PDF_DATE = re.compile(r"^\s*D:(\d{4})(\d{2})(\d{2})")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def _iso(year: int, month: int, day: int) -> str | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(value: object) -> str | None:
    """A publication date from metadata as ISO ``YYYY-MM-DD``, or None.

    Accepts date/datetime objects, ISO dates and timestamps, PDF dates
    (``D:20240303…``), ``20240303`` and written dates ("March 3, 2024",
    "3 Mar 2024", "Sun, 03 Mar 2024 10:00:00 GMT").  A value without a full
    day (just "2024" or "March 2024") gives None rather than a guessed day.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _iso(value.year, value.month, value.day)
    if isinstance(value, date):
        return _iso(value.year, value.month, value.day)
    text = str(value).strip()
    if not text or len(text) > 100:
        return None
    for pattern in (_ISO_DATE, _PDF_DATE, _COMPACT_DATE):
        m = pattern.match(text)
        if m:
            return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if not re.search(r"\d{4}", text):  # no year: never guess one
        return None
    try:
        from dateutil import parser as dateparser

        # parse twice with different defaults: a field that changes was missing
        first = dateparser.parse(text, default=datetime(2000, 1, 1), fuzzy=False)
        second = dateparser.parse(text, default=datetime(2001, 2, 2), fuzzy=False)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None
    return _iso(first.year, first.month, first.day)


# ------------------------------------------------------------- byte decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that browsers treat as windows-1252 (WHATWG encoding standard).
_WESTERN_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "cp1252",
                   "windows-1252", "x-cp1252", "cp819", "ibm819", "iso_8859-1", "iso-ir-100", "csisolatin1"}


def strip_bom(data: bytes) -> tuple[bytes, str | None]:
    """``(data without its byte-order mark, encoding the mark names)``."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):], encoding
    return data, None


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a declared charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("'\"").lower()
    if label in _WESTERN_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_cp1252(data: bytes) -> str:
    """windows-1252 as browsers do it: the five unassigned bytes map to C1 controls."""
    return "".join(
        chunk.decode("cp1252") if i % 2 == 0 else chunk.decode("latin-1")
        for i, chunk in enumerate(re.split(rb"([\x81\x8d\x8f\x90\x9d]+)", data))
    )


def _is_utf8_with_non_ascii(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b >= 0x80 for b in data)


def decode_bytes(data: bytes, declared: list[str | None] | tuple[str | None, ...] = ()) -> tuple[str, str]:
    """Decode bytes robustly: ``(text, encoding used)``; never raises.

    Order: byte-order mark; then each declared charset that decodes cleanly
    (a declared single-byte Western charset loses to UTF-8 when the bytes are
    valid UTF-8 with non-ASCII characters, the commonest mislabelling); then
    UTF-8; then charset_normalizer's best guess; then windows-1252.
    """
    body, bom_encoding = strip_bom(data)
    if bom_encoding:
        return body.decode(bom_encoding, errors="replace"), bom_encoding
    candidates: list[str] = []
    for label in declared:
        codec = normalize_charset(label)
        if codec and codec not in candidates and not codec.startswith(("utf-16", "utf-32")):
            candidates.append(codec)
    if candidates and candidates[0] != "utf-8" and _is_utf8_with_non_ascii(data):
        if candidates[0] == "cp1252" or codecs.lookup(candidates[0]).name.startswith(("iso8859", "cp125")):
            candidates.insert(0, "utf-8")
    if "utf-8" not in candidates:
        candidates.append("utf-8")
    for codec in candidates:
        try:
            text = decode_cp1252(data) if codec == "cp1252" else data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        return text, codec
    guessed = _guess_encoding(data)
    if guessed:
        try:
            return data.decode(guessed), guessed
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_cp1252(data), "cp1252"


def _guess_encoding(data: bytes) -> str | None:
    """charset_normalizer's best guess, with ties going to windows-1252.

    On short Western text the guesser often rates cp1250 and cp1252 equally
    and picks the first; windows-1252 is by far the commoner on the web.
    """
    if len(data) < 16:
        return "cp1252"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency of trafilatura and requests
        return None
    try:
        matches = list(from_bytes(data[:200_000]))
    except Exception:  # noqa: BLE001 - a guesser must never break reading
        return None
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if (match.encoding in {"cp1252", "windows_1252"} and match.chaos <= best.chaos + 0.01
                and match.coherence >= best.coherence - 0.05):
            return "cp1252"
    return best.encoding


def control_ratio(text: str) -> float:
    """Share of characters that are control characters other than ordinary whitespace."""
    if not text:
        return 0.0
    bad = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    return bad / len(text)


def decode_text_file(data: bytes, name: str) -> str:
    """Decode a plain-text or Markdown file; InputError when it is really binary data."""
    body, bom_encoding = strip_bom(data)
    if bom_encoding:
        text = body.decode(bom_encoding, errors="replace")
    else:
        if b"\x00" in data:
            raise binary_error(name)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            guessed = _guess_encoding(data)
            if guessed is None:
                raise binary_error(name) from None
            try:
                text = data.decode(guessed)
            except (UnicodeDecodeError, LookupError):
                raise binary_error(name) from None
    if control_ratio(text) > 0.02 or text.count("\ufffd") > max(8, len(text) // 20):
        raise binary_error(name)
    return text


def binary_error(name: str) -> InputError:
    return InputError(f"{name} looks like binary data, not text",
                      hint="give a .txt, .md, .html or .pdf file")
