"""Gas of the owners' power as production deploys it: a community with a 2-of-3 Safe
committee (the assembly's timelock its module, CommitteeGuard its guard), the
constitution written, the powers handed over.

    python bench/gas_power.py            (or: make bench)

Rows (whole-transaction gas on anvil): a proposal classified by its calls, by the
committee's Safe and by an owner; castVote and castVoteBySig medians beside their goals
(the classification costs ballots nothing); the committee dividing the assembly's
annual budget into a category (a 2-of-3 SafeTx) and paying an emergency repair from the
maintenance fund within the assembly's caps (a 2-of-3 SafeTx). Anchor of each Safe row:
the same call's own gas (eth_estimateGas from the Safe's address), i.e. what an EOA
committee paid before the committee became a Safe, plus 21,000.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ape import accounts, chain, networks, project  # noqa: E402
from ape.logging import logger  # noqa: E402
from eth_utils import keccak  # noqa: E402

from backend.chain.deployment import deploy_full_community, role_id  # noqa: E402
from backend.chain.safe import SafeCommittee, safe_infrastructure_at, sign_safe_tx  # noqa: E402
from tests.assembly.helpers import sign_ballot  # noqa: E402

DAY = 86400
PARAMS = {"timelock_delay": 2 * DAY, "min_notice": DAY, "min_voting_period": DAY, "max_voting_period": 30 * DAY,
          "objection_window": 3 * DAY, "queue_window": 10 * DAY}
OWNERS = 60
FUND, PUBLIC_INCOME, CATEGORY = 10_000_000_00, 1, 3


def row(name: str, gas: int, anchor: int | str = "", goal: str = "") -> None:
    anchor_text = f"{anchor:,}" if isinstance(anchor, int) else anchor
    print(f"| {name:<52} | {gas:>9,} | {anchor_text:>14} | {goal:<16} |")


def main() -> None:
    logger.set_level("WARNING")
    with networks.parse_network_choice("ethereum:local:foundry"):
        deployer, relayer = accounts.test_accounts[0], accounts.test_accounts[1]
        members = accounts.test_accounts[2:5]
        owners = [accounts.test_accounts.generate_test_account() for _ in range(OWNERS)]
        year = None

        def founding(community):
            # The community's past decisions: this year's public income budget and the
            # emergency caps, recorded by the deployer before it hands over.
            nonlocal year
            treasury = community.extra["CommunityTreasury"]
            year = community.extra["PropertyFees"].current_month() // 12
            treasury.approve_annual_budget(year, PUBLIC_INCOME, 1_000_000_00, keccak(text="budget"), sender=deployer)
            treasury.set_emergency_caps(50_000_00, 200_000_00, sender=deployer)

        community = deploy_full_community(project, chain, deployer, name="基准主权小区", committee_members=members,
                                          committee_threshold=2, assembly_params=PARAMS, founding=founding)
        c = community.contracts()
        names = ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSendCallOnly")
        safe = SafeCommittee(c["CommitteeSafe"], chain, safe_infrastructure_at(chain, {n: c[n].address for n in names}))
        registry, assembly, fees, treasury, token = (community.registry, c["OwnersAssembly"], c["PropertyFees"],
                                                     c["CommunityTreasury"], c["SettlementToken"])

        last = {}

        def by_safe(method, *args) -> tuple[int, int]:
            tx = safe.propose_call(method, *args)
            own = chain.provider.web3.eth.estimate_gas({"from": safe.address, "to": tx.to, "data": "0x" + tx.data.hex()})
            receipt = safe.execute(tx, {m.address: sign_safe_tx(tx, m) for m in members[:2]}, sender=relayer)
            last["receipt"] = receipt
            return receipt.gas_used, own

        units = [(f"8-{i // 100}-{i % 100:02d}", 9_000 + (i * 41) % 4_000, o.address, keccak(text=f"bench-power-{i}"))
                 for i, o in enumerate(owners)]
        safe.call(registry.register_units, units, signers=members[:2], sender=relayer)  # the Safe's first transaction
        for o in owners:
            chain.set_balance(o.address, 10**19)
        token.mint(relayer, FUND, sender=deployer)
        token.approve(fees, FUND, sender=relayer)
        fees.deposit_maintenance(FUND, keccak(text="首期维修资金"), sender=relayer)
        chain.mine()

        allocate, allocate_own = by_safe(treasury.allocate_budget, year, PUBLIC_INCOME, CATEGORY, 300_000_00)
        allocate2, allocate2_own = by_safe(treasury.allocate_budget, year, PUBLIC_INCOME, CATEGORY + 1, 200_000_00)
        repair, repair_own = by_safe(treasury.pay_emergency_repair, 1, owners[0].address, 30_000_00, keccak(text="批复"))

        start = chain.pending_timestamp + DAY + 60
        calls = ([fees.address], [0], [fees.set_maintenance_share.encode_input(2_000)])
        by_committee, _ = by_safe(assembly.propose, *calls, 6, "提高维修资金续筹比例", keccak(text="a"), start, start + 7 * DAY)
        pid = last["receipt"].decode_logs(assembly.ProposalCreated)[0].proposalId
        by_owner = assembly.propose(*calls, 9, "业主提出：提高维修资金续筹比例", keccak(text="b"), start, start + 7 * DAY,
                                    sender=owners[0])
        chain.pending_timestamp = start
        chain.mine()
        half = OWNERS // 2
        votes = [assembly.castVote(pid, 1, sender=o).gas_used for o in owners[1:half]]
        sigs = [assembly.castVoteBySig(pid, 1, o.address, sign_ballot(assembly, chain, o, pid, 1), sender=relayer).gas_used
                for o in owners[half:]]

        print()
        print(f"Owners' power on anvil: a 2-of-3 Safe committee, {OWNERS} owners (whole-transaction gas)")
        row("operation", 0, "anchor", "goal")
        print(f"| {'-' * 52} | {'-' * 9} | {'-' * 14} | {'-' * 16} |")
        row("allocate a category budget, 2-of-3 SafeTx", allocate, allocate_own + 21_000)
        row("allocate another category, 2-of-3 SafeTx", allocate2, allocate2_own + 21_000)
        row("emergency repair from the fund, 2-of-3 SafeTx", repair, repair_own + 21_000)
        row("propose, the committee's Safe (classified)", by_committee, "OZ 68,646")
        row("propose, an owner's motion (classified)", by_owner.gas_used, "OZ 68,646")
        median_vote, median_sig = int(statistics.median(votes)), int(statistics.median(sigs))
        row("castVote, median", median_vote, "OZ 66,155",
            "<= 50,000 " + ("ok" if median_vote <= 50_000 else "MISSED"))
        row("castVoteBySig relayed, median", median_sig, "OZ 97,766",
            "<= 58,000 " + ("ok" if median_sig <= 58_000 else "MISSED"))
        print()


if __name__ == "__main__":
    main()
