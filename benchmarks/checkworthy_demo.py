"""Check-worthiness scorers on the shipped demo article: gold claims kept vs other sentences kept.

    python benchmarks/checkworthy_demo.py [--scorers heuristic trained trained+heuristic] [--json out.json]

A sentence counts as a gold claim when it contains a gold claim's text (or is contained in it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorers", nargs="+", default=["heuristic", "trained", "trained+heuristic"])
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    from factdesk import demodata, registry
    from factdesk.text.sentences import split_sentences
    from factdesk.ingest import load

    doc = load(str(demodata.article_path()))
    sentences = [s.text for s in split_sentences(doc.text)]
    gold = [g["text"] for g in demodata.load_gold()["claims"]]
    is_gold = [any(g in s or s in g for g in gold) for s in sentences]
    rows = []
    for name in args.scorers:
        if name not in registry.names("checkworthiness"):
            print(f"{name}: not registered, skipped")
            continue
        scorer = registry.create("checkworthiness", name)
        scorer.warm_up()
        kept = [score >= args.threshold for score in scorer.score(sentences)]
        rows.append({"scorer": name, "sentences": len(sentences), "gold_sentences": sum(is_gold),
                     "gold_kept": sum(k and g for k, g in zip(kept, is_gold)),
                     "other_kept": sum(k and not g for k, g in zip(kept, is_gold))})
    print(f"{'scorer':<20} {'gold kept':>10} {'other kept':>10}")
    for r in rows:
        print(f"{r['scorer']:<20} {r['gold_kept']:>5}/{r['gold_sentences']:<4} {r['other_kept']:>10}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
