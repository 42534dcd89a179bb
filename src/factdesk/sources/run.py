"""One check's use of its evidence sources: every claim (and question) asked of every source, failures kept.

:class:`SourcesRun` holds the built sources for one check.  :meth:`SourcesRun.search` asks each source
for one query and never raises: a source that cannot answer is skipped for that query and the reason
is recorded (a source that fails to start is skipped for the whole check).  :meth:`SourcesRun.to_report`
is the report's ``sources`` object: what each source cost (API calls, cached answers, pages fetched or
reused), what was skipped and why, and the results found on fact-check sites, per claim.

Example::

    run = SourcesRun([(entry, source)])
    hits = run.search("c1", "The dam opened in 1998", k=5, before="2024-05-01")
    report["sources"] = run.to_report()
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from factdesk.errors import FactdeskError
from factdesk.sources.config import SourceEntry
from factdesk.types import Hit


@dataclass
class SourceUse:
    name: str
    kind: str
    queries: int = 0
    api_calls: int = 0
    cached: int = 0
    pages_fetched: int = 0
    pages_reused: int = 0
    hits: int = 0
    failures: int = 0
    seconds: float = 0.0
    disabled: str | None = None  # why the source was skipped for the whole check

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "queries": self.queries, "api_calls": self.api_calls,
                "cached": self.cached, "pages_fetched": self.pages_fetched, "pages_reused": self.pages_reused,
                "hits": self.hits, "failures": self.failures, "seconds": round(self.seconds, 3),
                "disabled": self.disabled}


def _reason(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, FactdeskError):
        return exc.code, str(exc)
    return "source_failed", f"{type(exc).__name__}: {exc}"


@dataclass
class SourcesRun:
    """The sources of one check and what they did (see the module doc)."""

    sources: list[tuple[SourceEntry, Any]]
    uses: dict[str, SourceUse] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    factchecks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_errors: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for entry, _source in self.sources:
            self.uses[entry.name] = SourceUse(entry.name, entry.kind)

    def disable(self, entry: SourceEntry, exc: BaseException) -> None:
        code, reason = _reason(exc)
        use = self.uses.setdefault(entry.name, SourceUse(entry.name, entry.kind))
        use.disabled = reason
        self.skipped.append({"source": entry.name, "claim_id": None, "query": None, "code": code, "reason": reason})

    def warm_up(self) -> None:
        """Start every source; one that cannot start is skipped for the whole check, with the reason."""
        for entry, source in self.sources:
            try:
                source.warm_up()
            except Exception as exc:  # noqa: BLE001 - a source never loses the report
                self.disable(entry, exc)

    @property
    def active(self) -> list[tuple[SourceEntry, Any]]:
        return [(e, s) for e, s in self.sources if self.uses[e.name].disabled is None]

    def prefetch(self, queries: list[str], *, before: str | None) -> None:
        """Let each source that can ask for all of a check's queries at once (``prefetch``) do so.

        Failures stay with the source and surface, recorded, when the query is searched.
        """
        for entry, source in self.active:
            ahead = getattr(source, "prefetch", None)
            if ahead is None:
                continue
            started = time.perf_counter()
            try:
                ahead(queries, before)
            except Exception:  # noqa: BLE001 - each query's own search reports what went wrong
                pass
            finally:
                self.uses[entry.name].seconds += time.perf_counter() - started

    def search(self, claim_id: str, query: str, *, k: int, before: str | None) -> list[list[Hit]]:
        """One ranked list per active source (empty where it failed; the reason is recorded)."""
        out: list[list[Hit]] = []
        for entry, source in self.active:
            use = self.uses[entry.name]
            use.queries += 1
            started = time.perf_counter()
            try:
                detailed = getattr(source, "search_detailed", None)
                if detailed is not None:
                    outcome = detailed(query, k, before=before)
                    hits = list(outcome.hits)
                    use.api_calls += outcome.api_calls
                    use.cached += int(outcome.cached)
                    use.pages_fetched += outcome.pages_fetched
                    use.pages_reused += outcome.pages_reused
                    for fc in outcome.factchecks:
                        known = self.factchecks.setdefault(claim_id, [])
                        if all(f["url"] != fc["url"] for f in known):
                            known.append(fc)
                    for err in outcome.page_errors:
                        self.page_errors.append({"source": entry.name, "claim_id": claim_id, **err})
                else:
                    hits = list(source.search(query, k, before=before))
            except Exception as exc:  # noqa: BLE001 - skipped for this query, said in the report
                code, reason = _reason(exc)
                use.failures += 1
                self.skipped.append({"source": entry.name, "claim_id": claim_id, "query": query, "code": code,
                                     "reason": reason})
                hits = []
            finally:
                use.seconds += time.perf_counter() - started
            for h in hits:
                if h.provenance is None:  # a plugin that forgot: the report still says where it came from
                    h.provenance = {"source": entry.name, "query": query, "url": h.passage.url}
                else:
                    h.provenance.setdefault("source", entry.name)
            use.hits += len(hits)
            out.append(hits)
        return out

    def to_report(self) -> dict[str, Any]:
        return {"used": [u.to_dict() for u in self.uses.values()], "skipped": self.skipped,
                "page_errors": self.page_errors[:100], "factchecks": self.factchecks}


__all__ = ["SourceUse", "SourcesRun"]
