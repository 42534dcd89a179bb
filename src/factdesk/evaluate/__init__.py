"""Evaluation harness: score factdesk's stages against labelled data sets.

Example::

    from factdesk.evaluate import run_eval, format_table
    result = run_eval("verify", "fever/dev.jsonl", limit=500)   # name under $FACTDESK_DATA, or a path
    print(format_table(result))

Tasks: ``verify`` (claim + gold evidence → label), ``open`` (claim → retrieve →
label), ``checkworthy`` (sentence → yes/no) and ``match`` (not yet).  See
:mod:`factdesk.evaluate.runner` for what each reports, :mod:`.readers` for
the formats and label mappings, :mod:`.metrics` for the metric definitions.
"""

from factdesk.evaluate.readers import read_checkworthy, read_corpus_jsonl, read_verify, resolve_data
from factdesk.evaluate.runner import TASKS, run_eval
from factdesk.evaluate.table import format_table

__all__ = ["TASKS", "format_table", "read_checkworthy", "read_corpus_jsonl", "read_verify", "resolve_data",
           "run_eval"]
