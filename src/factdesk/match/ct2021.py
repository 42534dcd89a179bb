"""Reading CheckThat! 2021 Task 2A (English): tweets -> earlier Snopes fact-checks.

The files stay where they are (``$FACTDESK_DATA/claim-retrieval-ct2021-2a-en``,
else ``../shared/data/…`` beside the repository); nothing is copied.  The pool
becomes :class:`~factdesk.match.reviews.Review` records whose URL is
``https://ct2021.example/vclaim/<vclaim_id>`` (the data set has no review
URLs), so a ranked URL maps back to the id the official scorer expects
(:func:`vclaim_id`).  Queries come as ``{"id", "query", "relevant",
"not_relevant"}`` dicts, the shape :mod:`factdesk.match.quality` scores.

Licence: "free for general research use"; evaluation, thresholds and settings
only, never the weights of a shipped model (see the folder's MANIFEST).

    pool = read_pool(ct2021_dir())
    dev = read_queries(ct2021_dir(), "dev")
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from factdesk.errors import InputError
from factdesk.paths import data_roots
from factdesk.match.reviews import Review

FOLDER = "claim-retrieval-ct2021-2a-en"
URL_PREFIX = "https://ct2021.example/vclaim/"
POOL_FILE = "CT2021-Task2A-EN-Verified_Claims.txt"


def ct2021_dir(path: str | Path | None = None) -> Path | None:
    """The data folder: ``path``, else under a data root (:func:`factdesk.paths.data_roots`),
    else ``../shared/data`` beside this checkout (None if absent)."""
    candidates = [Path(path)] if path else []
    candidates += [root / FOLDER for root in data_roots()]
    candidates.append(Path(__file__).resolve().parents[3].parent / "shared" / "data" / FOLDER)
    return next((p for p in candidates if (p / POOL_FILE).is_file()), None)


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter="\t"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc


def review_url(vclaim: str) -> str:
    return URL_PREFIX + vclaim


def vclaim_id(url: str) -> str:
    """The vclaim id behind a pool record's URL (the URL itself for any other record)."""
    return url[len(URL_PREFIX):] if url.startswith(URL_PREFIX) else url


def read_pool(folder: Path) -> list[Review]:
    """The 13,825 verified claims as reviews (claim, Snopes article title, publisher Snopes)."""
    return [Review(claim=r["vclaim"], url=review_url(r["vclaim_id"]), title=r.get("title") or None,
                   publisher="Snopes", language="en", source=str(folder / POOL_FILE))
            for r in _rows(folder / POOL_FILE)]


def pool_texts(folder: Path) -> dict[str, str]:
    """vclaim_id -> claim text (what hand-written variants' offsets point into)."""
    return {r["vclaim_id"]: r["vclaim"] for r in _rows(folder / POOL_FILE)}


def read_qrels(folder: Path) -> dict[str, list[str]]:
    """tweet id -> the vclaim ids relevant to it."""
    qrel = next((p for p in sorted(folder.iterdir()) if "QREL" in p.name.upper()), None)
    if qrel is None:
        raise InputError(f"{folder}: no qrels file")
    out: dict[str, list[str]] = {}
    for line in qrel.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] != "0":
            out.setdefault(parts[0], []).append(parts[2])
    return out


def read_queries(folder: Path, split: str) -> list[dict[str, Any]]:
    """The tweets of ``split`` (train or dev) with their relevant pool URLs."""
    qrels = read_qrels(folder)
    return [{"id": r["tweet_id"], "query": r["tweet_text"],
             "relevant": [review_url(v) for v in qrels.get(r["tweet_id"], [])], "not_relevant": []}
            for r in _rows(folder / f"EN_{split}_queries.tsv")]
