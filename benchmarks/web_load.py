"""A bounded load test of the web desk's read endpoints, on 127.0.0.1 only.

Starts `factdesk serve` over a throwaway store (demo corpus indexed, the demo article
checked once), then C client threads (keep-alive connections) send N requests in all,
round-robin over ``GET /api/checks/{id}``, ``GET /checks/{id}`` and ``GET /api/checks``,
stopping early at the time cap. Prints p50/p95/max latency per endpoint and overall,
throughput and the failed-request count::

    python benchmarks/web_load.py [--requests 2000] [--clients 20] [--max-seconds 60]
    python benchmarks/web_load.py --url http://127.0.0.1:8000 --check-id j...   # an already running desk
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "factdesk" / "demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str, str]:
    from factdesk.pipeline import Pipeline
    from factdesk.settings import Settings
    from factdesk.store import Store

    db = Path(tempfile.mkdtemp(prefix="factdesk-load-")) / "desk.db"
    with Store.open(db) as store:
        Pipeline(store, Settings(verifier="baseline")).index_path(DEMO / "corpus")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", "from factdesk.web.serve_cli import serve; serve()",
                             "--host", "127.0.0.1", "--port", str(port), "--db", str(db), "--log-level", "warning"],
                            env=dict(os.environ, FACTDESK_VERIFIER="baseline"))
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            time.sleep(0.2)
    boundary = "factdeskload"
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"article.html\"\r\n"
               "Content-Type: text/html\r\n\r\n").encode() + (DEMO / "article.html").read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(base + "/api/checks", data=payload, method="POST",
                                 headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        check_id = json.loads(r.read())["id"]
    for _ in range(600):
        with urllib.request.urlopen(f"{base}/api/checks/{check_id}?include_report=false", timeout=10) as r:  # noqa: S310
            if json.loads(r.read())["status"] in ("done", "failed"):
                break
        time.sleep(0.2)
    return proc, base, check_id


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--url", help="an already running desk (loopback only)")
    ap.add_argument("--check-id", help="with --url: a finished check to read")
    ap.add_argument("--token", help="with --url: an API token, if the desk needs login")
    args = ap.parse_args()

    proc = None
    if args.url:
        host = urlsplit(args.url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            ap.error("only loopback targets are allowed")
        if not args.check_id:
            ap.error("--url needs --check-id")
        base, check_id = args.url.rstrip("/"), args.check_id
    else:
        proc, base, check_id = start_server()
    paths = [f"/api/checks/{check_id}", f"/checks/{check_id}", "/api/checks"]
    parts = urlsplit(base)
    headers = {"accept": "application/json"}
    if args.token:
        headers["authorization"] = f"Bearer {args.token}"

    lock = threading.Lock()
    counter = {"next": 0}
    results: dict[str, list[float]] = {p: [] for p in paths}
    failures: list[str] = []
    deadline = time.monotonic() + args.max_seconds

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            with lock:
                i = counter["next"]
                if i >= args.requests or time.monotonic() > deadline:
                    break
                counter["next"] = i + 1
            path = paths[i % len(paths)]
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                resp = None
                err = f"{type(exc).__name__}: {exc}"
            dt = time.perf_counter() - t0
            with lock:
                if ok:
                    results[path].append(dt)
                else:
                    failures.append(err if resp is None else f"HTTP {resp.status} {path}")
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if proc is not None:
        proc.terminate()
        proc.wait(15)

    def line(name: str, xs: list[float]) -> str:
        if not xs:
            return f"{name:<32} no successful requests"
        xs = sorted(xs)
        p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
        return (f"{name:<32} n={len(xs):<6} p50={statistics.median(xs) * 1000:7.1f} ms  "
                f"p95={p95 * 1000:7.1f} ms  max={xs[-1] * 1000:7.1f} ms")

    total = sum(len(v) for v in results.values()) + len(failures)
    print(f"web desk load: {total} requests, {args.clients} concurrent clients, {wall:.1f} s "
          f"({total / wall:.0f} req/s), cap {args.max_seconds:.0f} s")
    for p in paths:
        print(line("GET " + p.replace(check_id, "{id}"), results[p]))
    print(line("all", [x for v in results.values() for x in v]))
    print(f"failed requests: {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
