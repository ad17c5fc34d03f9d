"""A real node stopped mid-backfill and started again: the indexer waits, reports the
node unreachable, and resumes where it stopped once the node is back.

The node is a second anvil of the test's own (not the one Ape runs the session on), started
with `--state`, so its chain survives the restart as a private chain's would. It holds the
project's SettlementToken and one mint per block.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from eth_abi import encode
from eth_utils import keccak
from sqlalchemy import func, select

from backend.db.models import RawEvent
from backend.indexer.rpc import RpcClient
from tests.backend.helpers import assert_waits_for_the_node
from tests.backend.nodeproxy import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's unlocked account 0
MINTS = 40


def _anvil() -> str:
    found = shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")
    if not Path(found).exists():
        pytest.fail("anvil not found: run `make install`")
    return found


class StatefulAnvil:
    """anvil on a free port whose chain is dumped to and loaded from `state` across restarts."""

    def __init__(self, state: Path, log: Path):
        self.state, self.log = state, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [_anvil(), "--host", "127.0.0.1", "--port", str(self.port), "--state", str(self.state)],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.call("eth_chainId")
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"anvil did not start; see {self.log}")

    def stop(self) -> None:
        """SIGTERM: anvil writes its state file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)

    def call(self, method: str, params: list | None = None):
        reply = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
                           timeout=5).json()
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def send(self, to: str | None, data: str) -> dict:
        tx = {"from": DEPLOYER, "data": data, **({"to": to} if to else {})}
        tx_hash = self.call("eth_sendTransaction", [tx])
        # anvil answers eth_sendTransaction before it has stored the mined block's receipt:
        # a receipt asked at once is sometimes null (CI met it once), so wait for it.
        deadline = time.monotonic() + 10
        while (receipt := self.call("eth_getTransactionReceipt", [tx_hash])) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no receipt for {tx_hash} after 10 s")
            time.sleep(0.02)
        return receipt


@pytest.fixture
def node(tmp_path):
    anvil = StatefulAnvil(tmp_path / "anvil-state.json", tmp_path / "anvil.log")
    anvil.start()
    yield anvil
    anvil.stop()


def assert_same_hashes(node, hashes):
    assert {n: node.call("eth_getBlockByNumber", [hex(n), False])["hash"] for n in hashes} == hashes


def test_node_stopped_mid_backfill_is_waited_for_and_resumed(node, project, make_indexer, engine, settings):
    token_type = project.SettlementToken.contract_type
    bytecode = token_type.deployment_bytecode.bytecode
    receipt = node.send(None, bytecode + encode(["address"], [DEPLOYER]).hex())
    token = receipt["contractAddress"]
    selector = "0x" + keccak(text="mint(address,uint256)")[:4].hex()
    for n in range(MINTS):  # one block each, as anvil mines per transaction
        node.send(token, selector + encode(["address", "uint256"], [DEPLOYER, n + 1]).hex())
    head = int(node.call("eth_blockNumber"), 16)
    manifest = {
        "chain_id": int(node.call("eth_chainId"), 16), "deploy_block": int(receipt["blockNumber"], 16),
        "community": token, "name": "重启测试", "network": "local",
        "contracts": {"SettlementToken": {"address": token,
                                          "abi": [e.model_dump(mode="json", by_alias=True) for e in token_type.abi]}},
    }
    indexer = make_indexer(manifest, rpc_url=node.url, max_block_range=2)
    indexer.range_size = 2
    hashes_before = {n: node.call("eth_getBlockByNumber", [hex(n), False])["hash"] for n in (1, head // 2, head)}
    assert_waits_for_the_node(
        indexer, engine, settings, node.url, head, stop_node=node.stop, start_node=node.start,
        # The same chain, loaded from the state file.
        check_back=lambda: assert_same_hashes(node, hashes_before))
    # No gap, no duplicate: exactly the node's logs, each once.
    rpc = RpcClient(node.url)
    logs = rpc.get_logs([token], manifest["deploy_block"], head)
    rpc.close()
    with engine.connect() as conn:
        stored = conn.execute(select(RawEvent.tx_hash, RawEvent.log_index)).all()
        assert conn.scalar(select(func.count()).select_from(RawEvent).where(RawEvent.event == "Transfer")) == MINTS
    assert sorted(stored) == sorted((entry["transactionHash"], int(entry["logIndex"], 16)) for entry in logs)
