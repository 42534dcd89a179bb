"""The background checker: one thread that takes queued jobs one at a time.

Jobs are rows in the store (``jobs``), so nothing is lost when the server
stops: at start-up :meth:`~factdesk.store.desk.DeskTables.recover_jobs` re-queues a job
left ``running`` once (then marks it failed with the reason) and the worker
picks up everything ``queued``, oldest first.

Each job runs under ``settings.job_timeout`` seconds (``factdesk serve
--job-timeout``; 0: no limit), enforced as ``settings.job_isolation`` says:

* ``process`` (the default): the check runs in a child process that holds its own copy of the
  models (:mod:`factdesk.web.job_process`).  Past the limit the worker kills it, wherever it is
  (a parser stuck on a hostile page, a model call), marks the job failed with the stage it was
  in, and the next job gets a fresh child; the same when it holds more than ``job_memory_mb``.
  A child that dies (out of memory, a native crash) fails its job with the reason; the desk
  keeps running.
* ``thread``: the check runs in the worker thread itself, with one copy of the models; the
  deadline is checked between stages only (the pipeline reports each stage through
  ``on_progress``), so a job overruns its limit by at most one stage.

In both, the child (or thread) stops cleanly between stages once the limit has passed, nothing
of a stopped job is saved, and a report already saved when the deadline passes is kept.

A job's input becomes a Document through the same ingest calls as the CLI's:
a URL through ``Pipeline.load``, an upload through ``ingest.load_bytes`` (the
reader ``ingest.load_file`` uses for files on disk).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError, JobTimeout
from factdesk.pipeline import Pipeline
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.web.job_process import JobProcess
from factdesk.web.jobs import run_job

log = logging.getLogger("factdesk.web")


class Worker:
    """Runs queued checks in a daemon thread until :meth:`stop`."""

    def __init__(self, store_path: str | Path, settings: Settings, *, warm_up: bool = True,
                 poll_seconds: float = 1.0, embedder_factory: Callable[[], Any] | None = None) -> None:
        self.embedder_factory = embedder_factory
        self.store_path = str(store_path)
        self.settings = settings
        self.warm_up = warm_up
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()  # set once models are loaded
        self.pipeline: Any = None
        self.current: str | None = None
        self._process: JobProcess | None = None  # job_isolation = "process": the child that runs checks

    def start(self) -> None:
        if self.settings.job_isolation not in ("process", "thread"):
            raise ConfigError(f"job_isolation must be 'process' or 'thread', not {self.settings.job_isolation!r}")
        self._thread = threading.Thread(target=self._run, name="factdesk-worker", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        store = Store.open(self.store_path)
        try:
            if self.settings.job_isolation == "process":
                self._run_with_process(store)
                return
            embedder = None
            if self.embedder_factory is not None:
                try:
                    embedder = self.embedder_factory()
                except Exception:  # noqa: BLE001 - the pipeline makes its own and reports the failure per check
                    log.exception("cannot load the embedder")
            self.pipeline = Pipeline.from_settings(self.settings, store=store, embedder=embedder)
            if self.warm_up:
                started = time.perf_counter()
                try:
                    self.pipeline.warm_up()
                    log.info("models warm in %.1fs", time.perf_counter() - started)
                except Exception:  # noqa: BLE001 - a check will report the same problem with its stage
                    log.exception("warm-up failed")
            self.ready.set()
            self._serve_queue(store)
        finally:
            self.ready.set()
            store.close()

    def _run_with_process(self, store: Store) -> None:
        """Hand each job to the child process (started now, so its models load before the first job)."""
        self._process = JobProcess(self.store_path, self.settings, warm_up=self.warm_up)
        try:
            self._process.start()
            self.ready.set()
            self._serve_queue(store)
        finally:
            self._process.close()

    def _serve_queue(self, store: Store) -> None:
        while not self._stop.is_set():
            job_id = store.desk.claim_next_job()
            if job_id is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            self._run_job(store, job_id)

    def _run_job(self, store: Store, job_id: str) -> None:
        self.current = job_id
        limit = float(self.settings.job_timeout or 0)
        try:
            if self._process is None:
                run_job(store, self.pipeline, job_id, limit)
                return
            outcome = self._process.run(job_id, limit, self._stop)
            if outcome.kind == "timeout":
                job = store.desk.get_job(job_id) or {}
                message = str(JobTimeout(limit, str(job.get("stage") or "starting"), during=True))
                if store.desk.fail_job(job_id, message, only_if_running=True):
                    log.warning("check %s: %s; its process was stopped", job_id, message)
            elif outcome.kind == "memory":
                message = (f"stopped: the check used {outcome.detail} of memory, over the limit of "
                           f"{self.settings.job_memory_mb:g} MB; try a shorter document or raise --job-memory")
                if store.desk.fail_job(job_id, message, only_if_running=True):
                    log.warning("check %s: %s", job_id, message)
            elif outcome.kind == "died":
                if store.desk.fail_job(job_id, f"internal error: {outcome.detail}; the next check starts a fresh "
                                               "process", only_if_running=True):
                    log.error("check %s: %s", job_id, outcome.detail)
        except Exception:  # noqa: BLE001 - the worker thread must keep serving the queue
            log.exception("check %s: the worker could not run it", job_id)
            try:
                store.desk.fail_job(job_id, "internal error: the worker could not run this check",
                                    only_if_running=True)
            except Exception:  # noqa: BLE001
                log.exception("cannot record the failure of %s", job_id)
        finally:
            self.current = None
