"""Stateful invariant: the settlement tokens the contract holds equal fee income +
public income + maintenance fund, which equal everything paid in minus every payout,
at every step; the reserved part of the fund never exceeds the fund."""

from __future__ import annotations

import ape
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.fees.conftest import h
from tests.utils.stateful import depth, run_machine

pytestmark = pytest.mark.in_process

BPS = 10_000
CATEGORY = 1
MAX_MONTHS_A_STEP = 2


def test_treasury_invariant(governed, token, chain, clock, committee, manager, governance, owner_a, owner_b, merchant, provider):
    fees = governed

    class Treasury(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.snapshot = chain.snapshot()
            self.paid_in = 0
            self.paid_out = 0
            self.fee_income = 0
            self.public_income = 0
            self.fund = 0
            self.reserved = 0
            self.projects: dict[int, list[int]] = {}

        @initialize()
        def budgets(self):
            year = clock.month() // 12
            # A budget for every year a run can reach (next_month moves up to 2 months a
            # step): with four years, runs of 50 steps met "fees: no budget for the category".
            for offset in range(MAX_MONTHS_A_STEP * depth()[1] // 12 + 2):
                fees.approve_budget(year + offset, CATEGORY, 10**15, sender=committee)

        def teardown(self):
            chain.restore(self.snapshot)

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
            self.fee_income += log.amount - share
            self.fund += share

        @rule(amount=st.integers(1, 10**6), source=st.integers(1, 5))
        def public_income_in(self, amount, source):
            fees.receive_public_income(merchant, amount, source, sender=merchant)
            self.paid_in += amount
            self.public_income += amount

        @rule(amount=st.integers(1, 10**6))
        def deposit(self, amount):
            fees.deposit_maintenance(amount, h("levy"), sender=owner_b)
            self.paid_in += amount
            self.fund += amount

        @rule(amount=st.integers(1, 2 * 10**5), public=st.booleans())
        def expense(self, amount, public):
            balance = self.public_income if public else self.fee_income
            args = (CATEGORY, provider, amount, h("invoice"), clock.month(), 1 if public else 0)
            if amount > balance:
                with ape.reverts("fees: insufficient balance"):
                    fees.record_expense(*args, sender=manager)
                return
            fees.record_expense(*args, sender=manager)
            self.paid_out += amount
            if public:
                self.public_income -= amount
            else:
                self.fee_income -= amount

        @rule(milestones=st.lists(st.integers(1, 3 * 10**5), min_size=1, max_size=3))
        def approve_project(self, milestones):
            if sum(milestones) > self.fund - self.reserved:
                with ape.reverts("fees: maintenance fund too small"):
                    fees.approve_maintenance_project(provider, milestones, h("works"), sender=governance)
                return
            tx = fees.approve_maintenance_project(provider, milestones, h("works"), sender=governance)
            project_id = tx.decode_logs(fees.MaintenanceProjectApproved)[0].project_id
            self.projects[project_id] = list(milestones)
            self.reserved += sum(milestones)

        @precondition(lambda self: any(self.projects.values()))
        @rule(data=st.data())
        def release(self, data):
            project_id = data.draw(st.sampled_from(sorted(p for p, left in self.projects.items() if left)))
            amount = self.projects[project_id].pop(0)
            fees.release_milestone(project_id, sender=governance)
            self.paid_out += amount
            self.fund -= amount
            self.reserved -= amount

        @rule(bps=st.integers(0, BPS))
        def change_share(self, bps):
            fees.set_maintenance_share(bps, sender=governance)

        @rule(months=st.integers(1, MAX_MONTHS_A_STEP))
        def next_month(self, months):
            clock.advance(months)

        @invariant()
        def balances_add_up(self):
            held = token.balanceOf(fees)
            assert held == fees.fee_income() + fees.public_income() + fees.maintenance_fund()
            assert held == self.paid_in - self.paid_out
            assert (fees.fee_income(), fees.public_income(), fees.maintenance_fund()) == (
                self.fee_income,
                self.public_income,
                self.fund,
            )
            assert fees.maintenance_reserved() == self.reserved <= self.fund

    run_machine(Treasury)
