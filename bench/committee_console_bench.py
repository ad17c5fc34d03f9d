# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's console: gas of what its members execute, and the store's time per request.

    python bench/committee_console_bench.py

Gas (whole transaction, anvil): each console action executed by a 2-of-3 committee Safe
(execTransaction with two EIP-712 signatures, sent by a member), against the same call
made directly by an account holding the committee role (the deployer, before a
hand-over); and the composer's committee path, a proposal alone and with its notice in
one SafeTx. Time: the store's routes (backend/committee) in process over SQLite, the
node being the same anvil: propose (a signature recovered, the Safe's owners and nonce
read), sign, and the overview a member's page loads; a units CSV checked (the CLI's
parser, then four or five registry views per unit). Figures printed, nothing asserted.
"""

from __future__ import annotations

import base64
import json
import secrets
import statistics
import sys
import tempfile
import time
from hashlib import sha256
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402

from backend.chain.deployment import role_id  # noqa: E402
from backend.chain.safe import sign_safe_tx  # noqa: E402
from backend.chain.units_csv import parse_units_csv  # noqa: E402
from tests.safe.console_scene import PUBLIC_INCOME, console_community, units_csv  # noqa: E402

ROUNDS = 30


def main() -> None:
    logger.set_level("WARNING")
    deployer, member_a, member_b, member_c, payee = (accounts.test_accounts[i] for i in (0, 2, 3, 4, 7))
    scene = console_community(project, chain, deployer, [member_a, member_b, member_c])
    treasury, safe = scene.treasury, scene.safe
    registry, points = scene.community.registry, scene.community.points
    doc = sha256(b"approval").digest()
    batch = [unit.as_args() for unit in parse_units_csv(units_csv(60, prefix="8-1-"))]
    print(f"{'action':<44} {'2-of-3 Safe':>12} {'direct':>10} {'extra':>9}")
    for name, method, args in (
            ("allocate_budget (a category's first budget)", treasury.allocate_budget,
             (scene.year, PUBLIC_INCOME, 1, 1_000_00)),
            ("allocate_budget (revised)", treasury.allocate_budget, (scene.year, PUBLIC_INCOME, 1, 2_000_00)),
            ("pay_emergency_repair", treasury.pay_emergency_repair, (2, payee.address, 1_000_00, doc)),
            ("grantRole (merchant)", registry.grantRole, (role_id("merchant"), payee.address)),
            # Direct: the deployer as the points' owner (no allowance counted), the Safe counts it.
            ("mint (a points grant, reason 1)", points.mint, (payee.address, 100, 1)),
            ("register_units (a CSV batch of 60)", registry.register_units, (batch,))):
        snapshot = chain.snapshot()
        direct = method(*args, sender=deployer).gas_used
        chain.restore(snapshot)
        tx = safe.propose_call(method, *args)
        receipt = safe.execute(tx, {m.address: sign_safe_tx(tx, m) for m in (member_a, member_b)}, sender=member_b)
        print(f"{name:<44} {receipt.gas_used:>12,} {direct:>10,} {receipt.gas_used - direct:>+9,}")
    composer_path(scene, member_a, member_b, member_c, doc)

    from fastapi.testclient import TestClient

    from backend.api.main import create_app
    from backend.core.config import Settings
    from backend.db.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "manifest.json").write_text(json.dumps(scene.manifest), encoding="utf-8")
        upgrade(f"sqlite:///{folder / 'index.db'}")
        settings = Settings(environment="test", database_url=f"sqlite:///{folder / 'index.db'}",
                            rpc_url=chain.provider.uri, manifest=folder / "manifest.json",
                            vault_database_url=f"sqlite:///{folder / 'vault.db'}",
                            vault_key=base64.b64encode(secrets.token_bytes(32)).decode(),
                            vault_key_file=folder / "vault.key")
        base = f"/api/v1/communities/{scene.community.registry.address.lower()}/committee"
        times = {"propose": [], "sign": [], "overview (with the pending ones)": []}
        checks = {60: [], 1200: []}
        with TestClient(create_app(settings)) as client:
            client.get(base)
            for n in range(ROUNDS):
                tx = safe.propose_call(treasury.allocate_budget, scene.year, PUBLIC_INCOME, 1 + n % 6, 1_00 + n,
                                       nonce=safe.nonce() + n % 20)
                fields = {k: v for k, v in tx.to_json().items() if k not in ("safeTxHash", "note")}
                start = time.perf_counter()
                answer = client.post(f"{base}/transactions", json={
                    **fields, "signer": member_a.address, "signature": "0x" + sign_safe_tx(tx, member_a).hex()})
                times["propose"].append(time.perf_counter() - start)
                assert answer.status_code == 201, answer.text
                start = time.perf_counter()
                answer = client.post(f"{base}/transactions/0x{tx.hash.hex()}/signatures", json={
                    "signer": member_b.address, "signature": "0x" + sign_safe_tx(tx, member_b).hex()})
                times["sign"].append(time.perf_counter() - start)
                assert answer.status_code == 201, answer.text
                start = time.perf_counter()
                client.get(base).raise_for_status()
                times["overview (with the pending ones)"].append(time.perf_counter() - start)
            # A fresh write limit: the rounds above used this client's minute.
            from backend.api.ratelimit import SlidingWindowLimit

            client.app.state.committee_writes = SlidingWindowLimit(1000, 60.0)
            for count, values in checks.items():
                text = units_csv(count, prefix="7-1-")
                for _ in range(3):
                    start = time.perf_counter()
                    client.post(f"{base}/units-check", json={"csv": text}).raise_for_status()
                    values.append(time.perf_counter() - start)
        print(f"\nstore, {ROUNDS} rounds, SQLite, anvil on this machine (up to {ROUNDS} pending at the end):")
        for name, values in times.items():
            print(f"  {name:<36} median {statistics.median(values) * 1000:6.1f} ms   max {max(values) * 1000:6.1f} ms")
        for count, values in checks.items():
            print(f"  {f'units-check, {count:,} units':<36} median {statistics.median(values) * 1000:6.1f} ms   "
                  f"max {max(values) * 1000:6.1f} ms")


def composer_path(scene, member_a, member_b, member_c, doc) -> None:
    """The composer's committee path: a proposal (one call) through the Safe alone, and with
    its notice in the same SafeTx (MultiSendCallOnly), the proposal's id computed ahead."""
    from backend.chain.deploy_assembly import proposal_id

    safe, registry = scene.safe, scene.community.registry
    assembly, board = scene.contracts["OwnersAssembly"], scene.contracts["NoticeBoard"]
    signers = (member_a, member_b)

    def run(tx):
        return safe.execute(tx, {m.address: sign_safe_tx(tx, m) for m in signers}, sender=member_b)

    run(safe.propose_call(registry.register_unit, "9-9-901", 90_00, member_c.address, sha256(b"c").digest()))
    data = assembly.set_cosign_threshold.encode_input(800)
    start = chain.pending_timestamp + assembly.min_notice() + 86400
    args = ([assembly.address], [0], [data], 1, "联署门槛", doc, start, start + assembly.min_voting_period())
    snapshot = chain.snapshot()
    alone = run(safe.propose_call(assembly.propose, *args)).gas_used
    chain.restore(snapshot)
    expected = proposal_id(*args[:3], doc, safe.address, assembly.proposal_nonce(safe.address))
    both = run(safe.propose_batch([(assembly.propose, args), (board.publish_notice, (
        sha256("公告".encode()).digest(), 1, 3, "", "业主大会会议公告：联署门槛", expected, [doc]))])).gas_used
    assert board.proposal_notice(expected) != 0
    print(f"{'propose (1 call) through the Safe':<44} {alone:>12,}")
    print(f"{'propose + its notice, one MultiSend SafeTx':<44} {both:>12,} {'':>10} {both - alone:>+9,}")


if __name__ == "__main__":
    with networks.parse_network_choice("ethereum:local:foundry"):
        main()
