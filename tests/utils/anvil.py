"""A second anvil with a chosen hardfork, for what Ape's own anvil (one hardfork per
session) cannot show: e.g. a chain without the P256VERIFY precompile (prague), driven
through web3 with the bytecode Ape compiled. The bench uses it too."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from web3 import Web3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def anvil(hardfork: str) -> Iterator[Web3]:
    """Start anvil with `--hardfork hardfork` on a free port; stop it (by its PID) afterwards."""
    port = _free_port()
    binary = shutil.which("anvil")
    assert binary, "anvil is not on PATH (node_modules/.bin)"
    process = subprocess.Popen([binary, "--hardfork", hardfork, "--port", str(port), "--silent"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 60}))
        deadline = time.monotonic() + 60
        while not w3.is_connected():
            if process.poll() is not None:
                raise RuntimeError(f"anvil --hardfork {hardfork} exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"anvil --hardfork {hardfork} did not answer on port {port}")
            time.sleep(0.1)
        w3.eth.default_account = w3.eth.accounts[0]
        yield w3
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def deploy(w3: Web3, container: Any, *args: Any) -> Any:
    """Deploy an Ape project's contract (`project.Name`) on `w3`; the web3 contract."""
    contract_type = container.contract_type
    abi = [entry.model_dump(mode="json", by_alias=True) for entry in contract_type.abi]
    factory = w3.eth.contract(abi=abi, bytecode=contract_type.deployment_bytecode.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact())
    assert receipt.status == 1, receipt
    return w3.eth.contract(address=receipt.contractAddress, abi=abi)
