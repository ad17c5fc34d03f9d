"""Public income, budgets and expenses: money leaves only through a recorded expense."""

import ape

from tests.fees.conftest import h

PARKING, ADVERTISING, PROMOTION, SERVICE_FEE, OTHER = 1, 2, 3, 4, 5
FEE_INCOME, PUBLIC_INCOME = 0, 1
CLEANING, SECURITY = 1, 2


def year_of(month):
    return month // 12


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
        fees.receive_public_income("0x" + "0" * 40, 1, PARKING, sender=merchant)
    token.approve(fees, 0, sender=attacker)
    with ape.reverts("erc20: insufficient allowance"):
        fees.receive_public_income(attacker, 1, PARKING, sender=attacker)


def test_budget_approval(in_force, committee, attacker, manager):
    fees = in_force
    tx = fees.approve_budget(2026, CLEANING, 1_000_000, sender=committee)
    [log] = tx.decode_logs(fees.BudgetApproved)
    assert (log.year, log.category, log.amount, log.spent, log.approved_by) == (2026, CLEANING, 1_000_000, 0, committee.address)
    assert fees.budget(2026, CLEANING) == (1_000_000, 0)
    with ape.reverts("fees: committee only"):
        fees.approve_budget(2026, CLEANING, 10**12, sender=attacker)
    with ape.reverts("fees: committee only"):
        fees.approve_budget(2026, CLEANING, 10**12, sender=manager)
    with ape.reverts("fees: category 0"):
        fees.approve_budget(2026, 0, 1, sender=committee)
    with ape.reverts("fees: amount out of range"):
        fees.approve_budget(2026, CLEANING, 2**128, sender=committee)


def test_expense_from_fee_income(in_force, committee, manager, owner_a, provider, token, clock):
    fees = in_force
    now = clock.month()
    fees.pay(1, 12, 10**9, sender=owner_a)
    income = fees.fee_income()
    fees.approve_budget(year_of(now), CLEANING, 100_000, sender=committee)
    tx = fees.record_expense(CLEANING, provider, 60_000, h("invoice-1"), now, FEE_INCOME, sender=manager)
    [log] = tx.decode_logs(fees.ExpenseRecorded)
    assert (log.expense_id, log.category, log.payee, log.amount) == (1, CLEANING, provider.address, 60_000)
    assert (log.invoice_hash, log.period, log.fund, log.budget_spent, log.recorded_by) == (
        h("invoice-1"), now, FEE_INCOME, 60_000, manager.address
    )
    assert token.balanceOf(provider) == 60_000
    assert fees.fee_income() == income - 60_000
    assert fees.budget(year_of(now), CLEANING) == (100_000, 60_000)
    assert fees.expense_count() == 1
    with ape.reverts("fees: over budget"):
        fees.record_expense(CLEANING, provider, 40_001, h("invoice-2"), now, FEE_INCOME, sender=manager)
    fees.record_expense(CLEANING, provider, 40_000, h("invoice-2"), now, FEE_INCOME, sender=manager)
    # A budget cannot be cut below what is spent; raising it opens room again.
    with ape.reverts("fees: budget below spent"):
        fees.approve_budget(year_of(now), CLEANING, 99_999, sender=committee)
    fees.approve_budget(year_of(now), CLEANING, 120_000, sender=committee)
    assert fees.budget(year_of(now), CLEANING) == (120_000, 100_000)
    # Another year's budget is separate.
    with ape.reverts("fees: no budget for the category"):
        fees.record_expense(CLEANING, provider, 1, h("invoice-3"), now + 12, FEE_INCOME, sender=manager)


def test_expense_from_public_income(in_force, committee, manager, merchant, provider, clock):
    fees = in_force
    now = clock.month()
    fees.receive_public_income(merchant, 30_000, ADVERTISING, sender=merchant)
    fees.approve_budget(year_of(now), SECURITY, 100_000, sender=committee)
    with ape.reverts("fees: insufficient balance"):
        fees.record_expense(SECURITY, provider, 30_001, h("inv"), now, PUBLIC_INCOME, sender=manager)
    with ape.reverts("fees: insufficient balance"):
        fees.record_expense(SECURITY, provider, 1, h("inv"), now, FEE_INCOME, sender=manager)
    tx = fees.record_expense(SECURITY, provider, 30_000, h("inv"), now, PUBLIC_INCOME, sender=manager)
    assert tx.decode_logs(fees.ExpenseRecorded)[0].fund == PUBLIC_INCOME
    assert fees.public_income() == 0


def test_expense_refusals(in_force, committee, manager, owner_a, provider, attacker, clock):
    fees = in_force
    now = clock.month()
    fees.pay(1, 12, 10**9, sender=owner_a)
    fees.approve_budget(year_of(now), CLEANING, 10**9, sender=committee)
    args = (CLEANING, provider, 1_000, h("inv"), now, FEE_INCOME)
    with ape.reverts("fees: manager only"):
        fees.record_expense(*args, sender=attacker)
    with ape.reverts("fees: manager only"):
        fees.record_expense(*args, sender=committee)
    with ape.reverts("fees: zero amount"):
        fees.record_expense(CLEANING, provider, 0, h("inv"), now, FEE_INCOME, sender=manager)
    with ape.reverts("fees: payee is the zero address"):
        fees.record_expense(CLEANING, "0x" + "0" * 40, 1, h("inv"), now, FEE_INCOME, sender=manager)
    with ape.reverts("fees: empty invoice hash"):
        fees.record_expense(CLEANING, provider, 1, b"\x00" * 32, now, FEE_INCOME, sender=manager)
    with ape.reverts("fees: unknown fund"):
        fees.record_expense(CLEANING, provider, 1, h("inv"), now, 2, sender=manager)
    with ape.reverts("fees: no budget for the category"):
        fees.record_expense(SECURITY, provider, 1, h("inv"), now, FEE_INCOME, sender=manager)
    # The maintenance fund is not reachable through an expense.
    fund = fees.maintenance_fund()
    assert fund > 0
    income = fees.fee_income()
    with ape.reverts("fees: insufficient balance"):
        fees.record_expense(CLEANING, provider, income + 1, h("inv"), now, FEE_INCOME, sender=manager)
    assert fees.maintenance_fund() == fund
