"""Stateful invariants of the owners' money across PropertyFees (the balances) and
CommunityTreasury (every payout), after every step:

- each fund equals its receipts minus its payouts: fee income = fee payments less their
  maintenance share, less every `Disbursed` from it; public income likewise; the
  maintenance fund = the shares and deposits, less its payouts;
- the settlement tokens PropertyFees holds equal the three funds, which equal
  everything paid in minus every payout; payments a cashier records (received off
  chain) move no token and no balance, yet pay the unit's months like a token payment;
  an upheld dispute of a record gives its months back;
- the reserve of the maintenance fund never exceeds the fund; the commission owed is
  the model's; each category's spending stays within its budget, each year's
  categories within the assembly's annual budget, and this year's emergency repairs
  within the yearly cap.

The `committee` account is the deployer, so it acts as the assembly in this fixture."""

from __future__ import annotations

from collections import defaultdict

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.fees.conftest import COMMISSION_BPS, h, role_id
from tests.utils.stateful import depth, run_machine

pytestmark = pytest.mark.in_process

BPS = 10_000
CATEGORY = 1
MAX_MONTHS_A_STEP = 2
FEE_INCOME, PUBLIC_INCOME, MAINTENANCE = 0, 1, 2
ANNUAL = 10**15
PER_USE, PER_YEAR = 10**6, 3 * 10**6


def test_treasury_invariant(in_force, treasury, token, chain, clock, committee, manager, owner_a, owner_b, merchant,
                            provider, registry, tenant, owner_c, developer):
    fees = in_force
    contract_id = fees.contract_in_force()
    cashier = tenant
    registry.grantRole(role_id("cashier"), cashier, sender=committee)
    owners = {who.address: who for who in (owner_a, owner_b, owner_c, developer)}

    class Treasury(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            self.paid_in = 0
            self.paid_out = 0
            self.received = [0, 0, 0]  # per fund: what came in
            self.disbursed = [0, 0, 0]  # per fund: what left
            self.reserved = 0
            self.projects: dict[int, list[int]] = {}
            self.commission = 0
            self.spent: dict[tuple[int, int], int] = defaultdict(int)  # (year, fund) -> spent in CATEGORY
            self.emergency: dict[int, int] = defaultdict(int)  # year -> paid
            self.records: list[tuple[bytes, int, int]] = []  # standing records: (reference, unit, months)
            self.recorded = 0  # what cashiers recorded, received off chain

        @initialize()
        def budgets(self):
            year = clock.month() // 12
            # A budget for every year a run can reach (next_month moves up to 2 months a
            # step): with four years, runs of 50 steps met "no budget for the category".
            for offset in range(MAX_MONTHS_A_STEP * depth()[1] // 12 + 2):
                for fund in (FEE_INCOME, PUBLIC_INCOME):
                    treasury.approve_annual_budget(year + offset, fund, ANNUAL, h("budget"), sender=committee)
                    treasury.allocate_budget(year + offset, fund, CATEGORY, ANNUAL, sender=committee)
            treasury.set_emergency_caps(PER_USE, PER_YEAR, sender=committee)

        def teardown(self):
            chain.restore(self.snapshot)

        def balance(self, fund: int) -> int:
            return self.received[fund] - self.disbursed[fund]

        def paid(self, fund: int, amount: int) -> None:
            self.disbursed[fund] += amount
            self.paid_out += amount

        @rule(unit_id=st.integers(1, 6), months=st.integers(1, 4))
        def pay(self, unit_id, months):
            try:
                quote = fees.quote(unit_id, months)
            except ape.exceptions.ContractLogicError as refusal:
                assert "fees: over the prepayment limit" in str(refusal)
                return
            tx = fees.pay(unit_id, months, quote[4], sender=owner_a)
            [log] = tx.decode_logs(fees.FeePaid)
            assert log.amount == quote[4]
            share = log.amount * fees.maintenance_share() // BPS
            assert log.to_maintenance == share
            self.paid_in += log.amount
            self.received[FEE_INCOME] += log.amount - share
            self.received[MAINTENANCE] += share

        @rule(unit_id=st.integers(1, 6), months=st.integers(1, 4), channel=st.integers(1, 4))
        def record(self, unit_id, months, channel):
            try:
                quote = fees.quote(unit_id, months)
            except ape.exceptions.ContractLogicError as refusal:
                assert "fees: over the prepayment limit" in str(refusal)
                return
            reference = h(f"record-{len(self.records)}-{self.recorded}-{unit_id}")
            tx = fees.record_payment(unit_id, quote[0], months, quote[4], channel, reference, sender=cashier)
            [log] = tx.decode_logs(fees.FeePaid)
            # The same receipt as a token payment of these months, without a token or a share moving.
            assert (log.from_month, log.to_month, log.amount, log.to_maintenance) == (quote[0], quote[1], quote[4], 0)
            assert fees.first_unpaid_month(unit_id) == quote[1] + 1
            self.recorded += quote[4]
            self.records.append((reference, unit_id, months))

        @precondition(lambda self: self.records)
        @rule(data=st.data(), upheld=st.booleans())
        def dispute(self, data, upheld):
            reference, unit_id, months = self.records.pop(data.draw(st.integers(0, len(self.records) - 1)))
            if fees.payment_record(reference)[3] + fees.DISPUTE_PERIOD() < chain.pending_timestamp:
                with ape.reverts("fees: dispute period over"):
                    fees.dispute_record(reference, h("why"), sender=owners[registry.unit_owner(unit_id)])
                return
            before = fees.first_unpaid_month(unit_id)
            fees.dispute_record(reference, h("why"), sender=owners[registry.unit_owner(unit_id)])
            fees.answer_dispute(reference, upheld, h("answer"), sender=manager)
            assert fees.first_unpaid_month(unit_id) == before - (months if upheld else 0)

        @rule(amount=st.integers(1, 10**6), source=st.integers(1, 5))
        def public_income_in(self, amount, source):
            fees.receive_public_income(merchant, amount, source, sender=merchant)
            self.paid_in += amount
            self.received[PUBLIC_INCOME] += amount

        @rule(amount=st.integers(1, 10**6))
        def deposit(self, amount):
            fees.deposit_maintenance(amount, h("levy"), sender=owner_b)
            self.paid_in += amount
            self.received[MAINTENANCE] += amount

        @rule(amount=st.integers(1, 2 * 10**5), fund=st.sampled_from([FEE_INCOME, PUBLIC_INCOME]))
        def expense(self, amount, fund):
            args = (CATEGORY, provider, amount, h("invoice"), fund)
            if amount > self.balance(fund):
                with ape.reverts("fees: insufficient balance"):
                    treasury.record_expense(*args, sender=manager)
                return
            treasury.record_expense(*args, sender=manager)
            self.paid(fund, amount)
            self.spent[(clock.month() // 12, fund)] += amount
            if fund == FEE_INCOME:
                self.commission += amount * COMMISSION_BPS // BPS

        @rule(amount=st.integers(1, 5 * 10**4))
        def pay_commission(self, amount):
            if amount > self.commission:
                with ape.reverts("treasury: more than the commission owed"):
                    treasury.pay_commission(contract_id, amount, sender=manager)
                return
            if amount > self.balance(FEE_INCOME):
                with ape.reverts("fees: insufficient balance"):
                    treasury.pay_commission(contract_id, amount, sender=manager)
                return
            treasury.pay_commission(contract_id, amount, sender=manager)
            self.commission -= amount
            self.paid(FEE_INCOME, amount)

        @rule(amount=st.integers(1, 10**5), fund=st.sampled_from([FEE_INCOME, PUBLIC_INCOME]))
        def pay_by_decision(self, amount, fund):
            if amount > self.balance(fund):
                with ape.reverts("fees: insufficient balance"):
                    treasury.pay_by_decision(fund, provider, amount, h("decision"), sender=committee)
                return
            treasury.pay_by_decision(fund, provider, amount, h("decision"), sender=committee)
            self.paid(fund, amount)

        @rule(milestones=st.lists(st.integers(1, 3 * 10**5), min_size=1, max_size=3))
        def approve_project(self, milestones):
            if sum(milestones) > self.balance(MAINTENANCE) - self.reserved:
                with ape.reverts("treasury: maintenance fund too small"):
                    treasury.approve_maintenance_project(provider, milestones, h("works"), sender=committee)
                return
            tx = treasury.approve_maintenance_project(provider, milestones, h("works"), sender=committee)
            project_id = tx.decode_logs(treasury.MaintenanceProjectApproved)[0].project_id
            self.projects[project_id] = list(milestones)
            self.reserved += sum(milestones)

        @precondition(lambda self: any(self.projects.values()))
        @rule(data=st.data())
        def release(self, data):
            project_id = data.draw(st.sampled_from(sorted(p for p, left in self.projects.items() if left)))
            amount = self.projects[project_id].pop(0)
            treasury.release_milestone(project_id, sender=committee)
            self.paid(MAINTENANCE, amount)
            self.reserved -= amount

        @precondition(lambda self: any(self.projects.values()))
        @rule(data=st.data())
        def close(self, data):
            project_id = data.draw(st.sampled_from(sorted(p for p, left in self.projects.items() if left)))
            treasury.close_maintenance_project(project_id, sender=committee)
            self.reserved -= sum(self.projects.pop(project_id))

        @rule(kind=st.integers(1, 6), amount=st.integers(1, 2 * 10**6))
        def emergency(self, kind, amount):
            year = clock.month() // 12
            args = (kind, provider, amount, h("approval"))
            if amount > PER_USE:
                reason = "treasury: over the per-use emergency cap"
            elif self.emergency[year] + amount > PER_YEAR:
                reason = "treasury: over the yearly emergency cap"
            elif amount + self.reserved > self.balance(MAINTENANCE):
                reason = "treasury: maintenance fund too small"
            else:
                treasury.pay_emergency_repair(*args, sender=committee)
                self.emergency[year] += amount
                self.paid(MAINTENANCE, amount)
                return
            with ape.reverts(reason):
                treasury.pay_emergency_repair(*args, sender=committee)

        @rule(bps=st.integers(0, BPS))
        def change_share(self, bps):
            fees.set_maintenance_share(bps, sender=committee)

        @rule(months=st.integers(1, MAX_MONTHS_A_STEP))
        def next_month(self, months):
            clock.advance(months)

        @invariant()
        def each_fund_is_its_receipts_minus_its_payouts(self):
            on_chain = (fees.fee_income(), fees.public_income(), fees.maintenance_fund())
            assert on_chain == tuple(self.balance(fund) for fund in (FEE_INCOME, PUBLIC_INCOME, MAINTENANCE))
            held = token.balanceOf(fees)
            assert held == sum(on_chain) == self.paid_in - self.paid_out

        @invariant()
        def reserves_commission_budgets_and_caps_hold(self):
            assert treasury.maintenance_reserved() == self.reserved <= fees.maintenance_fund()
            assert treasury.commission_owed(contract_id) == self.commission
            year = clock.month() // 12
            for fund in (FEE_INCOME, PUBLIC_INCOME):
                budget, spent = treasury.budget(year, fund, CATEGORY)
                annual, allocated = treasury.annual_budget(year, fund)
                assert spent == self.spent[(year, fund)] <= budget <= allocated <= annual
            assert self.emergency[year] <= PER_YEAR

    run_machine(Treasury)
