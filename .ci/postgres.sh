#!/usr/bin/env bash
# The PostgreSQL backend against a real server: installs Debian's PostgreSQL if missing, starts a
# throwaway cluster on 127.0.0.1 (free port, temp dir, trust auth), exports FACTDESK_TEST_PG and
# runs the tests marked `postgres` (or the command given as arguments), then stops the cluster.
#
#   bash .ci/postgres.sh                                   # .venv/bin/pytest -m postgres -q
#   bash .ci/postgres.sh .venv/bin/python benchmarks/scale_postgres.py --sizes 10000
#   PG_BIN=/path/to/bin bash .ci/postgres.sh ...          # another server build (.ci/pgvector.sh: pgserver's)
set -euo pipefail
cd "$(dirname "$0")/.."

PG_VERSION="${PG_VERSION:-15}"
BIN="${PG_BIN:-/usr/lib/postgresql/$PG_VERSION/bin}"
if [ -z "${PG_BIN:-}" ] && [ ! -x "$BIN/initdb" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$PG_VERSION" >/dev/null
fi
# psycopg 3 (the postgres extra) in the project's venv
if ! .venv/bin/python -c "import psycopg" 2>/dev/null; then
  .venv/bin/pip install -q 'psycopg[binary]>=3.1'
fi

# initdb refuses to run as root: run the server as the postgres user (Debian's package creates it)
# or, when not root, as ourselves.
AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  AS=(runuser -u postgres --)
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/factdesk-pg.XXXXXX")"
[ "${#AS[@]}" -gt 0 ] && chown postgres "$DIR"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop() {
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U factdesk --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
# the socket goes in the temp dir too: /var/run/postgresql may not exist or be writable
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
  || { cat "$DIR/server.log" >&2; exit 1; }
"${AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U factdesk factdesk_test

export FACTDESK_TEST_PG="postgresql://factdesk@127.0.0.1:$PORT/factdesk_test"
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on $FACTDESK_TEST_PG" >&2
if [ "$#" -gt 0 ]; then
  "$@"
else
  .venv/bin/pytest -m postgres -q -p no:cacheprovider
fi
