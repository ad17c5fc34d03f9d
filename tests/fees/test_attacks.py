"""Issue 15, attack 3 and its siblings, on a community whose committee is not the
assembly (as in production): each test performs the attack and asserts it fails,
with the money where it was."""

import ape
import pytest
from eth_utils import keccak
from web3.exceptions import ContractLogicError

from tests.fees.conftest import FEE_INCOME, MAINTENANCE, PUBLIC_INCOME, ZERO, Clock, h, role_id

CLEANING = 1


def balances(s):
    return (s.fees.fee_income(), s.fees.public_income(), s.fees.maintenance_fund(), s.token.balanceOf(s.fees))


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_the_committee_alone_cannot_empty_fee_and_public_income(split, chain, attacker):
    """Attack 3: 'the committee alone empties fee income and public income: it grants
    itself the manager role, approves a budget and records expenses paid to itself:
    four transactions, no vote.' Every step is refused, and so is each detour."""
    s = split
    committee, year = s.committee, s.year
    before = balances(s)
    assert before[0] > 0 and before[1] > 0

    # 1. The manager role is the assembly's to give (and never the committee's to hold).
    with ape.reverts("registry: caller is not the role's admin"):
        s.registry.grantRole(role_id("manager"), committee, sender=committee)
    with ape.reverts("registry: caller is not the role's admin"):
        s.registry.grantRole(role_id("manager"), attacker, sender=committee)
    with ape.reverts("registry: caller is not the role's admin"):
        s.registry.grantRole(role_id("assembly"), committee, sender=committee)
    # 2. Approving the year's budget is the assembly's.
    for fund in (FEE_INCOME, PUBLIC_INCOME):
        with ape.reverts("treasury: assembly only"):
            s.treasury.approve_annual_budget(year, fund, 10**12, h("self-approved"), sender=committee)
        # 3. Allocating is the committee's, but only within what the assembly approved (nothing).
        with ape.reverts("treasury: over the annual budget"):
            s.treasury.allocate_budget(year, fund, CLEANING, 10**12, sender=committee)
        # 4. Recording an expense is the manager's.
        with ape.reverts("treasury: manager only"):
            s.treasury.record_expense(CLEANING, committee, 1_000, h("invoice"), fund, sender=committee)
        # Nor can the committee pay itself as the assembly would, or take the money out directly.
        with ape.reverts("treasury: assembly only"):
            s.treasury.pay_by_decision(fund, committee, 1_000, h("decision"), sender=committee)
        with ape.reverts("fees: treasury module only"):
            s.fees.disburse(fund, committee, 1_000, sender=committee)
    with ape.reverts("treasury: manager only"):
        s.treasury.pay_lump_sum(1_000, sender=committee)
    with ape.reverts("treasury: manager only"):
        s.treasury.pay_commission(1, 1, sender=committee)
    # The old single-contract paths are gone: PropertyFees no longer budgets or spends,
    # and a call to what it no longer has reverts.
    web3 = chain.provider.web3
    for signature in ("approve_budget(uint256,uint8,uint256)",
                      "record_expense(uint8,address,uint256,bytes32,uint256,uint8)",
                      "set_governance(address)",
                      "approve_maintenance_project(address,uint256[],bytes32)",
                      "release_milestone(uint256)"):
        assert signature.split("(")[0] not in {abi.name for abi in s.fees.contract_type.abi if abi.type == "function"}
        with pytest.raises(ContractLogicError):
            web3.eth.call({"to": s.fees.address, "from": committee.address,
                           "data": "0x" + (selector(signature) + bytes(96)).hex()})
    assert balances(s) == before


def test_the_committee_and_the_manager_cannot_spend_beyond_the_assemblys_budget(split, provider):
    s = split
    assembly, committee, manager, year = s.assembly, s.committee, s.manager, s.year
    s.treasury.approve_annual_budget(year, PUBLIC_INCOME, 100_000, h("budget"), sender=assembly)
    s.treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 100_000, sender=committee)
    s.treasury.record_expense(CLEANING, provider, 100_000, h("invoice-1"), PUBLIC_INCOME, sender=manager)
    before = balances(s)
    # The committee cannot lift the category above the assembly's amount, nor open another one.
    with ape.reverts("treasury: over the annual budget"):
        s.treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 100_001, sender=committee)
    with ape.reverts("treasury: over the annual budget"):
        s.treasury.allocate_budget(year, PUBLIC_INCOME, 2, 1, sender=committee)
    # Nor move spent money out of the category to make room.
    with ape.reverts("treasury: budget below spent"):
        s.treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 0, sender=committee)
    # The manager cannot spend a fen more, from this fund or another.
    with ape.reverts("treasury: over budget"):
        s.treasury.record_expense(CLEANING, provider, 1, h("invoice-2"), PUBLIC_INCOME, sender=manager)
    with ape.reverts("treasury: no budget for the category this year"):
        s.treasury.record_expense(CLEANING, provider, 1, h("invoice-3"), FEE_INCOME, sender=manager)
    # Nor pay the committee, within a budget or not.
    s.treasury.approve_annual_budget(year, PUBLIC_INCOME, 200_000, h("budget-2"), sender=assembly)
    s.treasury.allocate_budget(year, PUBLIC_INCOME, 2, 100_000, sender=committee)
    with ape.reverts("treasury: payee is the committee"):
        s.treasury.record_expense(2, committee, 1, h("invoice-4"), PUBLIC_INCOME, sender=manager)
    assert balances(s) == before


def test_a_budget_is_never_revised_below_what_is_spent(split, provider):
    s = split
    assembly, committee, manager, year = s.assembly, s.committee, s.manager, s.year
    s.treasury.approve_annual_budget(year, FEE_INCOME, 300_000, h("budget"), sender=assembly)
    s.treasury.allocate_budget(year, FEE_INCOME, CLEANING, 200_000, sender=committee)
    s.treasury.record_expense(CLEANING, provider, 150_000, h("invoice"), FEE_INCOME, sender=manager)
    with ape.reverts("treasury: budget below spent"):
        s.treasury.allocate_budget(year, FEE_INCOME, CLEANING, 149_999, sender=committee)
    with ape.reverts("treasury: budget below allocated"):
        s.treasury.approve_annual_budget(year, FEE_INCOME, 199_999, h("cut"), sender=assembly)
    # Down to what is spent is allowed: the category is then closed.
    s.treasury.allocate_budget(year, FEE_INCOME, CLEANING, 150_000, sender=committee)
    s.treasury.approve_annual_budget(year, FEE_INCOME, 150_000, h("cut"), sender=assembly)
    with ape.reverts("treasury: over budget"):
        s.treasury.record_expense(CLEANING, provider, 1, h("invoice-2"), FEE_INCOME, sender=manager)


def test_no_budget_for_a_past_year_and_no_expense_against_another_year(split, chain, provider):
    s = split
    assembly, committee, manager, year = s.assembly, s.committee, s.manager, s.year
    with ape.reverts("treasury: year is past"):
        s.treasury.approve_annual_budget(year - 1, PUBLIC_INCOME, 10**9, h("past"), sender=assembly)
    with ape.reverts("treasury: year is past"):
        s.treasury.allocate_budget(year - 1, PUBLIC_INCOME, CLEANING, 1, sender=committee)
    # Next year's budget cannot be spent this year ...
    s.treasury.approve_annual_budget(year + 1, PUBLIC_INCOME, 100_000, h("next"), sender=assembly)
    s.treasury.allocate_budget(year + 1, PUBLIC_INCOME, CLEANING, 100_000, sender=committee)
    with ape.reverts("treasury: no budget for the category this year"):
        s.treasury.record_expense(CLEANING, provider, 1, h("invoice"), PUBLIC_INCOME, sender=manager)
    # ... and this year's cannot be spent next year, nor topped up once the year is over.
    s.treasury.approve_annual_budget(year, PUBLIC_INCOME, 100_000, h("this"), sender=assembly)
    s.treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 100_000, sender=committee)
    Clock(chain, s.fees).goto((year + 1) * 12 + 1)
    s.treasury.record_expense(CLEANING, provider, 100_000, h("invoice-next"), PUBLIC_INCOME, sender=manager)
    with ape.reverts("treasury: over budget"):
        s.treasury.record_expense(CLEANING, provider, 1, h("invoice-more"), PUBLIC_INCOME, sender=manager)
    with ape.reverts("treasury: year is past"):
        s.treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 100_000, sender=committee)
    assert s.treasury.budget(year, PUBLIC_INCOME, CLEANING) == (100_000, 0)


def test_the_treasury_module_is_named_once(split, attacker):
    s = split
    assert s.fees.treasury() == s.treasury.address
    with ape.reverts("fees: treasury already set"):
        s.fees.set_treasury(attacker, sender=s.assembly)
    for who in (s.committee, s.manager, attacker):
        with ape.reverts("fees: assembly only"):
            s.fees.set_treasury(who, sender=who)
    assert s.fees.treasury() == s.treasury.address


def test_disburse_answers_the_treasury_module_only(split, attacker, owner_a):
    s = split
    before = balances(s)
    for fund in (FEE_INCOME, PUBLIC_INCOME, MAINTENANCE):
        for who in (s.assembly, s.committee, s.manager, owner_a, attacker):
            with ape.reverts("fees: treasury module only"):
                s.fees.disburse(fund, who, 1, sender=who)
    assert balances(s) == before


def test_the_committee_cannot_move_the_maintenance_fund(split, provider):
    s = split
    committee = s.committee
    fund = s.fees.maintenance_fund()
    with ape.reverts("treasury: assembly only"):
        s.treasury.approve_maintenance_project(committee, [fund], h("project"), sender=committee)
    with ape.reverts("treasury: assembly only"):
        s.treasury.set_emergency_caps(fund, fund, sender=committee)
    # An emergency repair needs the assembly's caps (0 until set) ...
    with ape.reverts("treasury: over the per-use emergency cap"):
        s.treasury.pay_emergency_repair(1, provider, 1, h("approval"), sender=committee)
    # ... and never pays the committee itself.
    s.treasury.set_emergency_caps(fund, fund, sender=s.assembly)
    with ape.reverts("treasury: payee is the committee"):
        s.treasury.pay_emergency_repair(1, committee, 1, h("approval"), sender=committee)
    # Raising the fund's share of fees (to empty fee income into it) is the assembly's too.
    with ape.reverts("fees: assembly only"):
        s.fees.set_maintenance_share(10_000, sender=committee)
    assert s.fees.maintenance_fund() == fund


def test_the_committee_cannot_hire_a_company_of_its_own(split, attacker):
    """Switching fee income to 包干制 with an accomplice as the company would make fee
    income the accomplice's revenue: the company must hold the manager role (the
    assembly's to give) and only the assembly approves a service contract."""
    s = split
    now = s.fees.current_month()
    with ape.reverts("fees: company is not the manager"):
        s.fees.propose_service_contract(h("rogue"), attacker, now + 1, now + 12, 1, [], 1, 0, sender=s.committee)
    s.fees.propose_service_contract(h("rogue"), s.manager, now + 1, now + 12, 1, [], 1, 0, sender=s.committee)
    contract_id = s.fees.service_contract_count()
    with ape.reverts("fees: assembly only"):
        s.fees.approve_service_contract(contract_id, sender=s.committee)
    with ape.reverts("fees: assembly only"):
        s.fees.approve_service_contract(contract_id, sender=s.manager)


def test_the_manager_cannot_take_fee_income_beyond_the_contract(split, provider):
    """Under 酬金制 fee income is the owners': the manager takes only the commission its
    expenses accrued, and only for the company of the contract they accrued under."""
    s = split
    manager = s.manager
    with ape.reverts("treasury: no lump-sum contract in force"):
        s.treasury.pay_lump_sum(1, sender=manager)
    with ape.reverts("treasury: more than the commission owed"):
        s.treasury.pay_commission(1, 1, sender=manager)
    s.treasury.approve_annual_budget(s.year, FEE_INCOME, 100_000, h("budget"), sender=s.assembly)
    s.treasury.allocate_budget(s.year, FEE_INCOME, CLEANING, 100_000, sender=s.committee)
    s.treasury.record_expense(CLEANING, provider, 100_000, h("invoice"), FEE_INCOME, sender=manager)
    owed = s.treasury.commission_owed(1)
    assert owed == 8_000
    with ape.reverts("treasury: more than the commission owed"):
        s.treasury.pay_commission(1, owed + 1, sender=manager)
    tx = s.treasury.pay_commission(1, owed, sender=manager)
    assert tx.decode_logs(s.treasury.CommissionPaid)[0].company == manager.address


@pytest.mark.parametrize("fund", [FEE_INCOME, PUBLIC_INCOME])
def test_a_revoked_manager_spends_nothing(split, provider, fund):
    s = split
    s.treasury.approve_annual_budget(s.year, fund, 100_000, h("budget"), sender=s.assembly)
    s.treasury.allocate_budget(s.year, fund, CLEANING, 100_000, sender=s.committee)
    with ape.reverts("registry: caller is not the role's admin"):
        s.registry.revokeRole(role_id("manager"), s.manager, sender=s.committee)  # not the committee's to do
    s.registry.revokeRole(role_id("manager"), s.manager, sender=s.assembly)
    with ape.reverts("treasury: manager only"):
        s.treasury.record_expense(CLEANING, provider, 1, h("invoice"), fund, sender=s.manager)


def test_no_payee_can_be_the_zero_address_or_the_contracts(split):
    s = split
    s.treasury.approve_annual_budget(s.year, PUBLIC_INCOME, 100, h("budget"), sender=s.assembly)
    s.treasury.allocate_budget(s.year, PUBLIC_INCOME, CLEANING, 100, sender=s.committee)
    for payee, reason in ((ZERO, "treasury: payee is the zero address"), (s.fees.address, "fees: payee not allowed"),
                          (s.treasury.address, "fees: payee not allowed")):
        with ape.reverts(reason):
            s.treasury.record_expense(CLEANING, payee, 1, h("invoice"), PUBLIC_INCOME, sender=s.manager)
    with ape.reverts("fees: payee not allowed"):
        s.treasury.pay_by_decision(PUBLIC_INCOME, s.fees.address, 1, h("decision"), sender=s.assembly)
