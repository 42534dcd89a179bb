"""SearxNG, the self-hosted metasearch engine, as an evidence source (``--source searxng=URL``).

factdesk calls ``GET {url}/search?q=…&format=json`` and reads ``results[]``: ``url``, ``title``,
``content`` and ``publishedDate``.  A SearxNG instance answers the JSON format only when its
``settings.yml`` lists it::

    search:
      formats:
        - html
        - json

Without it the instance answers 403 Forbidden, which this source turns into an error naming that
key.  SearxNG has no absolute date filter (``time_range`` is relative to today), so ``before`` is
enforced on each fetched page's own date instead.

Example::

    source = make_searxng(url="http://127.0.0.1:8888", store=store)
    hits = source.search("Ridgeway dam opened 1998", k=5)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from factdesk.errors import ConfigError, SourceError
from factdesk.protocols import Embedder
from factdesk.sources import http
from factdesk.sources.web import SearchResult, WebSearchSource, as_date, search_results


class SearxngSource(WebSearchSource):
    """A SearxNG instance's JSON API (see the module doc)."""

    kind = "searxng"

    def __init__(self, url: str = "", *, language: str | None = None, categories: str = "general",
                 safesearch: int | None = None, engines: str | None = None, **common: Any) -> None:
        common.setdefault("rate", 2.0)  # kind to the engines a SearxNG instance asks on our behalf
        super().__init__(**common)
        self.url = str(url or "").strip().rstrip("/")
        if self.url.endswith("/search"):
            self.url = self.url[: -len("/search")]
        self.language = language
        self.categories = categories
        self.safesearch = safesearch
        self.engines = engines
        self.service = f"SearxNG at {self.url or '(no URL)'}"

    def endpoint_key(self) -> str:
        return f"searxng {self.url}"

    def request(self, query: str, before: str | None) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"the searxng source needs the instance's http(s) URL, not {self.url!r}",
                              hint="e.g. --source searxng=http://127.0.0.1:8888 or `factdesk sources add searxng URL`")
        params: dict[str, Any] = {"q": query, "format": "json"}
        if self.categories:
            params["categories"] = self.categories
        if self.language:
            params["language"] = self.language
        if self.safesearch is not None:
            params["safesearch"] = int(self.safesearch)
        if self.engines:
            params["engines"] = self.engines
        return f"{self.url}/search?{urlencode(params)}", {}

    def check_status(self, answer: http.Answer) -> None:
        if answer.status == 403:
            raise SourceError(f"{self.service} refused the JSON API (HTTP 403 Forbidden)",
                              hint="add json to search.formats in the instance's settings.yml "
                                   "(search: formats: [html, json]) and restart SearxNG")
        if answer.status == 404:
            raise SourceError(f"{self.service} has no /search endpoint (HTTP 404)",
                              hint="give the instance's root URL, e.g. http://127.0.0.1:8888")
        super().check_status(answer)

    def parse(self, status: int, payload: Any) -> list[SearchResult]:
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise SourceError(f"{self.service} answered JSON without a results list",
                              hint="is the URL a SearxNG instance?")
        return search_results(payload["results"], "content",
                              lambda item: as_date(item.get("publishedDate") or item.get("pubdate")))


def make_searxng(url: str = "", *, store: Any = None, embedder: Embedder | None = None, **options: Any) -> SearxngSource:
    """Factory for ``source.searxng``: ``url`` is the instance's root; other options as in :class:`WebSearchSource`."""
    return SearxngSource(url, store=store, embedder=embedder, **options)


make_searxng.spec_option = "url"  # type: ignore[attr-defined]  # what SPEC in `searxng=SPEC` sets

__all__ = ["SearxngSource", "make_searxng"]
