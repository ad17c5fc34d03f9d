"""Public income, annual budgets, category budgets and expenses; fee income under
包干制 and 酬金制; payouts the assembly decides directly.

In these fixtures the `committee` account holds the assembly's role as well (the
deployer's, before a hand-over); test_attacks.py and test_roles.py use a community
where the two differ."""

import ape

from tests.fees.conftest import COMMISSION_BPS, FEE_INCOME, PUBLIC_INCOME, ZERO, h

PARKING, ADVERTISING, PROMOTION, SERVICE_FEE, OTHER = 1, 2, 3, 4, 5
CLEANING, SECURITY = 1, 2


def test_public_income(in_force, merchant, owner_b, token):
    fees = in_force
    tx = fees.receive_public_income(merchant, 50_000, PROMOTION, sender=merchant)
    [log] = tx.decode_logs(fees.PublicIncomeReceived)
    assert (log.payer, log.source, log.amount, log.paid_by) == (merchant.address, PROMOTION, 50_000, merchant.address)
    # A module (or anyone) pays on someone's behalf: tokens come from the caller.
    before = token.balanceOf(owner_b)
    tx = fees.receive_public_income(merchant, 12_000, PARKING, sender=owner_b)
    [log] = tx.decode_logs(fees.PublicIncomeReceived)
    assert (log.payer, log.paid_by) == (merchant.address, owner_b.address)
    assert token.balanceOf(owner_b) == before - 12_000
    assert fees.public_income() == 62_000
    assert fees.fee_income() == 0 and fees.maintenance_fund() == 0
    assert token.balanceOf(fees) == 62_000


def test_public_income_refusals(in_force, merchant, token, attacker):
    fees = in_force
    with ape.reverts("fees: zero amount"):
        fees.receive_public_income(merchant, 0, PARKING, sender=merchant)
    with ape.reverts("fees: unknown income source"):
        fees.receive_public_income(merchant, 1, 0, sender=merchant)
    with ape.reverts("fees: unknown income source"):
        fees.receive_public_income(merchant, 1, 6, sender=merchant)
    with ape.reverts("fees: payer is the zero address"):
        fees.receive_public_income(ZERO, 1, PARKING, sender=merchant)
    token.approve(fees, 0, sender=attacker)
    with ape.reverts("erc20: insufficient allowance"):
        fees.receive_public_income(attacker, 1, PARKING, sender=attacker)


def test_annual_budget_and_its_allocation(in_force, treasury, committee, clock):
    year = clock.year()
    tx = treasury.approve_annual_budget(year, PUBLIC_INCOME, 1_000_000, h("2026 预算"), sender=committee)
    [log] = tx.decode_logs(treasury.AnnualBudgetApproved)
    assert (log.year, log.fund, log.amount, log.allocated, log.doc_hash, log.approved_by) == (
        year, PUBLIC_INCOME, 1_000_000, 0, h("2026 预算"), committee.address
    )
    assert treasury.annual_budget(year, PUBLIC_INCOME) == (1_000_000, 0)
    tx = treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 600_000, sender=committee)
    [log] = tx.decode_logs(treasury.BudgetAllocated)
    assert (log.year, log.fund, log.category, log.amount, log.spent, log.allocated, log.allocated_by) == (
        year, PUBLIC_INCOME, CLEANING, 600_000, 0, 600_000, committee.address
    )
    treasury.allocate_budget(year, PUBLIC_INCOME, SECURITY, 400_000, sender=committee)
    assert treasury.annual_budget(year, PUBLIC_INCOME) == (1_000_000, 1_000_000)
    # The categories never add up to more than the assembly approved ...
    with ape.reverts("treasury: over the annual budget"):
        treasury.allocate_budget(year, PUBLIC_INCOME, 3, 1, sender=committee)
    with ape.reverts("treasury: over the annual budget"):
        treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 600_001, sender=committee)
    # ... but one may shrink to make room for another.
    treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 500_000, sender=committee)
    treasury.allocate_budget(year, PUBLIC_INCOME, 3, 100_000, sender=committee)
    assert treasury.budget(year, PUBLIC_INCOME, CLEANING) == (500_000, 0)
    assert treasury.annual_budget(year, PUBLIC_INCOME) == (1_000_000, 1_000_000)
    # The assembly's budget is never cut below what the committee allocated.
    with ape.reverts("treasury: budget below allocated"):
        treasury.approve_annual_budget(year, PUBLIC_INCOME, 999_999, h("revised"), sender=committee)
    treasury.approve_annual_budget(year, PUBLIC_INCOME, 1_200_000, h("revised"), sender=committee)
    # Next year's budget is its own; a past year's cannot be approved or allocated.
    treasury.approve_annual_budget(year + 1, PUBLIC_INCOME, 5, h("next"), sender=committee)
    assert treasury.annual_budget(year + 1, PUBLIC_INCOME) == (5, 0)
    with ape.reverts("treasury: year is past"):
        treasury.approve_annual_budget(year - 1, PUBLIC_INCOME, 5, h("past"), sender=committee)
    with ape.reverts("treasury: year is past"):
        treasury.allocate_budget(year - 1, PUBLIC_INCOME, CLEANING, 0, sender=committee)


def test_budget_refusals(in_force, treasury, committee, clock):
    year = clock.year()
    with ape.reverts("treasury: unknown fund"):
        treasury.approve_annual_budget(year, 2, 1, h("fund"), sender=committee)
    with ape.reverts("treasury: unknown fund"):
        treasury.allocate_budget(year, 2, CLEANING, 1, sender=committee)
    with ape.reverts("treasury: amount out of range"):
        treasury.approve_annual_budget(year, PUBLIC_INCOME, 2**128, h("x"), sender=committee)
    with ape.reverts("treasury: year out of range"):
        treasury.approve_annual_budget(10_000, PUBLIC_INCOME, 1, h("x"), sender=committee)
    with ape.reverts("treasury: category 0"):
        treasury.allocate_budget(year, PUBLIC_INCOME, 0, 1, sender=committee)
    with ape.reverts("treasury: over the annual budget"):
        treasury.allocate_budget(year, PUBLIC_INCOME, CLEANING, 1, sender=committee)


def _budget(treasury, committee, year, fund, category, amount):
    treasury.approve_annual_budget(year, fund, amount, h(f"budget-{year}-{fund}"), sender=committee)
    treasury.allocate_budget(year, fund, category, amount, sender=committee)


def test_expense_from_fee_income_under_commission(in_force, treasury, committee, manager, owner_a, provider, token, clock):
    fees = in_force
    now, year = clock.month(), clock.year()
    fees.pay(1, 12, 10**9, sender=owner_a)
    income = fees.fee_income()
    _budget(treasury, committee, year, FEE_INCOME, CLEANING, 100_000)
    tx = treasury.record_expense(CLEANING, provider, 60_000, h("invoice-1"), FEE_INCOME, sender=manager)
    [log] = tx.decode_logs(treasury.ExpenseRecorded)
    assert (log.expense_id, log.category, log.payee, log.amount) == (1, CLEANING, provider.address, 60_000)
    assert (log.invoice_hash, log.period, log.fund, log.budget_spent, log.recorded_by) == (
        h("invoice-1"), now, FEE_INCOME, 60_000, manager.address
    )
    # 酬金制: each expense accrues the company's commission under the contract in force.
    assert (log.commission, log.contract_id) == (60_000 * COMMISSION_BPS // 10_000, 1)
    [paid] = tx.decode_logs(fees.Disbursed)
    assert (paid.fund, paid.payee, paid.amount, paid.balance_after) == (FEE_INCOME, provider.address, 60_000, income - 60_000)
    assert token.balanceOf(provider) == 60_000
    assert fees.fee_income() == income - 60_000
    assert treasury.budget(year, FEE_INCOME, CLEANING) == (100_000, 60_000)
    assert treasury.expense_count() == 1
    assert treasury.commission_owed(1) == 4_800
    with ape.reverts("treasury: over budget"):
        treasury.record_expense(CLEANING, provider, 40_001, h("invoice-2"), FEE_INCOME, sender=manager)
    treasury.record_expense(CLEANING, provider, 40_000, h("invoice-2"), FEE_INCOME, sender=manager)
    assert treasury.commission_owed(1) == 8_000
    # A category budget is never cut below what it spent; raising it needs room in the annual budget.
    with ape.reverts("treasury: budget below spent"):
        treasury.allocate_budget(year, FEE_INCOME, CLEANING, 99_999, sender=committee)
    with ape.reverts("treasury: over the annual budget"):
        treasury.allocate_budget(year, FEE_INCOME, CLEANING, 120_000, sender=committee)
    treasury.approve_annual_budget(year, FEE_INCOME, 120_000, h("revised"), sender=committee)
    treasury.allocate_budget(year, FEE_INCOME, CLEANING, 120_000, sender=committee)
    assert treasury.budget(year, FEE_INCOME, CLEANING) == (120_000, 100_000)


def test_commission_is_paid_to_the_company_of_its_contract(in_force, treasury, committee, manager, owner_a, provider, token, clock):
    fees = in_force
    fees.pay(1, 12, 10**9, sender=owner_a)
    _budget(treasury, committee, clock.year(), FEE_INCOME, CLEANING, 100_000)
    treasury.record_expense(CLEANING, provider, 100_000, h("invoice"), FEE_INCOME, sender=manager)
    owed = treasury.commission_owed(1)
    assert owed == 8_000
    before, income = token.balanceOf(manager), fees.fee_income()
    with ape.reverts("treasury: more than the commission owed"):
        treasury.pay_commission(1, owed + 1, sender=manager)
    with ape.reverts("treasury: more than the commission owed"):
        treasury.pay_commission(2, 1, sender=manager)
    with ape.reverts("treasury: zero amount"):
        treasury.pay_commission(1, 0, sender=manager)
    tx = treasury.pay_commission(1, 3_000, sender=manager)
    [log] = tx.decode_logs(treasury.CommissionPaid)
    assert (log.contract_id, log.company, log.amount, log.owed_after, log.paid_by) == (
        1, manager.address, 3_000, 5_000, manager.address
    )
    treasury.pay_commission(1, 5_000, sender=manager)
    assert treasury.commission_owed(1) == 0
    assert token.balanceOf(manager) == before + 8_000
    assert fees.fee_income() == income - 8_000


def test_public_income_expense_needs_no_commission_mode(lump_sum, treasury, committee, manager, merchant, provider, clock):
    fees = lump_sum
    fees.receive_public_income(merchant, 30_000, ADVERTISING, sender=merchant)
    _budget(treasury, committee, clock.year(), PUBLIC_INCOME, SECURITY, 100_000)
    with ape.reverts("fees: insufficient balance"):
        treasury.record_expense(SECURITY, provider, 30_001, h("inv"), PUBLIC_INCOME, sender=manager)
    tx = treasury.record_expense(SECURITY, provider, 30_000, h("inv"), PUBLIC_INCOME, sender=manager)
    [log] = tx.decode_logs(treasury.ExpenseRecorded)
    assert (log.fund, log.commission, log.contract_id) == (PUBLIC_INCOME, 0, 0)
    assert fees.public_income() == 0


def test_lump_sum_fee_income_is_the_companys(lump_sum, treasury, committee, manager, owner_a, provider, token, clock):
    """包干制: fee income is the property company's revenue. The manager pays it to the
    company of the contract in force; it is never budgeted nor spent as owners' money."""
    fees = lump_sum
    fees.pay(1, 3, 10**9, sender=owner_a)
    income = fees.fee_income()
    assert fees.terms_in_force()[2] == 1
    treasury.approve_annual_budget(clock.year(), FEE_INCOME, 10**9, h("budget"), sender=committee)
    with ape.reverts("treasury: fee income is spent only under the commission mode"):
        treasury.allocate_budget(clock.year(), FEE_INCOME, CLEANING, 1, sender=committee)
    with ape.reverts("treasury: fee income is spent only under the commission mode"):
        treasury.record_expense(CLEANING, provider, 1, h("inv"), FEE_INCOME, sender=manager)
    before = token.balanceOf(manager)
    tx = treasury.pay_lump_sum(income, sender=manager)
    [log] = tx.decode_logs(treasury.LumpSumPaid)
    assert (log.contract_id, log.company, log.amount, log.paid_by) == (1, manager.address, income, manager.address)
    assert token.balanceOf(manager) == before + income
    assert fees.fee_income() == 0
    with ape.reverts("fees: insufficient balance"):
        treasury.pay_lump_sum(1, sender=manager)
    with ape.reverts("treasury: zero amount"):
        treasury.pay_lump_sum(0, sender=manager)


def test_no_lump_sum_under_commission(in_force, treasury, manager, owner_a):
    fees = in_force
    fees.pay(1, 1, 10**9, sender=owner_a)
    with ape.reverts("treasury: no lump-sum contract in force"):
        treasury.pay_lump_sum(1, sender=manager)


def test_expense_budget_is_this_years_only(in_force, treasury, committee, manager, owner_a, provider, clock):
    """An expense counts against the current Beijing year's budget, never another's:
    next year's budget opens only when next year comes, and last year's closes."""
    fees = in_force
    fees.pay(1, 12, 10**9, sender=owner_a)
    year = clock.year()
    _budget(treasury, committee, year + 1, FEE_INCOME, CLEANING, 50_000)
    with ape.reverts("treasury: no budget for the category this year"):
        treasury.record_expense(CLEANING, provider, 1, h("inv"), FEE_INCOME, sender=manager)
    _budget(treasury, committee, year, FEE_INCOME, SECURITY, 50_000)
    treasury.record_expense(SECURITY, provider, 10_000, h("inv-1"), FEE_INCOME, sender=manager)
    clock.goto((year + 1) * 12)  # 1 January, Beijing time
    with ape.reverts("treasury: no budget for the category this year"):
        treasury.record_expense(SECURITY, provider, 1, h("inv-2"), FEE_INCOME, sender=manager)
    tx = treasury.record_expense(CLEANING, provider, 1, h("inv-3"), FEE_INCOME, sender=manager)
    assert tx.decode_logs(treasury.ExpenseRecorded)[0].period == (year + 1) * 12
    assert treasury.budget(year + 1, FEE_INCOME, CLEANING) == (50_000, 1)
    assert treasury.budget(year, FEE_INCOME, SECURITY) == (50_000, 10_000)


def test_expense_refusals(in_force, treasury, committee, manager, owner_a, provider, clock):
    fees = in_force
    fees.pay(1, 12, 10**9, sender=owner_a)
    _budget(treasury, committee, clock.year(), FEE_INCOME, CLEANING, 10**9)
    with ape.reverts("treasury: zero amount"):
        treasury.record_expense(CLEANING, provider, 0, h("inv"), FEE_INCOME, sender=manager)
    with ape.reverts("treasury: payee is the zero address"):
        treasury.record_expense(CLEANING, ZERO, 1, h("inv"), FEE_INCOME, sender=manager)
    with ape.reverts("treasury: empty invoice hash"):
        treasury.record_expense(CLEANING, provider, 1, b"\x00" * 32, FEE_INCOME, sender=manager)
    with ape.reverts("treasury: unknown fund"):
        treasury.record_expense(CLEANING, provider, 1, h("inv"), 3, sender=manager)
    with ape.reverts("treasury: no budget for the category this year"):
        treasury.record_expense(SECURITY, provider, 1, h("inv"), FEE_INCOME, sender=manager)
    # Money never goes back into the contracts that hold or move it.
    with ape.reverts("fees: payee not allowed"):
        treasury.record_expense(CLEANING, fees, 1, h("inv"), FEE_INCOME, sender=manager)
    with ape.reverts("fees: payee not allowed"):
        treasury.record_expense(CLEANING, treasury, 1, h("inv"), FEE_INCOME, sender=manager)
    # The committee is never paid owners' money by an expense.
    with ape.reverts("treasury: payee is the committee"):
        treasury.record_expense(CLEANING, committee, 1, h("inv"), FEE_INCOME, sender=manager)
    assert treasury.expense_count() == 0


def test_the_assembly_pays_directly(in_force, treasury, committee, merchant, owner_a, provider, token):
    fees = in_force
    fees.receive_public_income(merchant, 80_000, PARKING, sender=merchant)
    fees.pay(1, 1, 10**9, sender=owner_a)
    tx = treasury.pay_by_decision(PUBLIC_INCOME, provider, 80_000, h("公共收益用于绿化"), sender=committee)
    [log] = tx.decode_logs(treasury.DecisionPayout)
    assert (log.payout_id, log.fund, log.payee, log.amount, log.doc_hash, log.paid_by) == (
        1, PUBLIC_INCOME, provider.address, 80_000, h("公共收益用于绿化"), committee.address
    )
    assert fees.public_income() == 0 and token.balanceOf(provider) == 80_000
    treasury.pay_by_decision(FEE_INCOME, provider, 1, h("decision-2"), sender=committee)
    assert treasury.decision_payout_count() == 2
    with ape.reverts("treasury: empty document hash"):
        treasury.pay_by_decision(FEE_INCOME, provider, 1, b"\x00" * 32, sender=committee)
    with ape.reverts("treasury: zero amount"):
        treasury.pay_by_decision(FEE_INCOME, provider, 0, h("d"), sender=committee)
    with ape.reverts("fees: insufficient balance"):
        treasury.pay_by_decision(PUBLIC_INCOME, provider, 1, h("d"), sender=committee)
