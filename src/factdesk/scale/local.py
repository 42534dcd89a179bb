"""The local engine: a process pool on this machine, one pipeline per worker process.

Each worker builds its :class:`~factdesk.scale.worker.ArticleChecker` once, in the pool's
initializer, so models load once per worker; then articles are handed out one at a time (a slow
article does not hold back a queue behind it).  Workers write the reports themselves; the parent
only counts outcomes and moves the progress bar.

Example::

    for outcome in run_local(articles, settings=s, store=spec, out=ReportDir("reports/"), workers=2):
        print(outcome.id, outcome.status)
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from factdesk.scale.articles import Article
from factdesk.scale.output import ReportDir
from factdesk.scale.stores import StoreSpec
from factdesk.scale.worker import ArticleChecker, Outcome
from factdesk.settings import Settings

# measured (benchmarks/scale_batch.py): no difference between fork and spawn beyond noise on the first
# report; fork needs no `if __name__ == "__main__"` guard in a script calling run_batch, and the CLI's
# parent has loaded no model when the pool starts, so no model thread is forked half-way.
DEFAULT_START_METHOD = "fork"

_checker: ArticleChecker | None = None


def _init_worker(settings: Settings, store: StoreSpec, out: ReportDir, parent: int) -> None:
    global _checker
    _exit_with_parent(parent)
    _checker = ArticleChecker(settings, store, out)
    _checker.warm_up()


def _exit_with_parent(parent: int) -> None:
    """Stop this worker when the batch process is gone (``kill -9``): it would wait for work forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)  # a report being written is a temporary file the next run deletes

    threading.Thread(target=watch, name="factdesk-batch-parent", daemon=True).start()


def _check(article: Article) -> Outcome:
    assert _checker is not None, "the pool initializer builds the checker"
    return _checker.run(article)


def run_local(articles: Sequence[Article], *, settings: Settings, store: StoreSpec, out: ReportDir,
              workers: int = 1, start_method: str = DEFAULT_START_METHOD) -> Iterator[Outcome]:
    """Check ``articles`` with ``workers`` processes; yields each outcome as it finishes.

    At most ``2 × workers`` articles are in flight, so an interrupted run stops soon and a huge
    batch is not all queued at once.
    """
    if not articles:
        return
    context = multiprocessing.get_context(start_method)
    todo = iter(articles)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(settings, store, out, os.getpid())) as pool:
        running: set[Future[Outcome]] = set()
        try:
            for article in todo:
                running.add(pool.submit(_check, article))
                if len(running) >= 2 * workers:
                    done, running = _wait_some(running)
                    yield from (f.result() for f in done)
            while running:
                done, running = _wait_some(running)
                yield from (f.result() for f in done)
        except BaseException:
            for f in running:
                f.cancel()
            raise


def _wait_some(running: set[Future[Outcome]]) -> tuple[set[Future[Outcome]], set[Future[Outcome]]]:
    done, pending = wait(running, return_when=FIRST_COMPLETED)
    return set(done), set(pending)

