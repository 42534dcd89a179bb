"""Running one queued check to its end, the same in the worker thread and in the check process.

:func:`run_job` reads the job's input (:func:`job_document`), runs the pipeline with a
:class:`Deadline` checked between stages, and records the outcome on the job: done with its
report, or failed with the reason (:func:`error_text`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from factdesk import ingest
from factdesk.errors import FactdeskError, InputError, JobTimeout
from factdesk.pipeline import Pipeline
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


def run_job(store: Store, pipeline: Pipeline, job_id: str, limit: float) -> None:
    """Run one queued job to its end: the report saved and the job done, or the job failed with why.

    The deadline (``limit`` seconds, 0: none) is checked between stages.  Used by the worker
    thread (``job_isolation = "thread"``) and by the child process (``"process"``).
    """
    deadline = Deadline(limit)
    try:
        doc = job_document(store, pipeline, job_id)
        deadline.check("claims")

        def progress(stage: str, fraction: float) -> None:
            # "ingest" comes right after the check above; at "done" the report is saved: keep it
            if stage not in ("ingest", "done"):
                deadline.check(stage)
            store.desk.set_progress(job_id, stage, fraction)

        report = pipeline.check(doc, save=True, on_progress=progress)
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


def job_document(store: Store, pipeline: Pipeline, job_id: str) -> Document:
    """The job's input as a Document: a URL fetched, an upload read, pasted text taken as it is."""
    row = store.desk.job_input(job_id)
    store.desk.set_progress(job_id, "ingest", 0.0)
    kind, title = row["input_kind"], row["title"] or None
    if kind == "url":
        return pipeline.load(row["input_text"])
    if kind == "file":
        return document_from_upload(bytes(row["input_blob"] or b""), row["filename"] or "upload.txt", title)
    return ingest.document_from_text(row["input_text"] or "", title=title, path=None)
