"""One batch worker: a pipeline built once, then article after article checked and written.

The local process pool builds one :class:`ArticleChecker` per process (its initializer); a Spark
executor's Python worker builds one per process too and keeps it across partitions
(:func:`cached_checker`).  Models therefore load once per worker, not once per article.

Example::

    checker = ArticleChecker(settings, StoreSpec("factdesk.db"), ReportDir("reports/", ["json"]))
    outcome = checker.run(Article(id="n1", text="date 2024-03-01\\nThe dam opened in 1998."))
    outcome.status   # "done" (reports/n1.json written) or "failed" (reports/errors/n1.json)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from factdesk.pipeline import Pipeline, resolve_name
from factdesk.scale.articles import Article
from factdesk.scale.output import ReportDir
from factdesk.scale.stores import StoreSpec, open_store
from factdesk.settings import Settings

# parts that run onnxruntime and take a ``threads`` option (resolved names)
_THREADED = {"embedder": {"minilm-int8"}, "verifier": {"cross-encoder", "trained"},
             "checkworthiness": {"trained", "trained+heuristic"}}


@dataclass(frozen=True)
class Outcome:
    """What became of one article: ``done`` (reports written) or ``failed`` (error record written)."""

    id: str
    status: str
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def with_model_threads(settings: Settings, threads: int) -> Settings:
    """``settings`` with each onnxruntime part limited to ``threads`` (unless its options already say).

    N workers on C cores each get C // N threads, so the pool does not oversubscribe the cores.
    """
    options = {k: dict(v) for k, v in settings.component_options.items()}
    for kind, names in _THREADED.items():
        name = getattr(settings, kind)
        if kind in ("verifier", "checkworthiness"):
            name = resolve_name(kind, name)
        if name in names and "threads" not in options.get(kind, {}):
            options.setdefault(kind, {})["threads"] = max(1, int(threads))
    return replace(settings, component_options=options)


class ArticleChecker:
    """Checks articles with one pipeline (built on first use) and writes each outcome to ``out``.

    Example::

        checker = ArticleChecker(settings, spec, ReportDir("reports/"))
        checker.warm_up()                          # load the models now
        [checker.run(a) for a in articles]
    """

    def __init__(self, settings: Settings, store: StoreSpec, out: ReportDir) -> None:
        self.settings = settings
        self.store_spec = store
        self.out = out
        self._pipe: Pipeline | None = None

    @property
    def pipeline(self) -> Pipeline:
        if self._pipe is None:
            self._pipe = Pipeline.from_settings(self.settings, store=open_store(self.store_spec))
        return self._pipe

    def warm_up(self) -> None:
        """Open the store and load every model the check uses."""
        pipe = self.pipeline
        pipe.warm_up()
        _ = pipe.omitted_verifier, pipe.embedder

    def run(self, article: Article) -> Outcome:
        """Check one article and write its reports, or its error record; never raises for the article's fault."""
        started = time.perf_counter()
        try:
            s = self.settings
            doc = article.load(allow_private=s.allow_private, timeout=s.fetch_timeout, max_bytes=s.max_bytes)
            report = self.pipeline.check(doc, save=False)
            self.out.write_report(article.id, report)
        except Exception as exc:  # noqa: BLE001 - one article's failure is recorded; the batch goes on
            self.out.write_error(article.id, article.source, exc)
            return Outcome(article.id, "failed", f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
        return Outcome(article.id, "done", None, time.perf_counter() - started)

    def close(self) -> None:
        if self._pipe is not None:
            self._pipe.store.close()
            self._pipe = None


_CACHED: dict[tuple[Any, ...], ArticleChecker] = {}


def cached_checker(settings: Settings, store: StoreSpec, out: ReportDir) -> ArticleChecker:
    """The process's checker for these arguments, built (and warmed up) on the first call only.

    One is kept: a call with other arguments (the next batch in a long-lived Spark worker) closes it.
    """
    key = (repr(settings), store, str(out.root), tuple(out.formats), repr(sorted(out.render_options.items())))
    checker = _CACHED.get(key)
    if checker is None:
        for old in _CACHED.values():
            old.close()
        _CACHED.clear()
        checker = ArticleChecker(settings, store, out)
        checker.warm_up()
        _CACHED[key] = checker
    return checker
