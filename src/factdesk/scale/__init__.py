"""Batch runs: many articles checked against one evidence store, one report file per article.

``factdesk batch`` (:mod:`factdesk.scale.batch_cli`) is the face; the work is here:

* :mod:`~factdesk.scale.articles` — a folder, JSONL manifest or Parquet file → :class:`Article` with stable ids;
* :mod:`~factdesk.scale.output` — the report folder, atomic writes, error records, resume;
* :mod:`~factdesk.scale.worker` — one pipeline per worker process, article after article;
* :mod:`~factdesk.scale.local` — the process-pool engine; :mod:`~factdesk.scale.spark` — the Spark engine;
* :mod:`~factdesk.scale.stores` — the store opened read-only by workers (a snapshot shipped to Spark executors).

Example::

    from factdesk.scale import run_batch
    summary = run_batch("articles.jsonl", out="reports/", engine="local", workers=2, db="factdesk.db")
    print(summary.to_dict())      # {"articles": 50, "skipped": 0, "done": 49, "failed": 1, ...}
"""

from factdesk.scale.articles import Article, read_articles
from factdesk.scale.output import ReportDir, write_atomic
from factdesk.scale.runner import BatchSummary, run_batch

__all__ = ["Article", "BatchSummary", "ReportDir", "read_articles", "run_batch", "write_atomic"]
