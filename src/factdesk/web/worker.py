"""The background checker: one thread, its own Store connection, one check at a time.

Jobs are rows in the store (``jobs``), so nothing is lost when the server
stops: at start-up :meth:`~factdesk.store.desk.DeskTables.recover_jobs` re-queues a job
left ``running`` once (then marks it failed with the reason) and the worker
picks up everything ``queued``, oldest first.

Each job runs under ``settings.job_timeout`` seconds (``factdesk serve
--job-timeout``; 0: no limit).  The pipeline reports every stage it starts
(ingest, retrieve, verify, context, report) through ``on_progress``; the
worker checks the deadline there and after reading the input, and a job past
it stops with :class:`~factdesk.errors.JobTimeout` before its next stage starts: the worker
thread itself returns to the queue, nothing is left running behind it, and
nothing of the job is saved.  The price is granularity: a stage that has
started runs to its end, so a job overruns its limit by at most one stage.
Stages are kept small by ``max_claims``, ``top_k`` and the fetch/upload size
caps, but a single stage's duration is not itself limited (stopping a model
call mid-way would take a child process per check and a second copy of every
model).  A report already saved when the deadline passes is kept and the job
is done.

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

from factdesk import ingest
from factdesk.errors import FactdeskError, InputError, JobTimeout
from factdesk.pipeline import Pipeline
from factdesk.settings import Settings
from factdesk.store import Store
from factdesk.types import Document

log = logging.getLogger("factdesk.web")


def error_text(exc: BaseException) -> str:
    """What a failed check records: the message of a FactdeskError, the type of anything else."""
    if isinstance(exc, FactdeskError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


class Deadline:
    """The time a job must stop by; ``check`` raises :class:`JobTimeout` once it has passed."""

    def __init__(self, limit: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self.end = clock() + limit if limit > 0 else None

    def check(self, next_stage: str) -> None:
        if self.end is not None and self.clock() > self.end:
            raise JobTimeout(self.limit, next_stage)


def document_from_upload(data: bytes, filename: str, title: str | None = None) -> Document:
    """A Document from an uploaded file's bytes, read like a file of that name on disk."""
    doc = ingest.load_bytes(data, filename)
    if title and not doc.title:
        doc.title = title
    return doc


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

    def start(self) -> None:
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
            while not self._stop.is_set():
                job_id = store.desk.claim_next_job()
                if job_id is None:
                    self._wake.wait(self.poll_seconds)
                    self._wake.clear()
                    continue
                self._run_job(store, job_id)
        finally:
            self.ready.set()
            store.close()

    def _run_job(self, store: Store, job_id: str) -> None:
        self.current = job_id
        deadline = Deadline(float(self.settings.job_timeout or 0))
        try:
            doc = self._document(store, job_id)
            deadline.check("claims")

            def progress(stage: str, fraction: float) -> None:
                # "ingest" comes right after the check above; at "done" the report is saved: keep it
                if stage not in ("ingest", "done"):
                    deadline.check(stage)
                store.desk.set_progress(job_id, stage, fraction)

            report = self.pipeline.check(doc, save=True, on_progress=progress)
            store.desk.finish_job(job_id, report["id"])
        except Exception as exc:  # noqa: BLE001 - recorded on the job, never lost
            if isinstance(exc, JobTimeout):
                log.warning("check %s: %s", job_id, exc)
            elif not isinstance(exc, InputError):
                log.exception("check %s failed", job_id)
            try:
                store.desk.discard_open_transaction()
                store.desk.fail_job(job_id, error_text(exc))
            except Exception:  # noqa: BLE001
                log.exception("cannot record the failure of %s", job_id)
        finally:
            self.current = None

    def _document(self, store: Store, job_id: str) -> Document:
        row = store.desk.job_input(job_id)
        store.desk.set_progress(job_id, "ingest", 0.0)
        kind, title = row["input_kind"], row["title"] or None
        if kind == "url":
            return self.pipeline.load(row["input_text"])
        if kind == "file":
            return document_from_upload(bytes(row["input_blob"] or b""), row["filename"] or "upload.txt", title)
        return ingest.document_from_text(row["input_text"] or "", title=title, path=None)
