#!/usr/bin/env bash
# Run a command and start it again whenever it ends unexpectedly:
#   scripts/supervise.sh python -m backend.indexer --manifest deployments/local-31337.json
# The indexer waits out a node that is down or answers oddly by itself; this is for what it
# cannot survive (a database that went away, a bug, the OOM killer). Exit codes 0 (stopped)
# and 2-4 (bad manifest, deep reorg, a number SQLite cannot hold: an operator is needed, and
# running it again would only repeat the message) end the supervisor with that code.
# SIGTERM/SIGINT stop the command and the supervisor. SUPERVISE_DELAY_S: pause before a
# restart (default 5; doubled after each quick failure, at most 60).
set -uo pipefail
if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARG ...]" >&2
  exit 2
fi
delay=${SUPERVISE_DELAY_S:-5}
pause=$delay
child=
stopping=
stop() {
  stopping=1
  [[ -n $child ]] && kill -TERM "$child" 2>/dev/null
}
trap stop TERM INT
while true; do
  started=$SECONDS
  "$@" &
  child=$!
  wait "$child"
  code=$?
  # A signal interrupts `wait`: wait again for the command to finish its own shutdown.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    code=$?
  done
  child=
  [[ -n $stopping ]] && exit 0
  case $code in
    0 | 2 | 3 | 4) exit "$code" ;;
  esac
  # Ran a while: a fresh failure, the short pause again; failed at once: back off.
  if ((SECONDS - started > 60)); then pause=$delay; fi
  echo "$(date '+%Y-%m-%d %H:%M:%S') supervise: '$*' ended with code $code; starting it again in ${pause}s" >&2
  sleep "$pause" &
  wait $!
  [[ -n $stopping ]] && exit 0
  pause=$((pause * 2 > 60 ? 60 : pause * 2))
done
