"""A settlement token that calls back into the treasury during every payout: the
token holds the role the call needs (as a manager's or committee's contract wallet
reached by a token callback would), yet the lock refuses the call, the payout is
made once, and the same call succeeds from outside the lock."""

import pytest
from eth_abi import encode
from eth_utils import keccak

from backend.chain.deploy_fees import deploy_fees
from tests.fees.conftest import COMMISSION, COMMISSION_BPS, FEE_INCOME, h, propose_contract, role_id

CLEANING = 1
FUNDS = 10**10


def call_data(signature: str, types: list[str], args: list) -> bytes:
    return keccak(text=signature)[:4] + encode(types, args)


@pytest.fixture
def evil(project, chain, committee, manager, populated, owner_a, owner_b):
    token = committee.deploy(project.ReentrantToken)
    stack = deploy_fees(project, chain, committee, populated, settlement_token=token)
    fees, treasury = stack["PropertyFees"], stack["CommunityTreasury"]
    start = fees.current_month()
    propose_contract(fees, manager, manager, start, mode=COMMISSION)
    fees.approve_service_contract(1, sender=committee)
    for who in (owner_a, owner_b):
        token.mint(who, FUNDS, sender=committee)
        token.approve(fees, 2**256 - 1, sender=who)
    fees.pay(1, 12, 10**12, sender=owner_a)
    fees.deposit_maintenance(5_000_000, h("fund"), sender=owner_b)
    year = start // 12
    treasury.approve_annual_budget(year, FEE_INCOME, 10**9, h("budget"), sender=committee)
    treasury.allocate_budget(year, FEE_INCOME, CLEANING, 10**9, sender=committee)
    treasury.set_emergency_caps(1_000_000, 2_000_000, sender=committee)
    treasury.approve_maintenance_project(owner_b, [100_000, 100_000, 100_000], h("works"), sender=committee)
    return token, fees, treasury


def scenario(name, committee, manager, provider):
    """(role the hook needs, who makes the outer payout, the outer call, the hook's calldata)."""
    expense = call_data("record_expense(uint8,address,uint256,bytes32,uint8)",
                        ["uint8", "address", "uint256", "bytes32", "uint8"],
                        [CLEANING, provider.address, 1_000, h("inv-hook"), FEE_INCOME])
    if name == "expense":
        return ("manager", manager,
                lambda t: t.record_expense(CLEANING, provider, 5_000, h("inv"), FEE_INCOME, sender=manager), expense)
    if name == "commission":
        return ("manager", manager, lambda t: t.pay_commission(1, 100, sender=manager),
                call_data("pay_commission(uint256,uint256)", ["uint256", "uint256"], [1, 100]))
    if name == "milestone":
        return ("assembly", committee, lambda t: t.release_milestone(1, sender=committee),
                call_data("release_milestone(uint256)", ["uint256"], [1]))
    if name == "emergency":
        repair = call_data("pay_emergency_repair(uint8,address,uint256,bytes32)",
                           ["uint8", "address", "uint256", "bytes32"], [1, provider.address, 1_000, h("approval-2")])
        return ("committee", committee,
                lambda t: t.pay_emergency_repair(1, provider, 5_000, h("approval"), sender=committee), repair)
    raise ValueError(name)


@pytest.mark.parametrize("payout", ["expense", "commission", "milestone", "emergency"])
def test_reentry_through_the_settlement_token_is_refused(evil, populated, chain, committee, manager, provider, payout):
    token, fees, treasury = evil
    registry = populated.registry
    role, outer_sender, outer, hook = scenario(payout, committee, manager, provider)
    if payout == "commission":
        treasury.record_expense(CLEANING, provider, 100_000, h("inv-0"), FEE_INCOME, sender=manager)
        assert treasury.commission_owed(1) == 100_000 * COMMISSION_BPS // 10_000
    registry.grantRole(role_id(role), token, sender=committee)
    token.arm(treasury, hook, sender=committee)
    before = token.balanceOf(fees)

    tx = outer(treasury)
    [paid] = tx.decode_logs(fees.Disbursed)

    # The hook ran once, inside the payout, and the lock refused it (empty revert data:
    # no business reason, just the lock); only the outer payout left the contract.
    assert token.hook_calls() == 1
    assert not token.hook_succeeded()
    assert token.hook_revert_data() == b""
    assert token.balanceOf(fees) == before - paid.amount
    assert len(tx.decode_logs(fees.Disbursed)) == 1
    # The same call from outside the lock goes through: the refusal was the lock's.
    tx = outer_sender.call(_transaction(treasury, hook, outer_sender))
    assert len(tx.decode_logs(fees.Disbursed)) == 1


def _transaction(contract, data, sender):
    return contract.provider.network.ecosystem.create_transaction(
        receiver=contract.address, data=data, sender=sender.address, gas_limit=500_000, type=2
    )
