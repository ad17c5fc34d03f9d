#!/usr/bin/env bash
# Start or stop the embedded demo: anvil on 127.0.0.1, contracts deployed, demo community seeded.
# Called by `make demo` / `make stop` (which put the venv and node_modules/.bin on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=.linli
HOST=${ANVIL_HOST:-127.0.0.1}
PORT=${ANVIL_PORT:-8545}
RPC="http://$HOST:$PORT"
API_PORT=${API_PORT:-8000}
API="http://127.0.0.1:$API_PORT"
mkdir -p "$RUN_DIR"

rpc_up() {
  curl -s -m 2 -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$RPC" | grep -q result
}

stop_one() {
  local name=$1
  if [[ -f $RUN_DIR/$name.pid ]] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
    kill "$(cat "$RUN_DIR/$name.pid")" && echo "stopped $name (pid $(cat "$RUN_DIR/$name.pid"))"
  else
    echo "$name: not running"
  fi
  rm -f "$RUN_DIR/$name.pid"
}

stop() {
  stop_one api
  stop_one indexer
  stop_one anvil
  echo "chain state kept in $RUN_DIR/anvil-state.json, index in $RUN_DIR/linli.db"
}

start_backend() {
  export LINLI_RPC_URL="$RPC" LINLI_DATABASE_URL="sqlite:///$PWD/$RUN_DIR/linli.db"
  # The pages read the manifest (chain, contracts, ABIs); the relayer uses the demo key the seed funded.
  export LINLI_MANIFEST="$PWD/deployments/local-31337.json"
  # Sign-In with Ethereum names the address the pages are opened at: the API's own, or
  # localhost (a phone's passkey needs a host name, never an IP address).
  export LINLI_VAULT_SIWE_DOMAIN="127.0.0.1:$API_PORT" LINLI_VAULT_SIWE_URI="$API"
  export LINLI_VAULT_SIWE_ALSO="[\"http://localhost:$API_PORT\"]"
  python -m backend.db upgrade
  for name in indexer api; do
    if [[ -f $RUN_DIR/$name.pid ]] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
      kill "$(cat "$RUN_DIR/$name.pid")"
    fi
  done
  # Under a supervisor: the indexer waits out the node by itself, and is started again if it
  # ends for anything else (its pid file is the supervisor's; `make stop` stops both).
  scripts/supervise.sh python -m backend.indexer --manifest deployments/local-31337.json --quiet \
    >"$RUN_DIR/indexer.log" 2>&1 &
  echo $! >"$RUN_DIR/indexer.pid"
  python -m backend.api --host 127.0.0.1 --port "$API_PORT" >"$RUN_DIR/api.log" 2>&1 &
  echo $! >"$RUN_DIR/api.pid"
  for _ in $(seq 1 50); do curl -s -m 1 "$API/health" >/dev/null && break; sleep 0.2; done
}

start() {
  if rpc_up; then
    echo "a node already answers at $RPC; using it"
  else
    # --state keeps the chain across restarts, so the manifest stays valid. A new chain's
    # clock starts 400 days back: the seed lives a year on it and ends near today.
    local since=()
    [[ -f $RUN_DIR/anvil-state.json ]] || since=(--timestamp $(($(date +%s) - 400 * 86400)))
    anvil --host "$HOST" --port "$PORT" --chain-id 31337 --state "$RUN_DIR/anvil-state.json" "${since[@]}" \
      >"$RUN_DIR/anvil.log" 2>&1 &
    echo $! >"$RUN_DIR/anvil.pid"
    for _ in $(seq 1 50); do rpc_up && break; sleep 0.2; done
    rpc_up || { echo "anvil did not start; see $RUN_DIR/anvil.log"; exit 1; }
    echo "anvil running at $RPC (pid $(cat $RUN_DIR/anvil.pid))"
  fi
  export APE_FOUNDRY_HOST="$RPC"
  # The deployer keeps the assembly's powers while the seed records the community's past
  # decisions, then hands them to the assembly's timelock (a no-op when already done).
  ape run deploy --keep-powers --network ethereum:local:foundry || echo "(keeping the community already deployed)"
  ape run seed_demo --network ethereum:local:foundry
  start_backend
  # The vault's side (a profile, a logged read, the seed's texts and documents) goes through
  # the running API, before the hand-over: the texts the committee wrote are stored as the
  # committee's, which the deployer stops being once it hands its powers over.
  python scripts/seed_vault_demo.py --api "$API" || echo "(the vault demo could not be seeded; see $RUN_DIR/api.log)"
  ape run committee hand-over --network ethereum:local:foundry 2>/dev/null || echo "(the assembly already holds its powers)"
  echo
  echo "Demo is running. Manifest: deployments/local-31337.json"
  echo "Resident pages: $API/  (MetaMask: add the accounts below; the page adds the chain."
  echo "  Open this address, or http://localhost:$API_PORT/ for a passkey: Sign-In with Ethereum is bound to these two.)"
  echo "RPC: $RPC (chain id 31337)"
  echo "API: $API/api/v1/communities  docs: $API/docs  health: $API/health"
  echo "Logs in $RUN_DIR/. Stop everything with: make stop"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop"; exit 2 ;;
esac
