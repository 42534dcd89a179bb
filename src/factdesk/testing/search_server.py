"""A loopback search server for tests and benchmarks: SearxNG's and Brave's JSON APIs plus result pages.

:class:`SearchServer` runs a threading ``http.server`` on 127.0.0.1 (a free port) that answers

* ``GET /search?q=…&format=json`` as a SearxNG instance does: ``{"query", "number_of_results",
  "results": [{"url", "title", "content", "engine", "publishedDate", "score", "category"}], "answers",
  "suggestions", "unresponsive_engines"}``; 403 when ``format`` is not ``json`` or JSON is turned off;
* ``GET /res/v1/web/search?q=…`` as the Brave Search API does (``X-Subscription-Token`` required):
  ``{"type": "search", "query": {"original"}, "web": {"type": "search", "results": [{"title", "url",
  "description", "page_age", "age", "meta_url"}]}}``;
* ``GET /pages/NAME``: the pages the test put there (:meth:`SearchServer.page`).

Every request is recorded (:attr:`SearchServer.requests`), and the API answers can be made to fail
(``api_mode``: ``ok``, ``forbidden``, ``junk``, ``rate_limited`` with a ``Retry-After`` for the next
``fail_times`` requests, ``slow`` beyond a client timeout) or delayed (``delay``, for latency benchmarks).
Results are every page whose text shares a word with the query, in the order the pages were added.

Example::

    with SearchServer() as server:
        server.page("dam", "<html><body><p>The Ridgeway dam opened in 1998.</p></body></html>",
                    title="Dam opens", published="1998-06-01")
        source = make_searxng(url=server.base_url, store=store, allow_private=True)
        hits = source.search("Ridgeway dam", k=3)
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from factdesk.types import Document

_WORD = re.compile(r"\w+")


@dataclass
class Page:
    name: str
    body: bytes
    title: str = ""
    snippet: str = ""
    published: str | None = None
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    listed: bool = True  # appears in search results
    url: str | None = None  # listed under this URL instead of the server's own /pages/NAME
    delay: float = 0.0  # seconds the server stalls before answering (a slow site)


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


def html_page(title: str, text: str, published: str | None = None, extra_head: str = "") -> str:
    """A plain article page with a title, an article:published_time and one paragraph per line of ``text``."""
    meta = f'<meta property="article:published_time" content="{html.escape(published)}">' if published else ""
    paras = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title>{meta}{extra_head}</head>"
            f"<body><article><h1>{html.escape(title)}</h1>{paras}</article></body></html>")


class SearchServer:
    """See the module doc.  Use as a context manager; :attr:`base_url` is ``http://127.0.0.1:PORT``."""

    def __init__(self, *, brave_key: str = "test-key") -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[Request] = []
        self.api_mode = "ok"
        self.fail_times = 0  # how many API requests fail before answering again (rate_limited, junk)
        self.retry_after: str | None = "1"
        self.delay = 0.0  # seconds before every API answer
        self.slow_seconds = 5.0  # how long "slow" stalls
        self.json_enabled = True  # SearxNG's search.formats lists json
        self.brave_key = brave_key
        self.extra_results: list[dict[str, Any]] = []  # results listed for every query (other sites, junk)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content ----------------------------------------------------------------------------
    def page(self, name: str, body: str | bytes, *, title: str = "", snippet: str = "", published: str | None = None,
             **kw: Any) -> str:
        """Serve ``body`` at /pages/NAME (listed in results unless ``listed=False``); returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[name] = Page(name, data, title=title, snippet=snippet, published=published, **kw)
        return self.url(f"/pages/{name}")

    def add_documents(self, docs: list[Document]) -> list[str]:
        """Each document as an article page (its title, date and text); returns their URLs."""
        return [self.page(f"doc{i}", html_page(d.title or f"Document {i}", d.text, d.published),
                          title=d.title or "", snippet=d.text[:160], published=d.published)
                for i, d in enumerate(docs)]

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first (with SearchServer() as server: …)"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def api_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path in ("/search", "/res/v1/web/search")]

    def results_for(self, query: str) -> list[Page]:
        words = {w.lower() for w in _WORD.findall(query) if len(w) > 2}
        out = []
        for p in self.pages.values():
            if not p.listed:
                continue
            text = (p.title + " " + p.snippet + " " + p.body.decode("utf-8", "replace")).lower()
            if words & set(_WORD.findall(text)):
                out.append(p)
        return out

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> "SearchServer":
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with outer._lock:
                    outer.requests.append(Request(parts.path, query, {k.lower(): v for k, v in self.headers.items()},
                                                  time.monotonic()))
                try:
                    outer._handle(self, parts.path, query)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- answers ----------------------------------------------------------------------------
    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _api_failure(self, h: BaseHTTPRequestHandler) -> bool:
        """Answer a failing API request (and return True) when the mode says so."""
        mode = self.api_mode
        if mode in ("rate_limited", "junk", "unavailable"):
            with self._lock:
                if self.fail_times <= 0:
                    return False
                self.fail_times -= 1
        if mode == "rate_limited":
            headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
            self._send(h, 429, b'{"error": "Too Many Requests"}', "application/json", headers)
            return True
        if mode == "unavailable":
            self._send(h, 503, b"<html>down for maintenance</html>", "text/html")
            return True
        if mode == "junk":
            self._send(h, 200, b"<html><body>Not JSON at all { oops", "application/json")
            return True
        if mode == "slow":
            time.sleep(self.slow_seconds)
            self._send(h, 200, b'{"results": []}', "application/json")
            return True
        return False

    def _handle(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        if path in ("/search", "/res/v1/web/search"):
            if self.delay:
                time.sleep(self.delay)
            if path == "/search":
                if query.get("format") != "json" or not self.json_enabled:
                    self._send(h, 403, b"<html><body>403 Forbidden</body></html>", "text/html")
                    return
            elif h.headers.get("X-Subscription-Token") != self.brave_key:
                self._send(h, 401, json.dumps({"type": "ErrorResponse", "error": {
                    "code": "SUBSCRIPTION_TOKEN_INVALID", "status": 401}}).encode(), "application/json")
                return
            if self._api_failure(h):
                return
            pages = self.results_for(query.get("q", ""))
            body = self._searxng(query, pages) if path == "/search" else self._brave(query, pages)
            self._send(h, 200, json.dumps(body).encode("utf-8"), "application/json")
            return
        if path.startswith("/pages/"):
            page = self.pages.get(path[len("/pages/"):])
            if page is None:
                self._send(h, 404, b"not found", "text/plain")
                return
            if page.delay:
                time.sleep(page.delay)
            self._send(h, page.status, page.body, page.content_type, page.headers)
            return
        self._send(h, 404, b"not found", "text/plain")

    def _page_url(self, p: Page) -> str:
        return p.url or self.url(f"/pages/{p.name}")

    def _searxng(self, query: dict[str, str], pages: list[Page]) -> dict[str, Any]:
        results = [{"url": self._page_url(p), "title": p.title, "content": p.snippet, "engine": "loopback",
                    "engines": ["loopback"], "parsed_url": list(urlsplit(self._page_url(p))),
                    "publishedDate": f"{p.published}T00:00:00" if p.published else None, "score": 1.0 / (i + 1),
                    "category": "general", "positions": [i + 1]} for i, p in enumerate(pages)]
        results += self.extra_results
        return {"query": query.get("q", ""), "number_of_results": len(results), "results": results, "answers": [],
                "corrections": [], "infoboxes": [], "suggestions": [], "unresponsive_engines": []}

    def _brave(self, query: dict[str, str], pages: list[Page]) -> dict[str, Any]:
        count = int(query.get("count", "20") or 20)
        results = [{"type": "search_result", "title": p.title, "url": self._page_url(p), "description": p.snippet,
                    "page_age": f"{p.published}T00:00:00" if p.published else None,
                    "age": p.published, "language": "en", "family_friendly": True,
                    "meta_url": {"scheme": "http", "netloc": urlsplit(self._page_url(p)).netloc,
                                 "hostname": urlsplit(self._page_url(p)).hostname, "path": urlsplit(self._page_url(p)).path}}
                   for p in pages][:count]
        results += [{"title": r.get("title", ""), "url": r.get("url"), "description": r.get("content", "")}
                    for r in self.extra_results]
        return {"type": "search", "query": {"original": query.get("q", ""), "more_results_available": False},
                "mixed": {"type": "mixed", "main": []}, "web": {"type": "search", "results": results,
                                                                  "family_friendly": True}}


__all__ = ["Page", "Request", "SearchServer", "html_page"]
