"""`factdesk watch`: what one poll costs, with nothing new and with new entries.

A loopback HTTP server serves an RSS feed of ``--entries`` items (default 50) with an ETag,
answers ``If-None-Match`` with 304, and serves each item's article page: two paragraphs of the
shipped demo article (a different pair per item, so every article has its own text and claims),
about 120 words.  The store holds the indexed demo corpus and one imported ClaimReview record.

Timed, each on a warm watcher (models loaded by a first poll of an unrelated one-entry feed):

* **first poll**: all entries new, each fetched and checked once (the cost a new feed brings);
* **304**: the feed unchanged, the server answers Not Modified (the steady state);
* **200, nothing new**: the validators dropped, so the full feed is fetched and parsed and all
  entries found known (a server that ignores conditional GETs);
* **+k new**: ``--new`` entries added to the feed (default 5), then one poll.

    python benchmarks/watch_poll.py                                  # baseline verifier
    python benchmarks/watch_poll.py --verifier auto --json benchmarks/out/watch_poll.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402,F401 - puts src/ on sys.path


def _articles(n: int) -> list[tuple[str, str]]:
    from factdesk import demodata, ingest

    doc = ingest.load(demodata.article_path())
    paras = [p for p in doc.text.split("\n\n") if p.strip()][1:]
    out = []
    for i in range(n):
        a, b = paras[i % len(paras)], paras[(i // len(paras) + i + 1) % len(paras)]
        out.append((f"{doc.title} ({i})", f"<p>{a}</p><p>{b}</p>" + (f"<p>Item {i}.</p>" if i >= len(paras) else "")))
    return out


class Feed:
    def __init__(self, articles: list[tuple[str, str]], shown: int) -> None:
        self.articles = articles
        self.shown = shown
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner.requests += 1
                if self.path == "/feed.xml":
                    etag = f'"{owner.shown}"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    body, ctype = owner.feed(), "application/rss+xml"
                    extra = {"ETag": etag}
                else:
                    i = int(self.path.rsplit("/", 1)[1])
                    title, html = owner.articles[i]
                    body = (f"<!doctype html><html><head><title>{title}</title>"
                            f'<meta property="article:published_time" content="2024-05-02"></head>'
                            f"<body><article><h1>{title}</h1>{html}</article></body></html>").encode()
                    ctype, extra = "text/html; charset=utf-8", {}
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def feed(self) -> bytes:
        items = "".join(f"<item><title>{self.articles[i][0]}</title><link>{self.base}/a/{i}</link>"
                        f"<pubDate>Thu, 02 May 2024 {i // 60:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
                        for i in reversed(range(self.shown)))
        return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title><link>{self.base}/</link>'
                f"<description>b</description>{items}</channel></rss>").encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--new", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=20, help="polls timed for the 304 and 200 cases")
    ap.add_argument("--verifier", default="baseline")
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args(argv)

    from factdesk import demodata
    from factdesk.match.matcher import default_embedder
    from factdesk.match.reviews import Review, add_reviews
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store
    from factdesk.watch.watcher import Watcher

    articles = _articles(args.entries + args.new + 1)
    feed = Feed(articles[:args.entries + args.new], args.entries)
    warm = Feed(articles[-1:], 1)
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "bench.db") as store:
        pipe = Pipeline.from_settings(Settings(verifier=args.verifier, allow_private=True), store=store)
        passages = pipe.index_path(demodata.corpus_dir()).passages
        add_reviews(store, [Review(claim="The Harrow Bay Light Rail budget rose to $1.85 billion in 2023.",
                                   url="https://fc.example/1", rating="True")], embedder=default_embedder())
        Watcher(pipe, [warm.base + "/feed.xml"]).poll_once()  # loads the models
        w = Watcher(pipe, [feed.base + "/feed.xml"])

        t = time.perf_counter()
        (first,) = w.poll_once()
        first_s = time.perf_counter() - t
        assert first.checked == args.entries, first.to_dict()

        def timed(prepare: Any) -> list[float]:
            out = []
            for _ in range(args.repeat):
                prepare()
                t = time.perf_counter()
                (run,) = w.poll_once()
                out.append(time.perf_counter() - t)
                assert run.checked == 0 and run.new_entries == 0, run.to_dict()
            return out

        not_modified = timed(lambda: None)

        def drop_validators() -> None:
            store.conn.execute("UPDATE feeds SET etag = NULL, last_modified = NULL")
            store.conn.commit()

        full = timed(drop_validators)
        feed.shown += args.new
        t = time.perf_counter()
        (more,) = w.poll_once()
        more_s = time.perf_counter() - t
        assert more.checked == args.new, more.to_dict()
        alerts = store.watch.counts()["alerts"]

    result = {
        "entries": args.entries, "new": args.new, "verifier": args.verifier, "corpus_passages": passages,
        "first_poll_s": round(first_s, 2), "first_poll_s_per_article": round(first_s / args.entries, 3),
        "not_modified_ms_median": round(statistics.median(not_modified) * 1000, 2),
        "not_modified_ms_max": round(max(not_modified) * 1000, 2),
        "full_nothing_new_ms_median": round(statistics.median(full) * 1000, 2),
        "full_nothing_new_ms_max": round(max(full) * 1000, 2),
        "new_poll_s": round(more_s, 2), "new_poll_s_per_article": round(more_s / max(args.new, 1), 3),
        "alerts": alerts, "repeat": args.repeat,
    }
    print(f"| poll | seconds |\n|---|---|\n"
          f"| first poll, {args.entries} new entries (verifier {args.verifier}) | {result['first_poll_s']} "
          f"({result['first_poll_s_per_article']} per article) |\n"
          f"| nothing new, 304 (median of {args.repeat}) | {result['not_modified_ms_median'] / 1000:.4f} |\n"
          f"| nothing new, full 200 + parse of {args.entries} entries (median of {args.repeat}) | "
          f"{result['full_nothing_new_ms_median'] / 1000:.4f} |\n"
          f"| {args.new} new entries | {result['new_poll_s']} ({result['new_poll_s_per_article']} per article) |")
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
