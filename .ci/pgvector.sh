#!/usr/bin/env bash
# The PostgreSQL backend with pgvector (HNSW dense search) against a real server that bundles the
# extension: the pgserver wheel's PostgreSQL 16 + pgvector 0.6.2 (extra `pgtest`, test-only;
# pgserver is Apache-2.0, PostgreSQL and pgvector the PostgreSQL License).  Installs it into the
# venv, starts a throwaway cluster from its binaries through .ci/postgres.sh (127.0.0.1, temp dir)
# and runs every PostgreSQL test on it (-m "postgres or pgvector": the Store/Retriever conformance
# suites then search through pgvector); FACTDESK_TEST_PGVECTOR=1 makes a missing extension a failure.
# Skips with a message (exit 0) where the wheel cannot be installed (no wheel for this platform).
#
#   bash .ci/pgvector.sh                     # the tests
#   bash .ci/pgvector.sh CMD ARGS...         # any command with FACTDESK_TEST_PG set (a benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c "import pgserver" 2>/dev/null; then
  if ! .venv/bin/pip install -q 'pgserver==0.1.4' 'psycopg[binary]>=3.1'; then
    echo "skipped: the pgserver wheel (PostgreSQL + pgvector) cannot be installed here; pgvector tests not run" >&2
    exit 0
  fi
fi
PG_BIN="$(.venv/bin/python -W ignore -c 'import os, pgserver; print(os.path.join(os.path.dirname(pgserver.__file__), "pginstall", "bin"))')"
if [ ! -x "$PG_BIN/initdb" ]; then
  echo "skipped: pgserver has no server binaries at $PG_BIN; pgvector tests not run" >&2
  exit 0
fi
# the server runs as the postgres user when we are root: it must reach the binaries in the venv
export PG_BIN FACTDESK_TEST_PGVECTOR=1
if [ "$#" -gt 0 ]; then
  bash .ci/postgres.sh "$@"
else
  bash .ci/postgres.sh .venv/bin/pytest -m "postgres or pgvector" -q -p no:cacheprovider
fi
