"""The shipped demo: an invented news corpus, an article about it, and a gold file.

``factdesk demo`` indexes the corpus and checks the article; :func:`score_report`
compares a report with the gold labels, an honest end-to-end test of the pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO_DIR = Path(__file__).parent / "demo"


def corpus_dir() -> Path:
    return DEMO_DIR / "corpus"


def article_path() -> Path:
    return DEMO_DIR / load_gold().get("article", "article.html") if (DEMO_DIR / "gold.json").exists() \
        else DEMO_DIR / "article.html"


def load_gold() -> dict[str, Any]:
    return json.loads((DEMO_DIR / "gold.json").read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').split()).lower()


def match_gold_claims(report: dict[str, Any], gold: dict[str, Any]) -> list[tuple[dict, dict | None]]:
    """Pair each gold claim with the report claim whose text contains it (or overlaps it most)."""
    pairs = []
    for g in gold["claims"]:
        want = _norm(g["text"])
        found = None
        for c in report["claims"]:
            have = _norm(c["text"])
            if want in have or (len(have) > 20 and have in want):
                found = c
                break
        pairs.append((g, found))
    return pairs


def document_files(store: Any) -> dict[str, str]:
    """document id -> file name, for the corpus documents in a store."""
    return {doc_id: Path(path).name for doc_id, path in store.document_paths().items()}


def score_report(report: dict[str, Any], gold: dict[str, Any] | None = None, *, store: Any = None,
                 files: dict[str, str] | None = None) -> dict[str, Any]:
    """Claim recall, label accuracy and evidence recall against the demo gold.

    ``files`` (or a ``store`` to read it from) maps document ids to corpus file names,
    so evidence can be compared with the gold's ``evidence_documents``.
    """
    gold = gold or load_gold()
    if files is None:
        files = document_files(store) if store is not None else {}
    pairs = match_gold_claims(report, gold)
    found = [(g, c) for g, c in pairs if c is not None]
    correct = [(g, c) for g, c in found if c.get("verdict") and c["verdict"]["label"] == g["label"]]
    ev_total = ev_hit = 0
    for g, c in found:
        want = set(g.get("evidence_documents") or [])
        if not want:
            continue
        ev_total += 1
        docs = {files.get(e.get("document_id", ""), "") for e in c.get("evidence", [])}
        if docs & want:
            ev_hit += 1
    rows = [{"text": g["text"], "gold": g["label"],
             "predicted": c["verdict"]["label"] if c and c.get("verdict") else None,
             "kind": c["kind"] if c else None, "gold_kind": g.get("kind")} for g, c in pairs]
    return {
        "gold_claims": len(pairs),
        "claims_found": len(found),
        "label_accuracy": round(len(correct) / len(pairs), 4) if pairs else 0.0,
        "label_accuracy_found": round(len(correct) / len(found), 4) if found else 0.0,
        "evidence_recall": round(ev_hit / ev_total, 4) if ev_total else 0.0,
        "rows": rows,
    }
