"""The LLM response cache in a PostgreSQL store (``store.llm_cache``; PostgreSQL migration 2).

The same rows and methods as :class:`factdesk.store.llm_cache.LLMCache` (keyed by the client's
SHA-256 of the request), so a re-run of a check against a PostgreSQL store makes no server call
either.  Each write is its own savepoint: a failed insert inside a caller's transaction is
logged and leaves that transaction usable.

Example::

    with PostgresStore.open("postgresql://factdesk@127.0.0.1/factdesk") as store:
        store.llm_cache.put(key, model="smollm2", stage="verdict", prompt_version="verdict.v1",
                            text='{"label": "supported"}', data={"label": "supported"},
                            prompt_tokens=120, completion_tokens=8, seconds=0.4)
        store.llm_cache.get(key)["data"]  # {'label': 'supported'}
"""

from __future__ import annotations

import json
import logging
from typing import Any

from factdesk.store.clock import now_iso

log = logging.getLogger(__name__)

SQL = """
CREATE TABLE llm_cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    stage TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE INDEX llm_cache_model ON llm_cache(model, stage);
"""


class PostgresLLMCache:
    """Reads and writes of the ``llm_cache`` table of one open PostgreSQL store (``store.llm_cache``).

    Example::

        store.llm_cache.count(model="smollm2")
        store.llm_cache.clear(model="smollm2")
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn  # psycopg serialises one connection's statements between threads

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached answer for ``key`` (text, data, token counts, seconds), or None."""
        row = self._conn.execute(
            "SELECT text, data, prompt_tokens, completion_tokens, seconds FROM llm_cache WHERE key = %s",
            (key,)).fetchone()
        if row is None:
            return None
        return {"text": row[0], "data": json.loads(row[1]) if row[1] is not None else None,
                "prompt_tokens": int(row[2]), "completion_tokens": int(row[3]), "seconds": float(row[4])}

    def put(self, key: str, *, model: str, stage: str, prompt_version: str, text: str, data: Any,
            prompt_tokens: int, completion_tokens: int, seconds: float) -> bool:
        """Keep one answer; True when written (a failure is logged, never raised)."""
        import psycopg

        row = (key, model, stage, prompt_version, text, json.dumps(data) if data is not None else None,
               int(prompt_tokens), int(completion_tokens), float(seconds), now_iso())
        try:
            with self._conn.transaction():
                self._conn.execute(
                    """INSERT INTO llm_cache(key, model, stage, prompt_version, text, data, prompt_tokens,
                           completion_tokens, seconds, created) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)
                       ON CONFLICT (key) DO UPDATE SET model=excluded.model, stage=excluded.stage,
                         prompt_version=excluded.prompt_version, text=excluded.text, data=excluded.data,
                         prompt_tokens=excluded.prompt_tokens, completion_tokens=excluded.completion_tokens,
                         seconds=excluded.seconds, created=excluded.created""", row)
        except psycopg.Error as exc:
            log.warning("could not cache an LLM answer: %s", exc)
            return False
        return True

    def count(self, *, model: str | None = None, stage: str | None = None) -> int:
        """How many answers are cached (of ``model`` / ``stage`` when given)."""
        sql, args = "SELECT count(*) FROM llm_cache WHERE true", []
        if model is not None:
            sql, args = sql + " AND model = %s", [*args, model]
        if stage is not None:
            sql, args = sql + " AND stage = %s", [*args, stage]
        return int(self._conn.execute(sql, args).fetchone()[0])

    def clear(self, *, model: str | None = None) -> int:
        """Forget cached answers (of ``model`` when given); returns how many were removed."""
        cur = self._conn.execute("DELETE FROM llm_cache WHERE model = %s", (model,)) if model is not None \
            else self._conn.execute("DELETE FROM llm_cache")
        return cur.rowcount


__all__ = ["PostgresLLMCache", "SQL"]
