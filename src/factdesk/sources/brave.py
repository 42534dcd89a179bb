"""The Brave Search API as an evidence source (``--source brave``; key from an environment variable).

factdesk calls ``GET https://api.search.brave.com/res/v1/web/search?q=…&count=N`` with the header
``X-Subscription-Token`` and reads ``web.results[]``: ``url``, ``title``, ``description`` and
``page_age`` (else ``age``).  The key is read from the environment variable the settings name
(``api_key_env``, default ``BRAVE_API_KEY``; or ``api_key = {"$env" = "NAME"}``), never stored.
``before`` becomes Brave's ``freshness=1970-01-01to{before}`` date range, and is enforced on each
fetched page's own date as well.  ``base_url`` is replaceable (tests, a proxy).

Example::

    source = make_brave(api_key_env="BRAVE_API_KEY", store=store)
    hits = source.search("Ridgeway dam opened 1998", k=5, before="2024-05-01")
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from factdesk.errors import SourceError
from factdesk.protocols import Embedder
from factdesk.sources import http
from factdesk.sources.web import SearchResult, WebSearchSource, as_date, env_key, last_day, search_results

BRAVE_API = "https://api.search.brave.com/res/v1"
DEFAULT_KEY_ENV = "BRAVE_API_KEY"


class BraveSource(WebSearchSource):
    """The Brave Search web API (see the module doc)."""

    kind = "brave"
    service = "the Brave Search API"

    def __init__(self, *, api_key: str | None = None, api_key_env: str | None = None, base_url: str = BRAVE_API,
                 country: str | None = None, search_lang: str | None = None, safesearch: str | None = None,
                 **common: Any) -> None:
        common.setdefault("rate", 1.0)  # the free plan's documented 1 query a second
        super().__init__(**common)
        self._api_key = api_key  # already resolved from {"$env": NAME} by the registry; never written anywhere
        self.api_key_env = api_key_env or DEFAULT_KEY_ENV
        self.base_url = str(base_url).rstrip("/")
        self.country = country
        self.search_lang = search_lang
        self.safesearch = safesearch

    def _key(self) -> str:
        return env_key(self._api_key, self.api_key_env, service=self.service, default_env=DEFAULT_KEY_ENV)

    def endpoint_key(self) -> str:
        # one limiter per key (a plan's limits are per key), named by a digest: the key itself is kept nowhere
        try:
            digest = hashlib.sha256(self._key().encode()).hexdigest()[:12]
        except Exception:  # noqa: BLE001 - no key: request() reports it
            digest = "-"
        return f"brave {self.base_url} {digest}"

    def before_param(self, before: str | None) -> str | None:
        return f"1970-01-01to{last_day(before)}" if before else None

    def request(self, query: str, before: str | None) -> tuple[str, dict[str, str]]:
        params: dict[str, Any] = {"q": query, "count": min(self.results, 20)}
        freshness = self.before_param(before)
        if freshness:
            params["freshness"] = freshness
        for name in ("country", "search_lang", "safesearch"):
            if getattr(self, name):
                params[name] = getattr(self, name)
        return f"{self.base_url}/web/search?{urlencode(params)}", {"X-Subscription-Token": self._key()}

    def check_status(self, answer: http.Answer) -> None:
        if answer.status in (401, 403):
            raise SourceError(f"{self.service} refused the key (HTTP {answer.status})",
                              hint=f"check the key in ${self.api_key_env} and that its plan covers web search")
        if answer.status == 422:
            raise SourceError(f"{self.service} rejected the request (HTTP 422: invalid key or parameter)",
                              hint=f"check the key in ${self.api_key_env} and the source's options")
        super().check_status(answer)

    def parse(self, status: int, payload: Any) -> list[SearchResult]:
        if not isinstance(payload, dict):
            raise SourceError(f"{self.service} answered JSON that is not a search response")
        web = payload.get("web")
        if web is None:
            return []  # Brave leaves "web" out when nothing was found
        if not isinstance(web, dict) or not isinstance(web.get("results", []), list):
            raise SourceError(f"{self.service} answered JSON without web.results")
        return search_results(web.get("results", []), "description",
                              lambda item: as_date(item.get("page_age")) or as_date(item.get("age")))


def make_brave(*, store: Any = None, embedder: Embedder | None = None, **options: Any) -> BraveSource:
    """Factory for ``source.brave``: ``api_key_env`` names the key's variable; ``base_url`` for tests."""
    return BraveSource(store=store, embedder=embedder, **options)


make_brave.spec_option = "api_key_env"  # type: ignore[attr-defined]  # what SPEC in `brave=SPEC` sets

__all__ = ["BraveSource", "make_brave", "BRAVE_API", "DEFAULT_KEY_ENV"]
