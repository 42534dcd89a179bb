"""Reading JSONL files (one JSON object a line): :func:`iter_jsonl`.

Blank lines are skipped; a line that is not a JSON object is an :class:`~factdesk.errors.InputError`
naming the file and line.

    for lineno, obj in iter_jsonl(Path("queries.jsonl")):
        ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from factdesk.errors import InputError


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line (UTF-8, a byte-order mark allowed)."""
    p = Path(path)
    try:
        fh = p.open(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc
    with fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{p.name} line {lineno} is not JSON: {exc.msg}",
                                 hint="expected one JSON object per line (JSONL)") from None
            if not isinstance(obj, dict):
                raise InputError(f"{p.name} line {lineno} is a JSON {type(obj).__name__}, not an object")
            yield lineno, obj
