"""The packaged embedder's memory and speed by batch shape: texts a batch may hold, in padded word pieces.

    python benchmarks/embed_memory.py [--passages 1500] [--budgets 0 8192 4096 2048] [--repeats 2] [--json FILE]

The texts are passages as ``factdesk index`` cuts them (``make_passages``: three-sentence windows of at most
900 characters, with their titles, ``embedding_text``) from the real pages of ``real-pages`` (kind ``text``,
evaluation only: measured, never trained on); without that folder, from the demo corpus (our own text).
Each configuration runs in its own child process, which loads the model, embeds the same passages in
batches of 64 (``SqliteIndexer``'s batch size) with ``max_batch_tokens`` = the budget (0 = no budget, the
behaviour before 3 December 2026) and reports its peak RSS (``VmHWM``, MB of 2^20 bytes, the model's
load included), its RSS after (what onnxruntime's arena keeps), and passages a second.  The
configurations alternate, ``--repeats`` rounds, so a shared box's load hits each alike; medians are
printed.  The vectors of every configuration are compared with those of the first (largest cosine
distance), since the batch shape must not change the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import machine, print_table, shared_data, write_json

CHILD = r"""
import json, sys, time
import numpy as np
from factdesk.retrieve.embed import OnnxMiniLMEmbedder

def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)) / 1024

texts = json.load(open(sys.argv[1]))
budget = int(sys.argv[2]) or 10**9
embedder = OnnxMiniLMEmbedder(max_batch_tokens=budget)
embedder.warm_up()
loaded = status("VmRSS")
t = time.perf_counter()
vectors = embedder.embed(texts, batch_size=64)
seconds = time.perf_counter() - t
np.save(sys.argv[3], vectors)
print(json.dumps({"loaded_mb": loaded, "peak_mb": status("VmHWM"), "after_mb": status("VmRSS"),
                  "per_s": len(texts) / seconds, "seconds": seconds}))
"""


def passages(limit: int) -> tuple[list[str], str]:
    """Embedding texts of real pages' passages (or the demo corpus's), at most ``limit``, and where from."""
    from factdesk import demodata
    from factdesk.ingest import load_file
    from factdesk.retrieve import make_passages
    from factdesk.retrieve.index import embedding_text

    folder = shared_data("real-pages")
    if folder is not None:
        gold = [json.loads(line) for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        files = [folder / g["file"] for g in gold if g.get("kind") == "text" and g.get("file")]
        source = f"real-pages ({folder})"
    else:
        files = sorted(demodata.corpus_dir().iterdir())
        source = "the demo corpus"
    texts: list[str] = []
    for path in files:
        try:
            doc = load_file(path)
        except Exception:  # noqa: BLE001 - an unreadable page is skipped; reading is measured elsewhere
            continue
        texts.extend(embedding_text(p) for p in make_passages(doc))
        if len(texts) >= limit:
            break
    return texts[:limit], source


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--passages", type=int, default=1500)
    ap.add_argument("--budgets", type=int, nargs="+", default=[0, 8192, 4096, 2048],
                    help="max_batch_tokens values to compare (0 = no budget)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    texts, source = passages(args.passages)
    from factdesk.retrieve.embed import OnnxMiniLMEmbedder

    probe = OnnxMiniLMEmbedder()
    probe.warm_up()
    assert probe._tokenizer is not None
    lengths = sorted(len(e.ids) for e in probe._tokenizer.encode_batch(texts))
    del probe
    print(f"{len(texts)} passages from {source}; word pieces p50 {lengths[len(lengths) // 2]}, "
          f"p90 {lengths[int(len(lengths) * 0.9)]}, max {lengths[-1]} (truncated at 256)", flush=True)
    runs: dict[int, list[dict[str, Any]]] = {b: [] for b in args.budgets}
    distance: dict[int, float] = {}
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "texts.json"
        src.write_text(json.dumps(texts), encoding="utf-8")
        for _ in range(args.repeats):
            for b in args.budgets:
                out = subprocess.run([sys.executable, "-c", CHILD, str(src), str(b), str(Path(tmp) / f"v{b}.npy")],
                                     capture_output=True, text=True, check=True, env=os.environ.copy())
                runs[b].append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(json.dumps({"budget": b, **runs[b][-1]}), flush=True)
        first = np.load(Path(tmp) / f"v{args.budgets[0]}.npy")
        for b in args.budgets:
            other = np.load(Path(tmp) / f"v{b}.npy")
            distance[b] = float(1.0 - np.min(np.sum(first * other, axis=1)))
    rows, results = [], []
    for b in args.budgets:
        med = {k: statistics.median(r[k] for r in runs[b]) for k in ("loaded_mb", "peak_mb", "after_mb", "per_s")}
        results.append({"max_batch_tokens": b or None, **med, "runs": runs[b], "max_cosine_distance": distance[b]})
        rows.append([b or "none (before)", f"{med['peak_mb']:,.0f} MB", f"{med['after_mb']:,.0f} MB",
                     f"{med['peak_mb'] - med['loaded_mb']:,.0f} MB", f"{med['per_s']:,.1f}", f"{distance[b]:.1e}"])
    print_table(["max batch tokens", "peak RSS", "RSS after", "peak over loaded model", "passages/s",
                 "max cosine distance"], rows)
    write_json(args.json, {"machine": machine(), "source": source, "passages": len(texts),
                           "word_pieces": {"p50": lengths[len(lengths) // 2], "p90": lengths[int(len(lengths) * 0.9)],
                                           "max": lengths[-1]}, "batch_size": 64, "results": results})


if __name__ == "__main__":
    main()
