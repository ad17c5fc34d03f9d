"""Gas of CommunityActivities and MerchantPromotions: create an activity, sign up,
check in (organiser, batch, signed code), feedback, buy a promotion slot.

Run (a plain Python script):
    cd /work/main && export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH APE_DATA_FOLDER=$PWD/.ape
    python bench/gas_activities.py

It starts anvil through Ape, deploys through the same helpers as the tests
(deploy_community, deploy_fees, deploy_activities), and prints a table: operation,
gas measured, goal or anchor.
"""

from __future__ import annotations

import sys
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ape import accounts, chain, networks, project  # noqa: E402

from backend.chain.deploy_activities import deploy_activities  # noqa: E402
from backend.chain.deploy_fees import deploy_fees  # noqa: E402
from backend.chain.deployment import deploy_community, role_id  # noqa: E402

HOUR = 3600
RESIDENTS = 14
POINTS = 10

CHECK_IN_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "CheckIn": [
        {"name": "activityId", "type": "uint256"},
        {"name": "attendee", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ],
}


def sign_code(activities, organiser, activity_id: int, attendee: str, deadline: int) -> bytes:
    """The organiser's EIP-712 check-in code for one attendee."""
    message = {
        "domain": {"name": "Linli CommunityActivities", "version": "1", "chainId": chain.chain_id, "verifyingContract": activities.address},
        "types": CHECK_IN_TYPES,
        "primaryType": "CheckIn",
        "message": {"activityId": activity_id, "attendee": attendee, "deadline": deadline},
    }
    return bytes(Account.sign_message(encode_typed_data(full_message=message), organiser.private_key).signature)


def main() -> None:
    with networks.parse_network_choice("ethereum:local:foundry"):
        test = accounts.test_accounts
        committee, organiser, merchant = test[0], test[1], test[2]
        residents = [test[3 + i] for i in range(7)]
        while len(residents) < RESIDENTS:
            extra = accounts.test_accounts.generate_test_account()
            committee.transfer(extra, 10**18)
            residents.append(extra)
        community = deploy_community(project, chain, committee, name="bench")
        registry, points = community.registry, community.points
        registry.register_units(
            [(f"A-{i}", 9_000 + i, w.address, keccak(text=f"bench-activity-{i}")) for i, w in enumerate([organiser, *residents])],
            sender=committee,
        )
        registry.grantRole(role_id("merchant"), merchant, sender=committee)
        fees_stack = deploy_fees(project, chain, committee, community)
        fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
        stack = deploy_activities(project, chain, committee, community, fees)
        activities, promotions = stack["CommunityActivities"], stack["MerchantPromotions"]

        rows: list[tuple[str, int, str]] = []
        start = chain.pending_timestamp + 10 * HOUR
        end = start + 2 * HOUR
        for label in ("create activity (committee, first)", "create activity (committee)"):
            tx = activities.create_activity("邻里读书会", keccak(text="desc"), start, end, 100, POINTS, organiser, sender=committee)
            rows.append((label, tx.gas_used, "2 packed words + counter; title only in the event"))
        tx = activities.propose_activity("广场舞", keccak(text="dance"), start, end, 100, POINTS, sender=residents[0])
        rows.append(("propose activity (resident)", tx.gas_used, "-"))
        tx = activities.approve_activity(3, sender=committee)
        rows.append(("approve activity (committee)", tx.gas_used, "-"))

        for i, who in enumerate(residents):
            tx = activities.sign_up(2, sender=who)
            if i == 1:
                rows.append(("sign up", tx.gas_used, "one new seat word (22,100) + registry.is_member"))
            activities.sign_up(1, sender=who)
        tx = activities.cancel_sign_up(1, sender=residents[-1])
        rows.append(("cancel sign-up", tx.gas_used, "-"))
        # Activity 3 (organised by residents[0]) is for the rows with a household cap set.
        for who in residents[1:]:
            activities.sign_up(3, sender=who)

        chain.mine(timestamp=start)
        # First mint of each wallet writes a fresh balance slot; later ones do not.
        tx = activities.check_in(2, [residents[0].address], sender=organiser)
        rows.append(("check in by organiser, 1 attendee (first points)", tx.gas_used, "-"))
        tx = activities.check_in(1, [residents[0].address], sender=organiser)
        rows.append(("check in by organiser, 1 attendee (holds points)", tx.gas_used, "-"))
        batch = [w.address for w in residents[1:11]]
        tx = activities.check_in(1, batch, sender=organiser)
        rows.append(("check in by organiser, batch of 10 (first points)", tx.gas_used, f"{tx.gas_used // 10:,} per attendee"))
        tx = activities.check_in(2, batch, sender=organiser)
        rows.append(("check in by organiser, batch of 10 (hold points)", tx.gas_used, f"{tx.gas_used // 10:,} per attendee"))
        deadline = chain.pending_timestamp + HOUR
        for activity_id, label in ((1, "first points"), (2, "holds points")):
            who = residents[11]
            code = sign_code(activities, organiser, activity_id, who.address, deadline)
            tx = activities.check_in_with_code(activity_id, who, deadline, code, sender=who)
            rows.append((f"check in with signed code ({label})", tx.gas_used, "-"))

        # The points' yearly household cap (1,000 per year): the same check-ins with a cap set.
        points.set_household_cap(1_000, sender=committee)
        tx = activities.check_in(3, [residents[1].address], sender=residents[0])
        rows.append(("check in, cap set, household's first count this year", tx.gas_used, "-"))
        points.mint(residents[2], 1, 2, sender=committee)  # residents[2]'s household is counted once already
        tx = activities.check_in(3, [residents[2].address], sender=residents[0])
        rows.append(("check in, cap set, household counted before", tx.gas_used, "-"))
        tx = activities.check_in(3, [w.address for w in residents[3:13]], sender=residents[0])
        rows.append(("check in, cap set, batch of 10 (first counts)", tx.gas_used, f"{tx.gas_used // 10:,} per attendee"))
        points.mint(residents[13], 1_000, 2, sender=committee)  # at the cap
        tx = activities.check_in(3, [residents[13].address], sender=residents[0])
        rows.append(("check in, attendee's household at its cap (clipped to 0)", tx.gas_used, "-"))
        points.set_household_cap(0, sender=committee)

        chain.mine(timestamp=end)
        for i, label in ((0, "first"), (1, "steady state")):
            tx = activities.leave_feedback(1, 4, keccak(text="fb"), sender=residents[i])
            rows.append((f"feedback ({label})", tx.gas_used, "-"))

        promotions.set_price(1, 50_000, sender=committee)
        token.mint(merchant, 10**9, sender=committee)
        token.approve(promotions, 2**256 - 1, sender=merchant)
        period = promotions.current_period()
        tx = promotions.buy(1, period, 50_000, sender=merchant)
        rows.append(("buy promotion (first public income ever)", tx.gas_used, "-"))
        tx = promotions.buy(1, period + 1, 50_000, sender=merchant)
        rows.append(("buy promotion (steady state)", tx.gas_used, "slot word + pull + forward to PropertyFees"))

        width = max(len(r[0]) for r in rows)
        print(f"\nCommunityActivities / MerchantPromotions gas (whole transaction, anvil, {chain.chain_id=})\n")
        print(f"{'operation':<{width}}  {'gas':>9}  goal / anchor")
        print(f"{'-' * width}  {'-' * 9}  {'-' * 28}")
        for name, gas, goal in rows:
            print(f"{name:<{width}}  {gas:>9,}  {goal}")
        print(f"\npoints supply after the run: {points.totalSupply():,} (attendances x {POINTS}, the cap rows' own mints and clips included)")


if __name__ == "__main__":
    main()
