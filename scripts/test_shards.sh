#!/usr/bin/env bash
# Every test in two shards at once, as `make test` runs them (the machine has two cores;
# one `ape test` keeps about one of them busy, waiting on anvil, PostgreSQL and Chromium
# the rest of the time).
#
#   scripts/test_shards.sh "<folders of shard 1>" "<folders of shard 2>" [pytest args…]
#
# Each shard is its own `ape test` session with its own anvil (Ape's `host: auto` picks a
# free port), its own PostgreSQL database (LINLI_TEST_DATABASE_URL with `_2` appended for
# the second, created in the same cluster) and its own pytest temporary folder. Shard 1
# writes to the terminal as it goes; shard 2 to a log that is printed when both are done.
# The end of the output is the time per folder over both shards and each shard's verdict;
# the exit status is non-zero when either shard failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARD_1=$1
SHARD_2=$2
shift 2

RUN=$(mktemp -d /tmp/linli-shards.XXXXXX)
trap 'rm -rf "$RUN"' EXIT
started=$(date +%s)

# Compile once, before either session: two sessions compiling into .build at the same
# moment would race on its files.
ape compile >/dev/null || { echo "test_shards: the contracts do not compile" >&2; exit 1; }

url_1=${LINLI_TEST_DATABASE_URL:-}
url_2=
if [[ -n $url_1 ]]; then
    db_1=${url_1##*/}
    port=${url_1##*:}; port=${port%%/*}
    # The same cluster, a second database (created if missing; only its export line is kept).
    url_2=$(LINLI_PG_PORT=$port LINLI_PG_DB="${db_1}_2" scripts/ci_postgres.sh) || exit 1
    url_2=${url_2#export LINLI_TEST_DATABASE_URL=}
fi

shard() {  # shard N "folders" → runs `ape test` with that shard's database and folders
    local n=$1 folders=$2 url=$3
    shift 3
    mkdir -p "$RUN/tmp-$n"
    LINLI_TEST_DATABASE_URL=$url LINLI_TIMING_FILE="$RUN/timing-$n.json" \
        ape test --network ethereum:local:foundry --durations=15 --basetemp="$RUN/tmp-$n" \
        $folders "$@"
}

# shellcheck disable=SC2086
shard 2 "$SHARD_2" "$url_2" "$@" >"$RUN/shard-2.log" 2>&1 &
pid_2=$!
shard 1 "$SHARD_1" "$url_1" "$@"
rc_1=$?
wait "$pid_2"
rc_2=$?

echo
echo "==================================== shard 2 ($SHARD_2) ===================================="
cat "$RUN/shard-2.log"
echo
python - "$RUN/timing-1.json" "$RUN/timing-2.json" <<'EOF'
import json, sys
from pathlib import Path

seconds, tests = {}, {}
for path in sys.argv[1:]:
    if Path(path).exists():
        for folder, (s, n) in json.loads(Path(path).read_text()).items():
            seconds[folder] = seconds.get(folder, 0) + s
            tests[folder] = tests.get(folder, 0) + n
total = sum(seconds.values()) or 1
print("=" * 20, "time per folder, both shards (setup + call + teardown)", "=" * 20)
for folder, s in sorted(seconds.items(), key=lambda item: -item[1]):
    print(f"{s:9.1f}s {100 * s / total:5.1f}%  {tests[folder]:5d} tests  {folder}")
print(f"{total:9.1f}s in tests")
EOF
echo "shard 1: exit $rc_1 ($SHARD_1)"
echo "shard 2: exit $rc_2 ($SHARD_2)"
echo "both shards: $(( $(date +%s) - started )) s of wall time"
(( rc_1 == 0 && rc_2 == 0 ))
