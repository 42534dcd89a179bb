"""Kiwix ZIM files: ``factdesk index FILE.zim`` speed and memory, and the zim source's search latency.

Builds a synthetic ZIM of N articles (default 2,000) with libzim's writer and a full-text index:
generated encyclopedia-like pages (a lead, an infobox table, 6-10 sections of news-like sentences,
a navigation box and references: about 3.4 KB of HTML and 2.8 KB of text each), plus a redirect and
a stylesheet per 50 articles.  Then, each in a fresh child process so the figures are its own:

* **index**: the ZIM loop ``Pipeline.index_zim`` runs, with the default embedder, into a fresh SQLite
  store; articles/s, passages/s and peak RSS (after the models loaded, and by quarter of the run), then
  the indexer's ``finish`` (the usearch vector index ``factdesk index`` builds from 50,000 passages)
  timed and measured apart;
* **re-run**: the same command again (everything done: the checkpoint skips the file);
* **search**: Q claim-like queries about single articles through the ``zim`` source, full-text and
  title search; p50/p95 latency and how often the article asked about is the top hit / in the top 5.

Needs the zim extra (``pip install '.[zim]'``).

    python benchmarks/zim_index.py --articles 2000 --json benchmarks/out/zim_index.json
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, print_table, sentence, summary_ms, write_json

SYLLABLES = ["ka", "lo", "mer", "vin", "tra", "sel", "dor", "bi", "na", "quen", "ral", "tho", "pe", "zu", "gan",
             "wy", "mo", "ris", "fel", "dun", "ae", "cor", "lim", "sha"]
KINDS = ["river", "village", "railway line", "reservoir", "museum", "bridge", "mountain pass", "festival",
         "shipyard", "observatory", "stadium", "canal"]
REGIONS = ["the northern province", "the coastal district", "the upland county", "the river delta",
           "the eastern valley", "the island group"]


def article(rng: random.Random, i: int) -> tuple[str, str, dict[str, str]]:
    """(path, html, facts) of one made-up article; ``facts`` feed the queries about it."""
    name = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() + f" {rng.choice(SYLLABLES).capitalize()}"
    kind, region = rng.choice(KINDS), rng.choice(REGIONS)
    year, count = rng.randint(1820, 2020), rng.randint(12, 9800)
    facts = {"name": name, "kind": kind, "region": region, "year": str(year), "count": str(count)}
    lead = (f"{name} is a {kind} in {region}. It was established in {year} and today counts {count} "
            f"registered members, according to the regional statistics office.")
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(3, 4))) for _ in range(rng.randint(6, 10))]
    infobox = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in
                      (("Type", kind), ("Region", region), ("Established", year), ("Members", count)))
    sections = "".join(f"<h2>Section {n + 1}</h2><p>{p}</p>" for n, p in enumerate(paragraphs))
    refs = "".join(f"<li>Annual report {rng.randint(1990, 2023)}, p. {rng.randint(1, 400)}</li>" for _ in range(6))
    html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}</title>"
            f"<link rel='stylesheet' href='../-/style.css'></head><body><div id='content'><h1>{name}</h1>"
            f"<table class='infobox'>{infobox}</table><p>{lead}</p>{sections}"
            f"<h2>References</h2><ol class='references'>{refs}</ol></div>"
            f"<div class='navbox'><a href='Main_Page'>Main page</a> · <a href='Random'>Random article</a></div>"
            f"</body></html>")
    return f"A{i:05d}_{name.replace(' ', '_')}", html, facts


def build(path: Path, n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    from libzim.writer import Creator, Hint, Item, StringProvider

    class Page(Item):
        def __init__(self, p: str, title: str, mime: str, content: str, front: bool) -> None:
            super().__init__()
            self.p, self.t, self.m, self.c, self.f = p, title, mime, content, front

        def get_path(self) -> str:
            return self.p

        def get_title(self) -> str:
            return self.t

        def get_mimetype(self) -> str:
            return self.m

        def get_contentprovider(self) -> StringProvider:
            return StringProvider(self.c)

        def get_hints(self) -> dict:
            return {Hint.FRONT_ARTICLE: self.f}

    rng = random.Random(seed)
    facts = []
    with Creator(str(path)).config_indexing(True, "eng").config_verbose(False) as creator:
        for key, value in (("Title", "Synthetic Wiki"), ("Date", "2024-01-15"), ("Language", "eng"),
                           ("Name", "synthetic_wiki"), ("Description", "factdesk benchmark")):
            creator.add_metadata(key, value)
        for i in range(n):
            p, html, f = article(rng, i)
            creator.add_item(Page(p, f["name"], "text/html", html, True))
            facts.append((p, f))
            if i % 50 == 0:
                creator.add_redirection(f"R{i:05d}", f"Redirect {i}", p, {Hint.FRONT_ARTICLE: False})
                creator.add_item(Page(f"-/style{i}.css", "", "text/css", "body{margin:0}", False))
    return facts


def _rss_now_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child_index(zim_path: str, db: str, chunk: int, fake: bool) -> None:
    import threading

    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.sources.zim import index_zim
    from factdesk.store import Store
    from factdesk.testing import FakeEmbedder

    with Store.open(db) as store:
        pipe = Pipeline(store, Settings(verifier="baseline"), embedder=FakeEmbedder(dim=384) if fake else None)
        t = time.perf_counter()
        pipe.embedder.warm_up()
        _ = pipe.indexer
        load_s = time.perf_counter() - t
        rss_loaded = _rss_now_kb()
        samples: list[int] = []
        done = threading.Event()

        def sample() -> None:  # the peak RSS so far, through the run: does it still grow late?
            while not done.wait(0.2):
                samples.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # the peak so far

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t = time.perf_counter()
        # the ZIM loop (what Pipeline.index_zim runs), then the indexer's finish (the vector index beside
        # the store, from 50,000 passages when usearch is installed), timed and measured apart
        stats = index_zim(store, pipe.indexer, zim_path, chunk=chunk)
        index_s = time.perf_counter() - t
        done.set()
        sampler.join()
        quarters = [samples[min(len(samples) - 1, len(samples) * (q + 1) // 4)] / 1024 if samples else 0.0
                    for q in range(4)]  # the peak by the end of each quarter of the run
        loop_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        pipe.finish_index()
        finish_s = time.perf_counter() - t
        t = time.perf_counter()
        again = pipe.index_zim(zim_path, chunk=chunk)
        rerun_s = time.perf_counter() - t
    print(json.dumps({"stats": stats.to_dict(), "index_s": index_s, "load_s": load_s, "rerun_s": rerun_s,
                      "rerun_unchanged": again.unchanged, "rerun_entries_read": again.entries,
                      "rss_loaded_mb": rss_loaded / 1024, "rss_by_quarter_mb": quarters, "peak_rss_mb": loop_peak,
                      "finish_s": finish_s,
                      "peak_rss_with_finish_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def child_search(zim_path: str, facts_path: str, queries: int, seed: int) -> None:
    from factdesk.sources.zim import make_zim

    facts = json.loads(Path(facts_path).read_text())
    rng = random.Random(seed + 1)
    asked = rng.sample(facts, min(queries, len(facts)))
    out = {}
    for mode in ("full_text", "title"):
        source = make_zim(zim_path, full_text=mode == "full_text")
        t = time.perf_counter()
        source.warm_up()
        open_s = time.perf_counter() - t
        times, top1, top5 = [], 0, 0
        for path, f in asked:
            q = rng.choice([f"{f['name']} was established in {f['year']}.",
                            f"The {f['kind']} {f['name']} has {f['count']} registered members.",
                            f"Is {f['name']} a {f['kind']} in {f['region']}?"])
            t = time.perf_counter()
            hits = source.search(q, k=5)
            times.append(time.perf_counter() - t)
            urls = [h.provenance["url"].rsplit("/", 1)[1] for h in hits]
            top1 += bool(urls) and urls[0] == path
            top5 += path in urls
        out[mode] = {**summary_ms(times), "open_s": round(open_s, 3), "top1": round(top1 / len(asked), 3),
                     "top5": round(top5 / len(asked), 3), "queries": len(asked)}
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=2000, help="articles in the synthetic ZIM (default 2000)")
    ap.add_argument("--queries", type=int, default=100, help="source queries per search mode (default 100)")
    ap.add_argument("--chunk", type=int, default=32, help="articles per transaction (default 32)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fake-embedder", action="store_true",
                    help="index with factdesk.testing's FakeEmbedder: the ZIM loop's own speed and memory")
    ap.add_argument("--keep", metavar="DIR", help="build the ZIM and store here and keep them")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        if args.child[0] == "index":
            child_index(args.child[1], args.child[2], args.chunk, args.fake_embedder)
        else:
            child_search(args.child[1], args.child[2], args.queries, args.seed)
        return 0

    tmp = tempfile.TemporaryDirectory()
    where = Path(args.keep) if args.keep else Path(tmp.name)
    where.mkdir(parents=True, exist_ok=True)
    zim_path, db, facts_path = where / "synthetic_wiki.zim", where / "zim_bench.db", where / "facts.json"
    for p in (zim_path, db):
        p.unlink(missing_ok=True)
    t = time.perf_counter()
    facts = build(zim_path, args.articles, args.seed)
    build_s = time.perf_counter() - t
    facts_path.write_text(json.dumps(facts))

    def child(*what: str) -> dict:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--chunk", str(args.chunk), "--queries",
               str(args.queries), "--seed", str(args.seed), *(["--fake-embedder"] if args.fake_embedder else []),
               "--child", *what]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT / "benchmarks", check=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])

    ix = child("index", str(zim_path), str(db))
    search = child("search", str(zim_path), str(facts_path))
    stats = ix["stats"]
    result = {
        "benchmark": "zim_index", "articles": args.articles, "zim_mb": round(zim_path.stat().st_size / 2**20, 1),
        "build_s": round(build_s, 2), "index_s": round(ix["index_s"], 2),
        "articles_per_s": round(stats["added"] / ix["index_s"], 1),
        "passages": stats["passages"], "passages_per_s": round(stats["passages"] / ix["index_s"], 1),
        "added": stats["added"], "redirects": stats["redirects"], "not_html": stats["not_html"],
        "failed": stats["failed_count"], "model_load_s": round(ix["load_s"], 2),
        "rss_after_models_mb": round(ix["rss_loaded_mb"], 1), "peak_rss_mb": round(ix["peak_rss_mb"], 1),
        "rss_by_quarter_mb": [round(q, 1) for q in ix["rss_by_quarter_mb"]], "fake_embedder": args.fake_embedder,
        "finish_s": round(ix["finish_s"], 2), "peak_rss_with_finish_mb": round(ix["peak_rss_with_finish_mb"], 1),
        "store_mb": round(db.stat().st_size / 2**20, 1), "rerun_s": round(ix["rerun_s"], 3),
        "rerun_unchanged": ix["rerun_unchanged"], "rerun_entries_read": ix["rerun_entries_read"],
        "search": search, "chunk": args.chunk, "machine": machine(),
    }
    print_table(["what", "value"], [
        ["ZIM", f"{args.articles} articles, {result['zim_mb']} MB (built in {result['build_s']} s)"],
        ["index", f"{result['articles_per_s']} articles/s, {result['passages_per_s']} passages/s "
                  f"({stats['added']} articles, {stats['passages']} passages in {result['index_s']} s)"],
        ["memory", f"peak RSS {result['peak_rss_mb']} MB (after model load {result['rss_after_models_mb']} MB)"],
        ["peak by quarter", " / ".join(f"{q:.0f}" for q in result["rss_by_quarter_mb"]) + " MB"],
        ["then finish (vector index)", f"{result['finish_s']} s, peak RSS {result['peak_rss_with_finish_mb']} MB"],
        ["store", f"{result['store_mb']} MB"],
        ["re-run", f"{result['rerun_s']} s ({ix['rerun_unchanged']} unchanged, "
                   f"{ix['rerun_entries_read']} entries read)"],
        *[[f"search {m}", f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms; top-1 {s['top1']}, top-5 {s['top5']}"]
          for m, s in search.items()],
    ])
    write_json(args.json, result)
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
