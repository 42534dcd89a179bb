"""The same claims with and without an LLM: accuracy, macro-F1, seconds per claim, tokens per claim.

Two ways, both printing one side-by-side table and writing JSON to benchmarks/out/:

* ``--demo`` (the default): the shipped demo article against its gold labels, checked twice over
  the demo corpus in a fresh store — built-in only, then with the LLM stages in ``--stages``
  (default: verdict, so both runs judge exactly the same claims and passages).  Seconds per claim
  are the whole check's; tokens per claim come from the report's ``llm.total``.
* ``--data SET`` (with ``--task verify|open``, ``--limit N``): ``factdesk eval`` with ``--llm``, which
  asks the LLM for a verdict on every claim over the evidence the built-in verifier judged.

The LLM's answers are cached in a store; this script uses a fresh one (``--cache DB`` to keep it),
so the token figures are what a first run costs.

Usage::

    python benchmarks/llm_compare.py --llm http://127.0.0.1:11434/v1 --llm-model qwen2.5:7b-instruct
    python benchmarks/llm_compare.py --llm http://127.0.0.1:8080/v1 --llm-model smollm2 \\
        --data fever/dev.jsonl --task verify --limit 60
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import OUT  # noqa: F401 - puts src/ on sys.path

from factdesk import demodata
from factdesk.evaluate import run_eval
from factdesk.evaluate.metrics import classification_report
from factdesk.pipeline import Pipeline
from factdesk.settings import load_settings
from factdesk.store import Store

LABELS = ["supported", "refuted", "not_enough_evidence", "conflicting"]


def _side(report: dict[str, Any], seconds: float) -> dict[str, Any]:
    scored = demodata.score_report(report, files=None)
    rows = [r for r in scored["rows"] if r["predicted"] is not None]
    cls = classification_report([r["gold"] for r in rows], [r["predicted"] for r in rows], order=LABELS)
    n = max(1, len(report["claims"]))
    total = (report.get("llm") or {}).get("total") or {}
    return {"claims": len(report["claims"]), "gold_claims_found": scored["claims_found"],
            "gold_claims": scored["gold_claims"], "label_accuracy": scored["label_accuracy"],
            "accuracy_found": round(cls["label_accuracy"], 4), "macro_f1_found": round(cls["macro_f1"], 4),
            "seconds_per_claim": round(seconds / n, 3),
            "tokens_per_claim": round((total.get("prompt_tokens", 0) + total.get("completion_tokens", 0)) / n, 1),
            "llm_calls": total.get("calls", 0), "llm_cached": total.get("cached", 0),
            "fallbacks": len((report.get("llm") or {}).get("fallbacks") or []),
            "disagreements": (report.get("llm") or {}).get("disagreements")}


def compare_demo(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="factdesk-llm-compare-") as tmp:
        db = args.cache or str(Path(tmp) / "demo.db")
        base = load_settings(verifier=args.verifier)
        with Store.open(db) as store:
            Pipeline.from_settings(base, store=store).index_path(demodata.corpus_dir())
            runs = {}
            for name, settings in (("built-in", base), ("llm", base.with_overrides(
                    llm_url=args.llm, llm_model=args.llm_model, llm_stages=args.stages))):
                pipe = Pipeline.from_settings(settings, store=store)
                pipe.warm_up()  # model loading is not per-claim time
                started = time.perf_counter()
                report = pipe.check(demodata.article_path(), save=False)
                runs[name] = _side(report, time.perf_counter() - started)
                if name == "llm":
                    runs[name]["prompts"] = report["llm"]["prompts"]
                    runs[name]["model"] = report["llm"]["model"]
    return {"mode": "demo", "stages": args.stages, **runs}


def compare_eval(args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings(llm_url=args.llm, llm_model=args.llm_model)
    result = run_eval(args.task, [args.data], limit=args.limit, seed=args.seed, verifier=args.verifier,
                      corpus=args.corpus, settings=settings, progress=sys.stderr.isatty())
    llm = result["llm"]
    return {"mode": args.task, "data": args.data, "n": result["n"],
            "built-in": {"accuracy": result["label_accuracy"], "macro_f1": result["macro_f1"],
                         "seconds_per_claim": llm["builtin_seconds_per_claim"], "tokens_per_claim": 0},
            "llm": {"accuracy": llm["label_accuracy"], **{k: llm[k] for k in ("model", "prompts", "macro_f1", "seconds_per_claim",
                                        "tokens_per_claim", "answered", "fallbacks", "fallback_codes",
                                        "agreement_with_builtin")}}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--llm", required=True, metavar="URL", help="OpenAI-compatible API root, e.g. http://127.0.0.1:8080/v1")
    ap.add_argument("--llm-model", required=True, metavar="NAME")
    ap.add_argument("--stages", default="verdict", help="demo: LLM stages to use [verdict]")
    ap.add_argument("--verifier", default="auto")
    ap.add_argument("--data", help="a data set for factdesk eval (instead of the demo)")
    ap.add_argument("--task", choices=["verify", "open"], default="verify")
    ap.add_argument("--corpus", help="open: the corpus")
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", metavar="DB", help="demo: keep the store (and the LLM cache) here")
    ap.add_argument("-o", "--output", help="JSON output (default benchmarks/out/llm_compare-<mode>.json)")
    args = ap.parse_args(argv)
    result = compare_eval(args) if args.data else compare_demo(args)
    keys = ["label_accuracy", "accuracy_found", "macro_f1_found"] if result["mode"] == "demo" else ["accuracy", "macro_f1"]
    keys += ["seconds_per_claim", "tokens_per_claim"]
    print(f"{'':<20} {'built-in':>10} {'LLM':>10}   ({result['llm'].get('model')}, {result['mode']})")
    for k in keys:
        print(f"{k:<20} {result['built-in'].get(k)!s:>10} {result['llm'].get(k)!s:>10}")
    print(f"LLM fallbacks: {result['llm'].get('fallbacks')}")
    out = Path(args.output) if args.output else OUT / f"llm_compare-{result['mode']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
