"""A chain that is not anvil's defaults (issue 22): the district's registry and its
CommunityFactory, a whole community built by the factory and listed in it, a units import by the community's name and a relayed
vote, as an operator runs them, on an anvil that behaves like a private QBFT chain — the
Osaka hardfork, its own chain id, a block every 2 seconds (interval mining, not a block
per transaction), no base fee and a zero gas price — and no transaction any of them
sends asks for more than Osaka's per-transaction cap (EIP-7825).

Ape reaches it as it reaches any node, by its URL (`--network http://…`, Ape's generic
node provider): not through the anvil plugin, which assumes a block per transaction.

The chain id is not a local one, so nothing falls back to a development default: the
deployer signs with LINLI_DEPLOYER_KEY, the settlement token is named, the committee is
a new Safe whose members sign the units import, and the relayer signs with a key that
holds no ether at all (the chain charges nothing for gas)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from eth_account import Account

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).with_name("ape"))
CHAIN_ID = 20261
BLOCK_SECONDS = 2
TX_GAS_CAP = 16_777_216  # EIP-7825
MNEMONIC = "test test test test test test test test test test test junk"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rpc(url: str, method: str, params: list) -> object:
    reply = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=10)
    return reply.json()["result"]


@pytest.fixture(scope="module")
def qbft_chain(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("private-chain") / "anvil.log"
    with log.open("w") as out:
        node = subprocess.Popen(
            ["anvil", "--port", str(port), "--hardfork", "osaka", "--chain-id", str(CHAIN_ID),
             "--block-time", str(BLOCK_SECONDS), "--block-base-fee-per-gas", "0", "--gas-price", "0",
             "--mnemonic", MNEMONIC, "--accounts", "10", "--balance", "10000"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                rpc(url, "eth_chainId", [])
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        node.terminate()
        node.wait(timeout=10)


def run(url: str, args: list[str], **extra_env: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if key not in ("LINLI_COMMITTEE_KEYS", "LINLI_DEPLOYER_KEY", "LINLI_DISTRICT", "LINLI_STREET_OFFICE_KEYS")}
    env.update(LINLI_PRIVATE_CHAIN_URL=url, **extra_env)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_deploy_import_and_a_relayed_vote_on_a_private_chain(qbft_chain, accounts, tmp_path):
    url = qbft_chain
    assert int(rpc(url, "eth_chainId", []), 16) == CHAIN_ID
    deployer, members, owner = accounts[0], [accounts[2], accounts[3], accounts[4]], accounts[5]
    keys = {"LINLI_DEPLOYER_KEY": deployer.private_key}
    committee_keys = ",".join(m.private_key for m in members[:2])

    token = json.loads(run(url, [sys.executable, "-m", "tests.scripts.private_chain", "token"], **keys)
                       .stdout.strip().splitlines()[-1])["token"]
    # The street office's registry of the district, owned by a 2-of-3 Safe of its staff.
    staff = [accounts[6], accounts[7], accounts[8]]
    office = run(url, [APE, "run", "district", "deploy", "--network", url,
                       "--street-office-members", ",".join(s.address for s in staff),
                       "--street-office-threshold", "2"], **keys)
    district = office.stdout.split("District registry ", 1)[1].split()[0]
    office_keys = {"LINLI_DISTRICT": district,
                   "LINLI_STREET_OFFICE_KEYS": ",".join(s.private_key for s in staff[:2])}

    # The district's factory (the chain's blueprints, once), its lister role and deployer.
    made = run(url, [APE, "run", "district", "factory", "--network", url, "--settlement-token", token],
               **keys, **office_keys)
    factory = made.stdout.split("CommunityFactory ", 1)[1].split()[0]

    manifest = tmp_path / "district-1.json"
    deployed = run(url, [APE, "run", "deploy", "--network", url, "--manifest", str(manifest),
                         "--name", "私链小区", "--street", "嘉兴路街道", "--settlement-token", token,
                         "--committee-members", ",".join(m.address for m in members), "--committee-threshold", "2",
                         "--factory", factory],
                   **keys, **office_keys)
    assert "keeps none" in deployed.stdout and "Listed as community 1" in deployed.stdout
    assert "in 4 transactions" in deployed.stdout
    assert json.loads(manifest.read_text())["chain_id"] == CHAIN_ID

    # The units import finds the community by its name in the district.
    units = tmp_path / "units.csv"
    units.write_text("label,area_m2,owner,commitment\n"
                     f"1-1-101,89.50,{owner.address},0x{'ab' * 32}\n", encoding="utf-8")
    run(url, [APE, "run", "units", "import", str(units), "--network", url,
              "--community", "私链小区"], LINLI_COMMITTEE_KEYS=committee_keys, LINLI_DISTRICT=district, **keys)

    relayer = Account.create()
    vote = run(url, [sys.executable, "-m", "tests.scripts.private_chain", "vote", str(manifest),
                     owner.private_key, "0x" + relayer.key.hex().removeprefix("0x")],
               LINLI_COMMITTEE_KEYS=committee_keys, **keys)
    ballot = json.loads(vote.stdout.strip().splitlines()[-1])
    assert ballot["status"] == "confirmed" and ballot["voted"]
    assert ballot["tally_for"] == [8_950, 1] and ballot["area"] == 8_950
    # The relayer holds nothing and paid nothing: the chain charges no gas.
    assert ballot["relayer"].lower() == relayer.address.lower() and ballot["relayer_balance"] == 0

    # Every transaction sent on this chain, by the scripts and the relayer alike, asked for
    # no more gas than Osaka's cap and carried this chain's id; blocks came on the clock.
    head = int(rpc(url, "eth_blockNumber", []), 16)
    sent = 0
    for number in range(1, head + 1):
        block = rpc(url, "eth_getBlockByNumber", [hex(number), True])
        for tx in block["transactions"]:
            sent += 1
            assert int(tx["gas"], 16) <= TX_GAS_CAP, (number, tx["hash"], int(tx["gas"], 16))
            assert int(tx["chainId"], 16) == CHAIN_ID
        assert int(block["baseFeePerGas"], 16) == 0
    assert sent >= 30, sent  # the district, the blueprints, the factory, the community's four steps, the units, the vote
    receipt = rpc(url, "eth_getTransactionReceipt", [ballot["tx_hash"]])
    assert int(receipt["status"], 16) == 1
