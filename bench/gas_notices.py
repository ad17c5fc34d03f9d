"""Gas of the NoticeBoard: register a document, publish a notice (a proposal's, with the
frozen roll), anchor a batch of owners' receipts, and what anchoring costs per receipt.

Run (a plain Python script):
    export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/gas_notices.py

Anchor: writing each receipt on chain as it comes (one transaction per receipt, the
cheapest such record being an event: 21,000 + ~3,000 gas) against one root per batch,
whose cost does not depend on how many receipts it holds. Also the gas of the board's
own check of a proof (`verify_receipt`, a view: what a contract relying on a receipt pays).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, chain, networks, project  # noqa: E402

from backend.chain.deployment import deploy_full_community  # noqa: E402
from backend.notices import receipts as rc  # noqa: E402
from tests.utils.identity import commitment_for  # noqa: E402

DAY = 86400


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        committee, owner_a, anchorer = accounts.test_accounts[0], accounts.test_accounts[2], accounts.test_accounts[8]
        community = deploy_full_community(project, chain, committee, name="bench", hand_over_powers=False,
                                          vault_logger=anchorer, assembly_params={"min_notice": 15 * DAY})
        contracts = community.contracts()
        board, assembly = contracts["NoticeBoard"], contracts["OwnersAssembly"]
        community.registry.register_units([("1-101", 9_000, owner_a.address, commitment_for("owner_a"))],
                                          sender=committee)
        rows: list[tuple[str, int | str, str]] = []
        tx = board.register_document(sha("管理规约"), 1, "管理规约（2026年修订）", sender=committee)
        rows.append(("register a document (title of 10 characters)", tx.gas_used, "1 new word + event"))
        tx = board.publish_notice(sha("停水"), 3, 2, "2", "2号楼停水通知", 0, [sha("schedule")], sender=committee)
        rows.append(("publish a building's notice, 1 document (first)", tx.gas_used, "2 new words + event"))
        tx = board.publish_notice(sha("活动"), 4, 1, "", "中秋活动", 0, [], sender=committee)
        rows.append(("publish a notice to everyone (steady state)", tx.gas_used, ""))
        start = chain.pending_timestamp + 16 * DAY
        proposal = assembly.propose([], [], [], 9, "更换门禁", sha("full text"), start, start + 7 * DAY,
                                    sender=committee).decode_logs(assembly.ProposalCreated)[0].proposalId
        tx = board.publish_notice(sha("会议通知"), 1, 3, "", "业主大会会议通知", proposal, [sha("full text"), sha("quote")],
                                  sender=committee)
        rows.append(("publish a proposal's notice with the roll, 2 documents", tx.gas_used,
                     "+ reads of the assembly and the registry"))

        per_receipt_anchor = None
        for size in (1, 100, 10_000):
            owners = [Account.create() for _ in range(min(size, 64))]
            leaves = []
            for i in range(size):
                key = owners[i % len(owners)]
                at = 1_800_000_000 + i
                message = rc.typed_data(chain.chain_id, board.address, 1, sha("停水"), key.address, at)
                signature = bytes(Account.sign_message(encode_typed_data(full_message=message), key.key).signature) \
                    if i < 64 else bytes(65)  # the tree's cost does not depend on the signatures' content
                leaves.append(rc.receipt_leaf(1, sha("停水"), key.address, at, signature))
            levels = rc.tree_levels(leaves)
            tx = board.anchor_receipts(levels[-1][0], size, 1_800_000_000, 1_800_000_000 + size - 1, sender=anchorer)
            if size == 1:
                per_receipt_anchor = tx.gas_used
            rows.append((f"anchor a batch of {size:,} receipts", tx.gas_used,
                         f"{tx.gas_used / size:,.1f} per receipt"))
            if size == 10_000:
                batch = board.batch_count()
                proof = rc.merkle_proof(levels, 4_321)
                gas = chain.provider.web3.eth.estimate_gas({"to": board.address, "data": board.verify_receipt.as_transaction(
                    batch, leaves[4_321], proof, sender=committee).data})
                rows.append((f"verify_receipt, a proof of {len(proof)} hashes (view)", gas, "a relying contract pays it"))
        rows.append(("anchor: one transaction per receipt (batch of 1)", per_receipt_anchor,
                     "10,000 receipts = 10,000 such transactions"))

        width = max(len(r[0]) for r in rows)
        print(f"{'operation':<{width}}  {'gas':>10}  note")
        for name, gas, note in rows:
            print(f"{name:<{width}}  {gas:>10,}  {note}")


if __name__ == "__main__":
    main()
