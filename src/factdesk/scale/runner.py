"""A batch run from start to summary: read the articles, skip the finished ones, check the rest.

Example::

    summary = run_batch("articles.jsonl", out="reports/", engine="local", workers=2, db="factdesk.db")
    print(summary.done, summary.failed, summary.articles_per_hour)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from factdesk.errors import BackendError, ConfigError
from factdesk.pipeline import Pipeline
from factdesk.scale.articles import Article, read_articles
from factdesk.scale.local import DEFAULT_START_METHOD, run_local
from factdesk.scale.output import ReportDir
from factdesk.scale.stores import StoreSpec, resolve_store
from factdesk.scale.worker import Outcome, with_model_threads
from factdesk.settings import Settings, load_settings

ENGINES = ("local", "spark")


@dataclass
class BatchSummary:
    """What a batch run did: articles found, skipped (finished before), checked now, failed.

    Example::

        >>> BatchSummary(articles=4, skipped=1, done=2, failed=1).complete
        False
    """

    articles: int = 0
    skipped: int = 0  # reports already written by an earlier run
    done: int = 0
    failed: int = 0
    engine: str = "local"
    workers: int = 1  # local: processes; spark: the cluster's cores
    out: str = ""
    seconds: float = 0.0
    temp_files_removed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every article has its reports."""
        return self.skipped + self.done == self.articles

    @property
    def articles_per_hour(self) -> float:
        return round(3600 * self.done / self.seconds, 1) if self.seconds > 0 and self.done else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "skipped": self.skipped, "done": self.done, "failed": self.failed,
                "engine": self.engine, "workers": self.workers, "out": self.out,
                "seconds": round(self.seconds, 2), "articles_per_hour": self.articles_per_hour,
                "temp_files_removed": self.temp_files_removed, "failures": self.failures}


def run_batch(source: str | Path | Iterable[Article], *, out: str | Path, engine: str = "local",
              workers: int | None = None, formats: Iterable[str] = ("json",), db: str | None = None,
              settings: Settings | None = None, master: str | None = None, partitions: int | None = None,
              start_method: str = DEFAULT_START_METHOD, progress: bool = False, on_pending: Callable[[int], None] | None = None,
              on_outcome: Callable[[Outcome], None] | None = None) -> BatchSummary:
    """Check every article of ``source`` (folder, JSONL or Parquet manifest, or Article objects) into ``out``.

    Reports are never saved in the store (workers open it read-only).  ``workers``: processes
    for the local engine (default: the machine's cores); for Spark, the cores come from
    ``master``.  ``on_outcome`` is called on this process for each article checked by the local
    engine as it finishes (the CLI's progress bar; ``on_pending`` gets the count to check first);
    the Spark engine reports them all at the end, and shows its own stage progress with ``progress``.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}", hint="choose local or spark")
    started = time.perf_counter()
    settings = settings or load_settings()
    Pipeline.from_settings(settings, store=_NoStore())  # type: ignore[arg-type]  # a misspelt part name fails now
    articles = read_articles(source) if isinstance(source, (str, Path)) else list(source)
    report_dir = ReportDir(out, formats, render_options=_render_options(settings, formats))
    summary = BatchSummary(articles=len(articles), engine=engine, out=str(report_dir.root))
    summary.temp_files_removed = report_dir.prepare()
    pending = [a for a in articles if not report_dir.is_done(a.id)]
    summary.skipped = len(articles) - len(pending)
    if on_pending is not None:
        on_pending(len(pending))
    if engine == "local":
        summary.workers = max(1, workers or os.cpu_count() or 1)
    if pending:
        spec, _passages = resolve_store(db)
        cores = os.cpu_count() or 1
        if engine == "local":
            tuned = with_model_threads(settings, max(1, cores // summary.workers))
            outcomes: Iterable[Outcome] = _local(pending, tuned, spec, report_dir, summary.workers, start_method)
        else:
            from factdesk.scale.spark import run_spark

            outcomes, summary.workers = run_spark(pending, settings=settings, store=spec, out=report_dir,
                                                  master=master, partitions=partitions, progress=progress)
        for outcome in outcomes:
            if outcome.status == "done":
                summary.done += 1
            else:
                summary.failed += 1
                summary.failures.append({"id": outcome.id, "error": outcome.error})
            if on_outcome is not None:
                on_outcome(outcome)
    summary.seconds = time.perf_counter() - started
    return summary


def _local(pending: list[Article], settings: Settings, spec: StoreSpec, out: ReportDir, workers: int,
           start_method: str) -> Iterable[Outcome]:
    try:
        yield from run_local(pending, settings=settings, store=spec, out=out, workers=workers,
                             start_method=start_method)
    except BrokenProcessPool as exc:
        raise BackendError("a batch worker process died (out of memory, or killed)",
                           hint="run the command again: finished reports are kept and skipped") from exc


def _render_options(settings: Settings, formats: Iterable[str]) -> dict[str, Any]:
    if "claimreview" not in [f.strip().lower() for f in formats]:
        return {}
    from factdesk.report.claimreview import publishing

    options = {"publisher": settings.publisher, "publisher_url": settings.publisher_url,
               "review_url": settings.review_url_template}
    publishing(**options)  # a bad URL or template fails now, not in every worker
    return options


class _NoStore:
    """Stands in for the store while the settings' part names are checked (nothing is opened)."""
