"""Score claim matching on a set of queries against a set of fact-check records.

Queries are JSONL, one object per line::

    {"id": "q1", "query": "claim text", "relevant": ["https://…"], "not_relevant": ["https://…"]}

(``relevant``/``not_relevant`` are review URLs; either may be empty or absent;
a URL listed twice counts once; ``id`` defaults to ``q<line number>``.)
Records are any format :mod:`factdesk.match.importer` reads (file, folder or
URL); they are imported into a temporary store (or into ``store_path``, which
is reused across runs: the import is idempotent and only new records are
embedded).

**Ranking metrics**, on the ranked candidates *without* the threshold, as
CheckThat! defines them (its official scorer is trectools' ``TrecEval``) and
over the queries whose ``relevant`` is non-empty:

* ``map_at_1``, ``map_at_3``, ``map_at_5`` and ``map_at_k`` (k = ``k``):
  ``AP@k = sum(precision@i for each rank i <= k holding a relevant URL) / |relevant|``;
* ``mrr``: mean of 1 / rank of the first relevant URL (0 when none is ranked);
* ``precision_at_1``, ``precision_at_k``: relevant URLs in the top 1 / top k, divided by 1 / k;
* ``recall_at_k``: mean share of the relevant URLs in the top k.

**Match metrics**, on what :meth:`ClaimMatcher.match` returns (the top k
*at or above the threshold*):

* ``matched_precision``: of all returned matches, the share that are relevant;
* ``matched_recall``: mean share of each query's relevant URLs that are returned;
* ``false_match_rate``: over the queries whose ``not_relevant`` is non-empty,
  the share where a not-relevant URL is returned.

Also ``n`` (queries), ``n_relevant`` / ``n_not_relevant`` (the two
denominators), ``records``, ``invalid_records`` and ``threshold``.

``predictions`` writes a TREC run file (``qid Q0 docid rank score tag``,
docid = the review URL) that the official scorer reads, with
:func:`write_trec_qrels` for the gold side.  Its score column is
``k + 1 - rank``: the scorer re-sorts by score, and factdesk's order (matches
first, then relevance) is not one number.

Example::

    evaluate_matching("data/claim-matching/test.jsonl", "data/claim-matching/reviews.jsonld")
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError, InputError
from factdesk.jsonlines import iter_jsonl

MAP_DEPTHS = (1, 3, 5)


def read_queries(path: str | Path) -> list[dict[str, Any]]:
    out = []
    for n, obj in iter_jsonl(path):
        if not isinstance(obj.get("query"), str):
            raise InputError(f"{path}: line {n} needs a \"query\" string")
        qid = str(obj.get("id") or f"q{n}")
        if any(c.isspace() for c in qid):
            raise InputError(f"{path}: line {n}: the id {qid!r} holds white space (TREC files cannot)")
        out.append({"query": obj["query"], "relevant": list(dict.fromkeys(obj.get("relevant") or [])),
                    "not_relevant": list(dict.fromkeys(obj.get("not_relevant") or [])), "id": qid})
    if not out:
        raise InputError(f"{path}: no queries")
    return out


def average_precision(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """CheckThat!'s AP@k: precision at each relevant rank within k, summed, over the number of relevant."""
    if not relevant:
        return 0.0
    hits, total, seen = 0, 0.0, set()
    for i, url in enumerate(list(ranked)[:k], 1):
        if url in relevant and url not in seen:
            seen.add(url)
            hits += 1
            total += hits / i
    return total / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    return next((1.0 / i for i, url in enumerate(ranked, 1) if url in relevant), 0.0)


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def ranking_metrics(queries: Sequence[dict[str, Any]], ranked: Sequence[Sequence[str]], k: int) -> dict[str, Any]:
    """The unthresholded ranking metrics (module docstring) of per-query ranked URL lists."""
    per: dict[str, list[float]] = {f"map_at_{d}": [] for d in MAP_DEPTHS}
    per.update({"map_at_k": [], "mrr": [], "precision_at_1": [], "precision_at_k": [], "recall_at_k": []})
    for q, lst in zip(queries, ranked):
        rel = set(q["relevant"])
        if not rel:
            continue
        lst = list(lst)
        for d in MAP_DEPTHS:
            per[f"map_at_{d}"].append(average_precision(lst, rel, d))
        per["map_at_k"].append(average_precision(lst, rel, k))
        per["mrr"].append(reciprocal_rank(lst, rel))
        per["precision_at_1"].append(float(bool(lst) and lst[0] in rel))
        per["precision_at_k"].append(len(rel & set(lst[:k])) / k)
        per["recall_at_k"].append(len(rel & set(lst[:k])) / len(rel))
    return {name: _mean(xs) for name, xs in per.items()}


def match_metrics(queries: Sequence[dict[str, Any]], returned: Sequence[Sequence[str]]) -> dict[str, Any]:
    """The thresholded metrics (module docstring) of per-query returned URL lists."""
    hits = total = 0
    recall, false = [], []
    for q, got in zip(queries, returned):
        rel, bad = set(q["relevant"]), set(q["not_relevant"])
        got = list(dict.fromkeys(got))
        total += len(got)
        hits += sum(1 for u in got if u in rel)
        if rel:
            recall.append(len(rel & set(got)) / len(rel))
        if bad:
            false.append(1.0 if bad & set(got) else 0.0)
    return {"matched_precision": round(hits / total, 4) if total else None, "matched_recall": _mean(recall),
            "false_match_rate": _mean(false), "returned": total}


def score_runs(queries: list[dict[str, Any]], returned: list[list[str]], ranked: list[list[str]] | None,
               k: int) -> dict[str, Any]:
    """Both metric families from per-query returned (thresholded) and ranked (unthresholded) URL lists."""
    out: dict[str, Any] = {"n": len(queries), "n_relevant": sum(1 for q in queries if q["relevant"]),
                           "n_not_relevant": sum(1 for q in queries if q["not_relevant"]), "k": k}
    if ranked is not None:
        out.update(ranking_metrics(queries, ranked, k))
    out.update(match_metrics(queries, returned))
    return out


def write_trec_run(path: str | Path, queries: Sequence[dict[str, Any]], ranked: Sequence[Sequence[str]],
                   tag: str = "factdesk") -> int:
    """One ``qid Q0 docid rank score tag`` line per ranked URL; returns the number of lines."""
    lines = []
    for q, lst in zip(queries, ranked):
        lst = list(dict.fromkeys(lst))
        for rank, url in enumerate(lst, 1):
            if not url or any(c.isspace() for c in url):
                continue  # a record without a URL cannot be named in a run file
            lines.append(f"{q['id']}\tQ0\t{url}\t{rank}\t{len(lst) + 1 - rank}\t{tag}")
    _write(path, lines)
    return len(lines)


def write_trec_qrels(path: str | Path, queries: Sequence[dict[str, Any]]) -> int:
    """The gold side: ``qid 0 docid 1`` per relevant URL (each once)."""
    lines = [f"{q['id']}\t0\t{url}\t1" for q in queries for url in dict.fromkeys(q["relevant"])]
    _write(path, lines)
    return len(lines)


def _write(path: str | Path, lines: list[str]) -> None:
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {p}: {exc.strerror or exc}",
                          hint="give a file in a folder you can write to") from exc


def evaluate_matching(queries_path: str | Path, records_path: str | Path | Sequence[str | Path], *, k: int = 5,
                      store_path: str | Path | None = None, embedder: Any = None,
                      threshold: float | None = None, center: float | None = None,
                      predictions: str | Path | None = None) -> dict[str, Any]:
    """Import the records, match every query, return the metrics (see the module docstring)."""
    from factdesk.match.importer import import_reviews
    from factdesk.match.matcher import ClaimMatcher, default_embedder
    from factdesk.match.reviews import count_reviews
    from factdesk.store import Store

    queries = read_queries(queries_path)
    emb = default_embedder() if embedder is None else embedder
    with tempfile.TemporaryDirectory(prefix="factdesk-match-eval-") as tmp:
        db = Path(store_path) if store_path is not None else Path(tmp) / "eval.db"
        with Store.open(db) as store:
            stats = import_reviews(store, records_path if not isinstance(records_path, (str, Path))
                                   else [records_path], embedder=emb or None)
            matcher = ClaimMatcher(store, emb, threshold=threshold, center=center)
            texts = [q["query"] for q in queries]
            ranked_m = []
            for b in range(0, len(texts), 64):
                ranked_m.extend(matcher.rank_many(texts[b:b + 64], k))
            ranked = [[m.url for m in ms] for ms in ranked_m]
            returned = [[m.url for m in ms if m.score >= matcher.threshold] for ms in ranked_m]
            result = score_runs(queries, returned, ranked, k)
            result["records"] = count_reviews(store)
            result["invalid_records"] = len(stats.invalid)
            result["threshold"] = matcher.threshold
    if predictions is not None:
        result["predictions"] = str(predictions)
        result["predictions_lines"] = write_trec_run(predictions, queries, ranked)
    return result
