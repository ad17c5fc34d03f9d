"""Gas of the ServiceMarket: post a request, offer, accept, mark done, confirm (with
the platform fee to public income), release, rate (with a points mint); a request
posted in one call by the settlement token's transferAndCall (a passkey's order).

Run (a plain Python script):
    cd /work/main && export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/gas_services.py

It starts anvil through Ape, deploys through the same helpers as the tests
(deploy_community, deploy_fees, deploy_services), and prints a table: operation, gas
measured, anchor. Each operation is measured twice: the first time in a fresh
contract state (cold, zero-to-nonzero storage) and again in steady state.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eth_abi import encode
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, chain, networks, project  # noqa: E402

from backend.chain.deploy_fees import deploy_fees  # noqa: E402
from backend.chain.deploy_services import deploy_services  # noqa: E402
from backend.chain.deployment import deploy_community, role_id  # noqa: E402

DAY = 86_400
BUDGET = 50_000  # 500.00 yuan
PRICE = 40_000


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        committee, resident, provider, other = (accounts.test_accounts[i] for i in (0, 2, 7, 8))
        community = deploy_community(project, chain, committee, name="bench")
        registry = community.registry
        registry.register_units(
            [("1-1-101", 9_000, resident.address, keccak(text="bench-resident"))], sender=committee
        )
        registry.grantRole(role_id("provider"), provider, sender=committee)
        fees_stack = deploy_fees(project, chain, committee, community)
        fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
        market = deploy_services(project, chain, committee, community, fees)["ServiceMarket"]
        market.set_fee(500, sender=committee)  # 5 % platform fee
        market.set_rating_points(10, sender=committee)
        token.mint(resident, 10**10, sender=committee)
        token.approve(market, 2**256 - 1, sender=resident)

        rows: list[tuple[str, int, str]] = []

        def job(label: str, rate: bool = True) -> None:
            deadline = chain.pending_timestamp + 10 * DAY
            tx = market.post_request(3, keccak(text=f"job {label}"), BUDGET, deadline, sender=resident)
            rid = tx.decode_logs(market.RequestPosted)[0].request_id
            rows.append((f"post request ({label})", tx.gas_used, "2 new words + transferFrom"))
            tx = market.make_offer(rid, PRICE, deadline - DAY, sender=provider)
            rows.append((f"offer ({label})", tx.gas_used, "1 new word"))
            tx = market.accept_offer(rid, provider, PRICE, deadline - DAY, sender=resident)
            rows.append((f"accept + refund budget - price ({label})", tx.gas_used, "2 words + transfer"))
            tx = market.mark_done(rid, sender=provider)
            rows.append((f"mark done ({label})", tx.gas_used, "1 word"))
            tx = market.confirm(rid, sender=resident)
            rows.append((f"confirm, 5% fee to public income ({label})", tx.gas_used, "2 transfers + fees call"))
            if rate:
                tx = market.rate(rid, 5, sender=resident)
                rows.append((f"rate + 10 points minted ({label})", tx.gas_used, "2 words + points.mint"))

        job("first")
        # A household rates a provider once per Beijing month: the next job a month on.
        chain.pending_timestamp += 32 * DAY
        job("steady state")

        # Confirmation without a fee, and release by a third party after the delay.
        market.set_fee(0, sender=committee)
        deadline = chain.pending_timestamp + 10 * DAY
        rid = market.post_request(3, keccak(text="no fee"), BUDGET, deadline, sender=resident).decode_logs(market.RequestPosted)[0].request_id
        market.make_offer(rid, PRICE, deadline, sender=provider)
        market.accept_offer(rid, provider, PRICE, deadline, sender=resident)
        market.mark_done(rid, sender=provider)
        tx = market.confirm(rid, sender=resident)
        rows.append(("confirm, fee 0 (no fees call)", tx.gas_used, "1 transfer"))
        market.set_fee(500, sender=committee)
        rid = market.post_request(3, keccak(text="release"), BUDGET, deadline, sender=resident).decode_logs(market.RequestPosted)[0].request_id
        market.make_offer(rid, PRICE, deadline, sender=provider)
        market.accept_offer(rid, provider, PRICE, deadline, sender=resident)
        market.mark_done(rid, sender=provider)
        chain.pending_timestamp = market.request(rid).release_at
        tx = market.release(rid, sender=other)
        rows.append(("release after the delay, by anyone (5% fee)", tx.gas_used, "like confirm"))
        rid = market.post_request(3, keccak(text="cancel"), BUDGET, chain.pending_timestamp + DAY, sender=resident).decode_logs(market.RequestPosted)[0].request_id
        tx = market.cancel_request(rid, sender=resident)
        rows.append(("cancel an open request (refund)", tx.gas_used, "-"))
        # The same request posted in one call, without an approval: the settlement
        # token's ERC-1363 transferAndCall (how a passkey account orders, relayed).
        deadline = chain.pending_timestamp + 10 * DAY
        purpose = encode(["uint256", "bytes32", "uint256"], [3, keccak(text="job pushed"), deadline])
        tx = token.transferAndCall(market, BUDGET, purpose, sender=resident)
        rows.append(("post request by transferAndCall (a passkey's order)", tx.gas_used, "2 new words + transfer"))

        width = max(len(r[0]) for r in rows)
        print(f"\nServiceMarket gas (whole transaction, anvil, {chain.chain_id=})\n")
        print(f"{'operation':<{width}}  {'gas':>9}  anchor")
        print(f"{'-' * width}  {'-' * 9}  {'-' * 28}")
        for name, gas, anchor in rows:
            print(f"{name:<{width}}  {gas:>9,}  {anchor}")
        steady = {name: gas for name, gas, _ in rows if "steady state" in name}
        cycle = sum(steady.values())
        print(f"\nwhole job in steady state (post, offer, accept, mark done, confirm, rate): {cycle:,} gas")


if __name__ == "__main__":
    main()
