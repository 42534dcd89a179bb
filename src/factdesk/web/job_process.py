"""Checks in a child process the worker can kill: what makes ``--job-timeout`` a hard limit.

The desk's worker thread hands each job to one long-lived child process (started with
``spawn``, so it shares no threads or locks with the server).  The child opens the store
itself, loads the models once and then runs jobs one at a time, writing progress, the report
and the job's outcome to the store as the in-thread worker does.  The parent only waits:

* the child answers → the job's outcome is already in the store;
* ``job_timeout`` (+ a short grace for a clean stop between stages) passes first → the parent
  kills the child (SIGKILL: a stage stuck in a parser or a model call stops at once), marks the
  job failed with :class:`~factdesk.errors.JobTimeout` and the stage it was in, and starts a
  fresh child for the next job (it loads the models again: a few seconds);
* the child's resident memory passes ``job_memory_mb`` (checked five times a second) → the
  parent kills it and fails the job the same way;
* the child dies (killed by the kernel for memory, a crash in native code) → the job fails
  with the exit status and the next job gets a fresh child.

A kill mid-write is safe on either store: SQLite's journal, or a PostgreSQL server ending the
killed child's connection (``store_path`` may be a ``postgresql://`` URL), rolls back what the
child had not committed, nothing committed before is touched, and a killed check leaves no report.

Example::

    proc = JobProcess("desk.db", settings, warm_up=True)
    outcome = proc.run("job-id", limit=600.0, stop=threading.Event())   # "finished" | "timeout" | ...
    proc.close()
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from factdesk.settings import Settings

log = logging.getLogger("factdesk.web")

# seconds a job may run past its limit so the child's own between-stage check can stop it cleanly
GRACE_SECONDS = 1.0
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# how long the parent waits for a fresh child to load its models before giving it a job anyway
READY_WAIT_SECONDS = 600.0


@dataclass
class Outcome:
    """How one job ended, seen from the parent: ``finished`` (the child recorded it), ``timeout``,
    ``memory`` (over ``job_memory_mb``; ``detail``: how much it held), ``died`` (the child process
    ended; ``detail`` says how) or ``stopped`` (the server is stopping)."""

    kind: str
    detail: str = ""


def _child_main(store_path: str, settings: Settings, conn: Connection, warm_up: bool) -> None:
    """The child: open the store, load the models, then run the jobs the parent sends, one at a time."""
    # the parent handles Ctrl-C and stops the child itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s [check] %(message)s")
    from factdesk.pipeline import Pipeline  # the child's own copy of the models
    from factdesk.store import Store
    from factdesk.web.jobs import run_job

    store = Store.open(store_path)
    try:
        pipeline = Pipeline.from_settings(settings, store=store)
        if warm_up:
            try:
                pipeline.warm_up()
            except Exception:  # noqa: BLE001 - a check will report the same problem with its stage
                logging.getLogger("factdesk.web").exception("warm-up failed")
        conn.send(("ready",))
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the parent went away
                return
            if message[0] != "job":
                return
            run_job(store, pipeline, message[1], float(message[2]))
            conn.send(("finished", message[1]))
    finally:
        store.close()


class JobProcess:
    """The child process that runs checks, started on first use and replaced after a kill or a crash."""

    def __init__(self, store_path: str, settings: Settings, *, warm_up: bool = True,
                 grace: float = GRACE_SECONDS) -> None:
        self.memory_mb = float(settings.job_memory_mb or 0)
        self.store_path = store_path
        self.settings = settings
        self.warm_up = warm_up
        self.grace = grace
        self._proc: Any = None
        self._conn: Connection | None = None
        self._ready = False
        self._started = False
        self.restarts = 0  # children started after the first: one per kill or crash

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        if self._started:
            self.restarts += 1
        self._started = True
        ctx = multiprocessing.get_context("spawn")
        parent_end, child_end = ctx.Pipe()
        self._proc = ctx.Process(target=_child_main, name="factdesk-check", daemon=True,
                                 args=(self.store_path, self.settings, child_end, self.warm_up))
        self._proc.start()
        child_end.close()
        self._conn, self._ready = parent_end, False

    def _wait_ready(self, stop: threading.Event) -> Outcome | None:
        """Wait for the child's models; None once ready, else why it never was."""
        assert self._conn is not None and self._proc is not None
        end = time.monotonic() + READY_WAIT_SECONDS
        while not self._ready:
            if stop.is_set():
                return Outcome("stopped")
            try:
                if self._conn.poll(0.2):
                    self._conn.recv()
                    self._ready = True
                    break
            except (EOFError, OSError):
                pass
            if not self._proc.is_alive():
                return Outcome("died", self._death())
            if time.monotonic() > end:
                self.kill()
                return Outcome("died", f"the check process did not start within {READY_WAIT_SECONDS:g} s")
        return None

    def run(self, job_id: str, limit: float, stop: threading.Event) -> Outcome:
        """Run one job in the child; kill the child if it overruns ``limit`` seconds (0: no limit)."""
        self.start()
        not_ready = self._wait_ready(stop)
        if not_ready is not None:
            return not_ready
        assert self._conn is not None and self._proc is not None
        try:
            self._conn.send(("job", job_id, limit))
        except (BrokenPipeError, OSError):
            return Outcome("died", self._death())
        end = time.monotonic() + limit + self.grace if limit > 0 else None
        while True:
            used = self.resident_mb()
            if self.memory_mb > 0 and used is not None and used > self.memory_mb:
                self.kill()
                return Outcome("memory", f"{used:.0f} MB")
            wait = 0.2 if end is None else max(0.0, min(0.2, end - time.monotonic()))
            try:
                if self._conn.poll(wait):
                    self._conn.recv()
                    return Outcome("finished")
            except (EOFError, OSError):
                pass
            if not self._proc.is_alive():
                return Outcome("died", self._death())
            if stop.is_set():
                self.kill()  # the job stays 'running': the next start re-queues it once
                return Outcome("stopped")
            if end is not None and time.monotonic() >= end:
                self.kill()
                return Outcome("timeout")

    def resident_mb(self) -> float | None:
        """The child's resident memory in MB (Linux ``/proc``; None elsewhere or when it is gone)."""
        if self._proc is None or self._proc.pid is None:
            return None
        try:
            with open(f"/proc/{self._proc.pid}/statm", encoding="ascii") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return pages * _PAGE_SIZE / 2**20

    def _death(self) -> str:
        code = None if self._proc is None else self._proc.exitcode
        self._proc = None
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = " (out of memory?)" if name == "SIGKILL" else ""
            return f"the check process was killed by {name}{hint}"
        return f"the check process ended (exit status {code})"

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(10)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn, self._ready = None, None, False

    def close(self, timeout: float = 10.0) -> None:
        """Ask the child to stop (it finishes nothing new), then kill it if it lingers."""
        if self._proc is None:
            return
        try:
            if self._conn is not None:
                self._conn.send(("stop",))
        except (BrokenPipeError, OSError):
            pass
        self._proc.join(timeout)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn, self._ready = None, None, False
