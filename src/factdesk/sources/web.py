"""What every web search source shares: query cache, budget, domain rules, page snapshots, ranking.

An adapter (:mod:`factdesk.sources.searxng`, :mod:`factdesk.sources.brave`) only says how to ask its
API (:meth:`WebSearchSource.request`) and how to read the answer (:meth:`WebSearchSource.parse`);
this class does the rest, the same way for every API:

1. the query cache (``store.sources``): an answer younger than ``cache_ttl`` seconds is reused and
   costs no API call; ``refresh`` asks again;
2. the per-run budget: at most ``budget`` API calls per source object (the pipeline makes one per
   check); a spent budget is a :class:`~factdesk.errors.SourceError` the pipeline records;
3. rate limit, concurrency cap, retries honouring ``Retry-After`` (:mod:`factdesk.sources.http`);
4. domain rules (:mod:`factdesk.sources.domains`): denied results are dropped, fact-check sites are
   set aside as earlier fact-checks;
5. the first ``pages`` allowed results are fetched (in parallel, at most ``concurrency`` at once)
   and kept as snapshots, or the newest stored snapshot is reused;
6. their passages are ranked for the query; a passage whose page is dated after ``before`` is flagged
   ``after_claim_date`` and ranked after the others, as local evidence is.

Example::

    source = SearxngSource(url="http://127.0.0.1:8888", store=store)
    for hit in source.search("The Ridgeway dam opened in 1998", k=3, before="2024-05-01"):
        print(hit.provenance["url"], hit.provenance["snapshot_id"], hit.passage.text[:80])
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from factdesk.errors import ConfigError, FactdeskError, SourceError
from factdesk.ingest import parse_date
from factdesk.protocols import Embedder
from factdesk.sources import http
from factdesk.sources.domains import DomainRules
from factdesk.sources.snapshot import rank_passages, read_page, store_page
from factdesk.store.sources import Snapshot
from factdesk.types import Hit

DAY = 86400.0


@dataclass
class SearchResult:
    """One search result as an adapter normalises it."""

    url: str
    title: str = ""
    snippet: str = ""
    published: str | None = None  # ISO date, when the API gives one

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "snippet": self.snippet, "published": self.published}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SearchResult":
        return cls(url=str(d.get("url") or ""), title=str(d.get("title") or ""), snippet=str(d.get("snippet") or ""),
                   published=d.get("published") or None)


@dataclass
class SearchOutcome:
    """What one search did, beyond its hits: for the report and ``factdesk sources test``."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    results: int = 0
    cached: bool = False
    api_calls: int = 0
    factchecks: list[dict[str, Any]] = field(default_factory=list)  # results on fact-check sites
    denied: list[str] = field(default_factory=list)  # result URLs the domain rules dropped
    pages_fetched: int = 0
    pages_reused: int = 0
    page_errors: list[dict[str, str]] = field(default_factory=list)  # {"url", "reason"}
    seconds: float = 0.0


def http_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL (anything else in a result is dropped)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.hostname else None


def search_results(items: list[Any], snippet: str, published: Callable[[dict[str, Any]], str | None]
                   ) -> list[SearchResult]:
    """An API's result items as :class:`SearchResult` s, in order: items that are not objects or have no
    http(s) URL are dropped, a repeated URL is kept once, titles and snippets are capped.

    ``snippet`` names the item's text field; ``published`` reads the item's date (ISO or None).
    """
    out: list[SearchResult] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        url = http_url(item.get("url"))
        if url is None or url in seen:
            continue
        seen.add(url)
        out.append(SearchResult(url=url, title=str(item.get("title") or "")[:500],
                                snippet=str(item.get(snippet) or "")[:2000], published=published(item)))
    return out


def last_day(value: str) -> str:
    """The last day ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` can mean, for comparing ISO dates as text."""
    value = str(value).strip()[:10]
    parts = value.split("-")
    if not parts[0].isdigit() or len(parts[0]) != 4 or len(parts) > 3 or not all(p.isdigit() for p in parts):
        raise SourceError(f"not an ISO date: {value!r}", hint="give the date as YYYY-MM-DD, YYYY-MM or YYYY")
    return value + ("-12-31" if len(parts) == 1 else "-31" if len(parts) == 2 else "")


def as_date(value: object) -> str | None:
    return parse_date(value) if isinstance(value, str) and value.strip() else None


class WebSearchSource:
    """The shared machinery of a web search :class:`~factdesk.protocols.EvidenceSource`; see the module doc."""

    kind = "web"
    service = "the search API"  # how messages name it

    def __init__(self, *, name: str | None = None, store: Any = None, embedder: Embedder | None = None,
                 rate: float = 1.0, concurrency: int = 2, timeout: float = 10.0, max_retries: int = 2,
                 max_wait: float = 30.0, cache_ttl: float = 7 * DAY, budget: int = 50, pages: int = 3,
                 results: int = 10, allow: Any = None, deny: Any = None, deny_factcheckers: bool = True,
                 allow_private: bool = False, fetch_timeout: float = 20.0, max_bytes: int = 5_000_000,
                 refresh: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = name or self.kind
        self.store = store
        self.embedder = embedder
        self.rate = float(rate)
        self.concurrency = max(1, int(concurrency))
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.max_wait = float(max_wait)
        self.cache_ttl = float(cache_ttl)
        self.budget = int(budget)
        self.pages = max(0, int(pages))
        self.results = max(1, int(results))
        self.rules = DomainRules.from_options(allow, deny, deny_factcheckers)
        self.allow_private = bool(allow_private)
        self.fetch_timeout = float(fetch_timeout)
        self.max_bytes = int(max_bytes)
        self.refresh = bool(refresh)
        self._sleep = sleep
        self.api_calls = 0  # made by this object: the run's spend against ``budget``
        self.last: SearchOutcome | None = None
        # answers (or failures) prefetch() got for this run, by (query, before), until a search takes them
        self._answers: dict[tuple[str, str | None], tuple[list[SearchResult], str] | FactdeskError] = {}

    # -- what an adapter provides ------------------------------------------------------------
    def request(self, query: str, before: str | None) -> tuple[str, dict[str, str]]:
        """The URL and headers of one API call."""
        raise NotImplementedError

    def parse(self, status: int, payload: Any) -> list[SearchResult]:
        """Results from a decoded JSON answer; :class:`SourceError` when it is not a search answer."""
        raise NotImplementedError

    def check_status(self, answer: http.Answer) -> None:
        """Turn an HTTP error status into a clear :class:`SourceError` (adapters add their own cases)."""
        if answer.status >= 400:
            raise SourceError(f"{self.service} answered HTTP {answer.status}",
                              hint=f"check the {self.name} source's URL and options")

    def endpoint_key(self) -> str:
        """Which rate limiter this source shares (one per API endpoint and key)."""
        return self.kind

    def params(self, before: str | None) -> str:
        """Everything besides the query that changes the answer (the cache key's other half)."""
        return json.dumps({"before": self.before_param(before), "n": self.results}, sort_keys=True)

    def before_param(self, before: str | None) -> str | None:
        """``before`` as far as the API itself applies it (None: not at all; it is enforced on pages)."""
        return None

    # -- EvidenceSource --------------------------------------------------------------------
    def warm_up(self) -> None:
        """Nothing to load; a missing key or URL, or a store without snapshot tables, is reported here."""
        if self.store is not None and getattr(self.store, "sources", None) is None:
            raise ConfigError(f"the {self.name} source keeps its query cache and page snapshots in a SQLite store; "
                              "this store has no such tables", hint="use a SQLite store (--db FILE) for web sources")
        self.request("warm-up", None)

    def search(self, query: str, k: int = 5, *, before: str | None = None) -> list[Hit]:
        return self.search_detailed(query, k, before=before).hits

    def search_detailed(self, query: str, k: int = 5, *, before: str | None = None) -> SearchOutcome:
        started = time.perf_counter()
        query = " ".join(str(query or "").split())
        out = SearchOutcome(query=query)
        self.last = out
        if not query or k <= 0:
            return out
        limit = last_day(before) if before else None
        results, fetched_at = self._results(query, before, out)
        out.results = len(results)
        usable: list[tuple[SearchResult, int]] = []
        for rank, r in enumerate(results, 1):
            verdict = self.rules.verdict(r.url)
            if verdict == "factcheck":
                out.factchecks.append({**r.to_dict(), "source": self.name, "query": query})
            elif verdict == "denied":
                out.denied.append(r.url)
            else:
                usable.append((r, rank))
        pages = self._snapshots(usable[:self.pages], query, out)
        ranked = rank_passages(query, [(snap, rank) for snap, _r, rank in pages], embedder=self.embedder,
                               store=self.store)
        by_snapshot = {snap.id: r for snap, r, _rank in pages}
        hits: list[Hit] = []
        for rp in ranked:
            snap = rp.snapshot
            result = by_snapshot[snap.id]
            dated = snap.published or result.published
            flagged = bool(limit and dated and dated[:10] > limit)
            hits.append(Hit(passage=rp.passage, score=rp.score, after_claim_date=flagged, provenance={
                "source": self.name, "kind": self.kind, "query": query, "url": snap.url, "final_url": snap.final_url,
                "title": result.title or snap.document.title, "fetched_at": snap.fetched_at,
                "content_hash": snap.content_hash, "snapshot_id": snap.id, "published": dated,
                "search_rank": rp.page_rank, "results_fetched_at": fetched_at}))
        hits.sort(key=lambda h: h.after_claim_date)  # stable: best first within each group
        out.hits = hits[:k]
        out.seconds = time.perf_counter() - started
        return out

    # -- steps ------------------------------------------------------------------------------
    def prefetch(self, queries: list[str], before: str | None = None) -> int:
        """Ask the API for each query not cached yet, up to ``concurrency`` calls at once; returns how many.

        A check hands over all its claims (and questions) first, so the API's latency is paid
        ``concurrency`` calls at a time instead of one claim after another (the rate limit still holds).
        Each answer — or failure — waits here for the search of that query, which then asks nothing;
        the budget counts these calls as it counts any other.
        """
        todo: list[str] = []
        params = self.params(before)
        for query in dict.fromkeys(" ".join(str(q or "").split()) for q in queries):
            if not query or (query, before) in self._answers:
                continue
            if self.store is not None and not self.refresh and self.store.sources.cached_results(
                    self.name, query, params, max_age=self.cache_ttl) is not None:
                continue
            todo.append(query)
        todo = todo[:max(0, self.budget - self.api_calls)]
        if len(todo) < 2 or self.concurrency < 2:
            return 0  # nothing to gain: each search asks for itself
        calls = [self.request(q, before) for q in todo]
        self.api_calls += len(todo)

        def ask(call: tuple[str, dict[str, str]]) -> list[SearchResult] | FactdeskError:
            try:
                return self._ask(*call)
            except FactdeskError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(calls))) as pool:
            answers = list(pool.map(ask, calls))
        fetched_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        for query, got in zip(todo, answers):
            if isinstance(got, FactdeskError):
                self._answers[(query, before)] = got
                continue
            self._answers[(query, before)] = (got, fetched_at)
            if self.store is not None:
                self.store.sources.cache_results(self.name, query, params, [r.to_dict() for r in got],
                                                 fetched_at=fetched_at)
        return len(todo)

    def _ask(self, url: str, headers: dict[str, str]) -> list[SearchResult]:
        """One API call, network only (safe in a worker thread)."""
        limiter = http.limiter_for(self.endpoint_key(), rate=self.rate, concurrency=self.concurrency)
        answer = http.get(url, headers=headers, timeout=self.timeout, limiter=limiter, what=self.service,
                          max_retries=self.max_retries, max_wait=self.max_wait, sleep=self._sleep)
        self.check_status(answer)
        return self.parse(answer.status, http.parse_json(answer, self.service))[:self.results]

    def _results(self, query: str, before: str | None, out: SearchOutcome) -> tuple[list[SearchResult], str]:
        params = self.params(before)
        got = self._answers.pop((query, before), None)
        if got is not None:  # asked by prefetch() for this run
            out.api_calls += 1
            if isinstance(got, FactdeskError):
                raise got
            return got
        if self.store is not None and not self.refresh:
            cached = self.store.sources.cached_results(self.name, query, params, max_age=self.cache_ttl)
            if cached is not None:
                out.cached = True
                return [SearchResult.from_dict(d) for d in cached[0]], cached[1]
        if self.api_calls >= self.budget:
            raise SourceError(f"{self.name}: the query budget of {self.budget} API call(s) for this run is spent",
                              hint=f"raise the {self.name} source's budget option; cached queries cost nothing")
        url, headers = self.request(query, before)
        self.api_calls += 1
        out.api_calls += 1
        results = self._ask(url, headers)
        fetched_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        if self.store is not None:
            self.store.sources.cache_results(self.name, query, params, [r.to_dict() for r in results],
                                             fetched_at=fetched_at)
        return results, fetched_at

    def _snapshots(self, chosen: list[tuple[SearchResult, int]], query: str, out: SearchOutcome
                   ) -> list[tuple[Snapshot, SearchResult, int]]:
        if self.store is None:
            raise ConfigError(f"the {self.name} source needs a store to keep page snapshots in")
        got: list[tuple[Snapshot, SearchResult, int]] = []
        to_fetch: list[tuple[SearchResult, int]] = []
        for result, rank in chosen:
            snap = None if self.refresh else self.store.sources.latest_snapshot(result.url)
            if snap is not None:
                out.pages_reused += 1
                got.append((snap, result, rank))
            else:
                to_fetch.append((result, rank))
        if to_fetch:
            def fetch_one(item: tuple[SearchResult, int]) -> Any:
                try:
                    return read_page(item[0].url, allow_private=self.allow_private, timeout=self.fetch_timeout,
                                     max_bytes=self.max_bytes)
                except FactdeskError as exc:
                    return exc

            # the network in worker threads; reading and storing back on this thread (one connection)
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(to_fetch))) as pool:
                fetched = list(pool.map(fetch_one, to_fetch))
            for (result, rank), page in zip(to_fetch, fetched):
                try:
                    if isinstance(page, FactdeskError):
                        raise page
                    snap = store_page(self.store, page, url=result.url, source=self.name, query=query,
                                      api_date=result.published)
                except FactdeskError as exc:
                    out.page_errors.append({"url": result.url, "reason": f"{exc.code}: {exc.message}"})
                    continue
                out.pages_fetched += 1
                got.append((snap, result, rank))
        got.sort(key=lambda t: t[2])
        return got


def env_key(option_value: str | None, env_name: str | None, *, service: str, default_env: str) -> str:
    """The API key: an option already resolved from ``{"$env": NAME}``, else the variable ``env_name`` names."""
    if option_value:
        return str(option_value)
    var = env_name or default_env
    value = os.environ.get(var, "").strip()
    if not value:
        raise ConfigError(f"{service} needs an API key: the environment variable {var} is not set",
                          hint=f"export {var}=YOUR_KEY (the key is read from the environment, never stored)")
    return value


__all__ = ["SearchOutcome", "SearchResult", "WebSearchSource", "as_date", "last_day", "env_key", "http_url",
           "search_results"]
