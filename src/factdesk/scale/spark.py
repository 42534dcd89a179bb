"""The Spark engine: articles as a DataFrame, checked partition by partition on the executors.

``mapPartitions`` over the DataFrame's rows gets each executor's Python worker a checker built
once (:func:`~factdesk.scale.worker.cached_checker`: Spark reuses its Python workers between
tasks, so the models load once per worker, not once per partition); each article's reports are
written atomically to the output folder by the executor that checked it, and only a small
outcome row per article travels back to the driver.  A task Spark retries (a lost executor,
speculation) rewrites the same files by rename, so retries never leave duplicates.

Evidence: a SQLite store is snapshotted on the driver and shipped with ``SparkContext.addFile``;
each executor opens its own copy ``immutable``.  A ``postgresql://`` store is shared as it is.
On a cluster the output folder (and article paths) must be on a file system every executor
sees; see docs/batch.md for ``spark-submit``.

Only the pyspark package is needed (extra ``factdesk[spark]``; Java 17 on the machine).

Example::

    outcomes = run_spark(articles, settings=s, store=spec, out=ReportDir("reports/"), master="local[2]")
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from factdesk.errors import ConfigError
from factdesk.scale.articles import MANIFEST_COLUMNS, Article
from factdesk.scale.output import ReportDir
from factdesk.scale.stores import StoreSpec, snapshot
from factdesk.scale.worker import Outcome, cached_checker, with_model_threads
from factdesk.settings import Settings

INSTALL_HINT = "pip install 'factdesk[spark]' (pyspark; it needs Java 17 or newer)"


def spark_available() -> bool:
    """Whether pyspark can be imported (Java is only looked for when a session starts)."""
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None


def _session(master: str | None, app_name: str, progress: bool) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ModuleNotFoundError as exc:
        raise ConfigError("--engine spark needs pyspark, which is not installed", hint=INSTALL_HINT) from exc
    # local mode starts Python workers with "python3" from PATH unless told: use this interpreter,
    # the one factdesk is installed in (spark-submit on a cluster sets its own)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name).config("spark.ui.showConsoleProgress", str(progress).lower())
    if master:
        builder = builder.master(master)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - a missing or old Java surfaces here as a py4j/runtime error
        raise ConfigError(f"cannot start Spark: {exc}", hint="Spark needs Java 17+ (JAVA_HOME) and " + INSTALL_HINT
                          ) from exc
    spark.sparkContext.setLogLevel("WARN")
    return spark


def run_spark(articles: Sequence[Article], *, settings: Settings, store: StoreSpec, out: ReportDir,
              master: str | None = None, partitions: int | None = None, progress: bool = False
              ) -> tuple[list[Outcome], int]:
    """Check ``articles`` on Spark (``master``: e.g. ``local[2]``; None: what spark-submit set, else local[*]).

    Returns the outcomes and the cluster's cores (Spark's default parallelism).  ``partitions``
    defaults to four per core (at least one article each), so the executors stay busy while the
    slowest partitions finish.  Each task's models get ``spark.task.cpus`` threads (default 1).
    """
    spark = _session(master, "factdesk batch", progress)
    sc = spark.sparkContext
    if not articles:
        return [], sc.defaultParallelism
    settings = with_model_threads(settings, int(sc.getConf().get("spark.task.cpus", "1")))
    with tempfile.TemporaryDirectory(prefix="factdesk-batch-") as tmp:
        if store.is_url:
            shipped: StoreSpec | None = None
        else:
            # a new name per run: executors fetch a name once, and keep a checker per store
            copy = snapshot(store, Path(tmp), name=f"factdesk-{uuid.uuid4().hex[:12]}.db")
            sc.addFile(str(copy))
            shipped = StoreSpec(copy.name, immutable=True)  # a name: each executor resolves its local copy
        n = partitions or max(1, min(len(articles), sc.defaultParallelism * 4))
        rows = [tuple(a.to_row()[c] for c in MANIFEST_COLUMNS) for a in articles]
        schema = ", ".join(f"{c} string" for c in MANIFEST_COLUMNS)
        frame = spark.createDataFrame(rows, schema=schema).repartition(n)
        task = _PartitionTask(settings, store if shipped is None else shipped, out)
        results = frame.rdd.mapPartitions(task).collect()
    return [Outcome(*r) for r in results], sc.defaultParallelism


class _PartitionTask:
    """The function Spark ships to executors: checks one partition's rows with the worker's checker."""

    def __init__(self, settings: Settings, store: StoreSpec, out: ReportDir) -> None:
        self.settings = settings
        self.store = store
        self.out = out

    def __call__(self, rows: Iterator[Any]) -> Iterator[tuple[str, str, str | None, float]]:
        store = self.store
        if not store.is_url and store.immutable:
            from pyspark import SparkFiles

            store = StoreSpec(SparkFiles.get(store.location), immutable=True)
        checker = cached_checker(self.settings, store, self.out)
        for row in rows:
            o = checker.run(Article.from_row(row))
            yield (o.id, o.status, o.error, o.seconds)
