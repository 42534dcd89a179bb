"""Passages given as records: a JSON Lines or Parquet file, one record a document, read as a stream.

For corpora too large to keep as one file per passage (an evidence dump, a scraped archive):
``factdesk index passages.jsonl`` reads the file record by record and never holds more than one
chunk.  Each record is an object with ``text`` (required) and any of ``id``, ``title``, ``url``,
``published``, ``source``, ``author``.  A record with an ``id`` keeps the same document id on every
run, so re-indexing a changed file replaces those documents instead of adding copies.

:func:`iter_records` yields ``(position, next_position, Document | error)``: for JSON Lines the
position is a byte offset (a resumed run seeks straight to it), for Parquet a row number.  A bad
record (not JSON, no text, a wrong type) is yielded as an error string, never raised, so one bad
line costs one record.

Example::

    for pos, nxt, item in iter_records("passages.jsonl"):
        if isinstance(item, str):
            print("skipped:", item)
        else:
            print(item.id, item.title)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factdesk.errors import InputError
from factdesk.ingest._common import normalize_text, parse_date
from factdesk.types import Document

RECORD_SUFFIXES = {".jsonl", ".ndjson", ".parquet"}
# one JSON line longer than this is refused as a record (the cap on one document elsewhere is 50 MB)
MAX_LINE_BYTES = 10_000_000
FIELDS = ("id", "text", "title", "url", "published", "source", "author")


def is_records_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in RECORD_SUFFIXES


def fingerprint(path: str | os.PathLike[str]) -> str:
    """Size, modification time and a hash of the first MB: a changed file gets a new fingerprint.

    Cheap on a file of many GB (a whole-file hash would read it all before the first record).
    """
    p = Path(path)
    st = p.stat()
    h = hashlib.sha256()
    with p.open("rb") as fh:
        h.update(fh.read(1 << 20))
    return f"{st.st_size}-{st.st_mtime_ns}-{h.hexdigest()[:16]}"


def document_from_record(record: Any, *, origin: str) -> Document | str:
    """A Document from one record, or why it is not one."""
    if not isinstance(record, dict):
        return "not a JSON object"
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        return "no text"
    values: dict[str, str | None] = {}
    for name in ("title", "url", "source", "author", "published"):
        value = record.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            return f"field {name!r} must be a string"
        values[name] = None if value is None else str(value)
    published = parse_date(values["published"]) if values["published"] else None
    rid = record.get("id")
    if rid is not None and not isinstance(rid, (str, int)):
        return "field 'id' must be a string or a number"
    key = f"{origin}\x00{rid}" if rid is not None else f"\x00{text}\x00{values['title']}\x00{values['url']}"
    doc_id = "r" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Document(id=doc_id, text=normalize_text(text), title=values["title"], url=values["url"],
                    published=published, source=values["source"] or origin, author=values["author"],
                    kind="text", path=None)


def iter_records(path: str | os.PathLike[str], start: int = 0) -> Iterator[tuple[int, int, Document | str]]:
    """Yield ``(position, next_position, Document or error)`` from ``start`` (a position given before)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {path}")
    origin = p.name
    if p.suffix.lower() == ".parquet":
        yield from _parquet(p, start, origin)
    else:
        yield from _jsonl(p, start, origin)


def _jsonl(p: Path, start: int, origin: str) -> Iterator[tuple[int, int, Document | str]]:
    with p.open("rb") as fh:
        fh.seek(start)
        pos = start
        while True:
            line = fh.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                # skip the rest of an over-long line
                while line and not line.endswith(b"\n"):
                    line = fh.readline(1 << 20)
                nxt = fh.tell()
                yield pos, nxt, f"line longer than {MAX_LINE_BYTES:,} bytes"
                pos = nxt
                continue
            nxt = fh.tell()
            stripped = line.strip()
            if stripped:
                try:
                    record = json.loads(stripped.decode("utf-8"))
                except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                    yield pos, nxt, f"not JSON ({type(exc).__name__})"
                else:
                    yield pos, nxt, document_from_record(record, origin=origin)
            pos = nxt


def _parquet(p: Path, start: int, origin: str) -> Iterator[tuple[int, int, Document | str]]:
    try:
        import pyarrow.parquet as pq  # extra `parquet`; Parquet only
    except ImportError:
        raise InputError("reading Parquet needs pyarrow", hint="pip install 'factdesk[parquet]', or give JSON Lines") from None
    try:
        pf = pq.ParquetFile(p)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"cannot read {p} as Parquet: {exc}") from None
    columns = [c for c in FIELDS if c in pf.schema_arrow.names]
    if "text" not in columns:
        raise InputError(f"{p} has no 'text' column", hint=f"columns factdesk reads: {', '.join(FIELDS)}")
    row = 0
    for batch in pf.iter_batches(batch_size=1024, columns=columns):
        if row + batch.num_rows <= start:
            row += batch.num_rows
            continue
        for record in batch.to_pylist():
            if row >= start:
                yield row, row + 1, document_from_record(record, origin=origin)
            row += 1
