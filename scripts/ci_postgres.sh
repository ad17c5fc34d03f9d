#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the backend tests and print its URL:
#   eval "$(scripts/ci_postgres.sh)"     # sets LINLI_TEST_DATABASE_URL
#   scripts/ci_postgres.sh stop          # stops it
# Installs PostgreSQL from Debian's packages when it is missing (needs root). The
# cluster lives under .linli/pg in the project (trust auth, loopback only) and is
# reused if already running. Only the export line goes to stdout; the rest to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_DIR=${LINLI_PG_DIR:-$ROOT/.linli/pg}
PG_PORT=${LINLI_PG_PORT:-55432}
PG_DB=${LINLI_PG_DB:-linli_test}
PG_USER=linli

say() { echo "ci_postgres: $*" >&2; }

find_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

BINDIR=$(find_bindir || true)
if [ -z "$BINDIR" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        say "PostgreSQL is not installed and this is not root: install the 'postgresql' package"
        exit 1
    fi
    say "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    BINDIR=$(find_bindir)
fi

# The server refuses to run as root: run it as the package's postgres user then.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

DATA="$PG_DIR/data"
if [ "${1:-start}" = "stop" ]; then
    if [ -d "$DATA" ]; then as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast stop >&2 || true; fi
    exit 0
fi

mkdir -p "$PG_DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a throwaway cluster in $DATA"
    as_pg "$BINDIR/initdb" -D "$DATA" -U "$PG_USER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2
fi
if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=100" start >&2
fi
if ! as_pg "$BINDIR/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
    as_pg "$BINDIR/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$PG_DB" >&2
fi
echo "export LINLI_TEST_DATABASE_URL=postgresql+psycopg://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"
