"""Statements and payments: computed dues, late fees, prepayment, permit, points."""

import ape

from tests.fees.conftest import RATE, h, propose_contract, sign_permit

A1 = 8_950  # unit 1 (owner_a), 0.01 m²
MONTHLY_1 = (A1 * RATE + 50) // 100  # 22_375 fen


def test_statement_counts_months_from_the_calendar(in_force, clock, chain):
    fees = in_force
    now = clock.month()
    s = fees.statement(1)
    assert (s.first_unpaid_month, s.current_month, s.months_due, s.months_overdue) == (now, now, 1, 0)
    assert (s.monthly_amount, s.dues, s.late_fee, s.total) == (MONTHLY_1, MONTHLY_1, 0, MONTHLY_1)
    # No transaction bills the next month: the last second of this month, then the first of the next.
    next_start = fees.month_start(now + 1)
    chain.mine(timestamp=next_start - 1)
    assert fees.statement(1).months_due == 1
    chain.mine(timestamp=next_start)
    s = fees.statement(1)
    assert (s.current_month, s.months_due, s.months_overdue, s.dues) == (now + 1, 2, 1, 2 * MONTHLY_1)
    assert s.late_fee == MONTHLY_1 * 50 // 10_000
    assert s.total == s.dues + s.late_fee


def test_statement_before_any_contract_owes_nothing(fees, clock):
    s = fees.statement(1)
    assert (s.months_due, s.monthly_amount, s.dues, s.total) == (1, 0, 0, 0)


def test_pay_one_month_on_time(in_force, token, points, owner_a, clock):
    fees = in_force
    now = clock.month()
    before = token.balanceOf(owner_a)
    assert fees.quote(1, 1) == (now, now, MONTHLY_1, 0, MONTHLY_1)
    tx = fees.pay(1, 1, MONTHLY_1, sender=owner_a)
    [log] = tx.decode_logs(fees.FeePaid)
    assert log.unit_id == 1 and log.payer == owner_a.address
    assert (log.from_month, log.to_month, log.dues, log.late_fee, log.amount) == (now, now, MONTHLY_1, 0, MONTHLY_1)
    assert log.to_maintenance == MONTHLY_1 // 10
    assert log.points == MONTHLY_1 // 100  # one point per yuan
    assert token.balanceOf(owner_a) == before - MONTHLY_1
    assert token.balanceOf(fees) == MONTHLY_1
    assert fees.fee_income() == MONTHLY_1 - MONTHLY_1 // 10
    assert fees.maintenance_fund() == MONTHLY_1 // 10
    assert fees.public_income() == 0
    # The points accrue to the unit; nothing is minted by the payment itself.
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_a) == 0
    assert fees.claimable_points(1) == MONTHLY_1 // 100 == 223
    assert fees.first_unpaid_month(1) == now + 1
    assert fees.statement(1).total == 0


def test_any_wallet_pays_any_unit(in_force, tenant, points, clock):
    fees = in_force
    tx = fees.pay(3, 2, 10**9, sender=tenant)
    [log] = tx.decode_logs(fees.FeePaid)
    assert log.unit_id == 3 and log.payer == tenant.address
    assert log.to_month == clock.month() + 1
    assert fees.claimable_points(3) == log.points > 0


def test_late_payment_pays_a_late_fee_and_earns_points_only_for_months_not_overdue(in_force, owner_a, points, clock):
    fees = in_force
    start = clock.month()
    clock.advance(3)
    s = fees.statement(1)
    assert (s.months_due, s.months_overdue) == (4, 3)
    # Overdue by 3, 2 and 1 months at 50 bps per month: 300 bps of one month.
    assert s.late_fee == MONTHLY_1 * 300 // 10_000
    tx = fees.pay(1, 2, 10**9, sender=owner_a)
    [log] = tx.decode_logs(fees.FeePaid)
    assert (log.from_month, log.to_month) == (start, start + 1)
    assert log.late_fee == MONTHLY_1 * (150 + 100) // 10_000
    assert log.points == 0 and fees.claimable_points(1) == 0
    # The rest: month start+2 (overdue by one month) and start+3 (the current month):
    # the current month is paid on time and earns its points.
    assert fees.statement(1).late_fee == MONTHLY_1 * 50 // 10_000
    tx = fees.pay(1, 2, 10**9, sender=owner_a)
    assert tx.decode_logs(fees.FeePaid)[0].points == MONTHLY_1 // 100
    assert fees.statement(1).total == 0
    assert fees.claimable_points(1) == MONTHLY_1 // 100


def test_overdue_and_future_months_in_one_payment_earn_points_for_the_on_time_part(in_force, owner_a, owner_b, clock):
    """Issue 17 #15: paying two overdue months, the current one and two ahead in one
    payment earned nothing; it earns the points of the three months not overdue,
    exactly what paying the overdue months first and the rest after earns."""
    fees = in_force
    clock.advance(2)
    tx = fees.pay(1, 5, 10**9, sender=owner_a)
    [log] = tx.decode_logs(fees.FeePaid)
    assert log.late_fee > 0
    assert log.points == 3 * MONTHLY_1 // 100
    assert fees.claimable_points(1) == 3 * MONTHLY_1 // 100
    # Unit 2 (owner_a too, 120.00 m²) paid in two steps earns the same as in one.
    monthly_2 = (12_000 * RATE + 50) // 100
    fees.pay(2, 2, 10**9, sender=owner_a)
    fees.pay(2, 3, 10**9, sender=owner_a)
    assert fees.claimable_points(2) == 3 * monthly_2 // 100


def test_late_fee_is_capped(in_force, committee, owner_a, clock):
    fees = in_force
    fees.set_late_fee(500, 1_000, sender=committee)
    clock.advance(5)
    # Overdue 5, 4, 3, 2, 1 months: min(500 k, 1000) = 1000, 1000, 1000, 1000, 500.
    assert fees.statement(1).late_fee == MONTHLY_1 * 4_500 // 10_000
    fees.set_late_fee(0, 0, sender=committee)
    assert fees.statement(1).late_fee == 0


def test_prepayment_up_to_the_limit(in_force, committee, owner_a, points, clock):
    fees = in_force
    now = clock.month()
    with ape.reverts("fees: over the prepayment limit"):
        fees.pay(1, 14, 10**9, sender=owner_a)
    with ape.reverts("fees: over the prepayment limit"):
        fees.quote(1, 14)
    tx = fees.pay(1, 13, 10**9, sender=owner_a)
    [log] = tx.decode_logs(fees.FeePaid)
    assert (log.from_month, log.to_month, log.amount) == (now, now + 12, 13 * MONTHLY_1)
    assert log.points == 13 * MONTHLY_1 // 100
    # Fully prepaid: one more month is over the limit, nothing is due.
    with ape.reverts("fees: over the prepayment limit"):
        fees.pay(1, 1, 10**9, sender=owner_a)
    s = fees.statement(1)
    assert (s.months_due, s.total, s.first_unpaid_month) == (0, 0, now + 13)
    fees.set_prepay_limit(0, sender=committee)
    with ape.reverts("fees: over the prepayment limit"):
        fees.pay(2, 2, 10**9, sender=owner_a)
    fees.pay(2, 1, 10**9, sender=owner_a)


def test_prepaid_months_keep_their_rate(in_force, committee, manager, owner_a, clock):
    fees = in_force
    now = clock.month()
    fees.pay(1, 4, 10**9, sender=owner_a)  # now .. now+3 at RATE
    propose_contract(fees, manager, manager, now + 2, rate=300, end=now + 40, doc=h("renewal"))
    fees.approve_service_contract(2, sender=committee)
    clock.goto(now + 4)
    s = fees.statement(1)
    assert (s.months_due, s.dues, s.monthly_amount) == (1, (A1 * 300 + 50) // 100, (A1 * 300 + 50) // 100)


def test_dues_across_rate_segments(in_force, committee, manager, owner_a, clock):
    fees = in_force
    now = clock.month()
    propose_contract(fees, manager, manager, now + 2, rate=300, end=now + 40, doc=h("c2"))
    fees.approve_service_contract(2, sender=committee)
    propose_contract(fees, manager, manager, now + 4, rate=199, end=now + 40, doc=h("c3"))
    fees.approve_service_contract(3, sender=committee)
    fees.set_late_fee(0, 0, sender=committee)
    monthly = [(A1 * r + 50) // 100 for r in (RATE, RATE, 300, 300, 199, 199)]
    assert fees.quote(1, 6)[2] == sum(monthly)
    clock.goto(now + 5)
    assert fees.statement(1).dues == sum(monthly)
    tx = fees.pay(1, 3, 10**9, sender=owner_a)
    assert tx.decode_logs(fees.FeePaid)[0].dues == sum(monthly[:3])
    assert fees.statement(1).dues == sum(monthly[3:])


def test_pay_refusals(in_force, owner_a, attacker, token, clock):
    fees = in_force
    with ape.reverts("fees: zero months"):
        fees.pay(1, 0, 10**9, sender=owner_a)
    with ape.reverts("fees: zero months"):
        fees.quote(1, 0)
    with ape.reverts("fees: unit not registered"):
        fees.pay(7, 1, 10**9, sender=owner_a)
    with ape.reverts("fees: unit not registered"):
        fees.pay(0, 1, 10**9, sender=owner_a)
    with ape.reverts("fees: unit not registered"):
        fees.statement(99)
    with ape.reverts("fees: amount above max_amount"):
        fees.pay(1, 1, MONTHLY_1 - 1, sender=owner_a)
    token.approve(fees, 0, sender=attacker)
    with ape.reverts("erc20: insufficient allowance"):
        fees.pay(1, 1, 10**9, sender=attacker)


def test_pay_refused_without_a_fee_standard(fees, funded, owner_a):
    with ape.reverts("fees: no fee standard in force"):
        fees.pay(1, 1, 10**9, sender=owner_a)
    with ape.reverts("fees: no fee standard in force"):
        fees.quote(1, 1)


def test_points_rate(in_force, committee, owner_a, owner_b, points):
    fees = in_force
    fees.set_points_rate(0, sender=committee)
    tx = fees.pay(1, 1, 10**9, sender=owner_a)
    assert tx.decode_logs(fees.FeePaid)[0].points == 0
    assert fees.claimable_points(1) == 0
    fees.set_points_rate(25_000, sender=committee)  # 2.5 points per yuan
    tx = fees.pay(3, 1, 10**9, sender=owner_b)
    dues = (9_000 * RATE + 50) // 100
    assert tx.decode_logs(fees.FeePaid)[0].points == dues * 25_000 // 1_000_000
    assert fees.claimable_points(3) == dues * 25_000 // 1_000_000


# ------------------------------------------------------------------ claiming points


def test_owner_claims_the_points_of_both_units_in_one_mint(in_force, owner_a, points):
    fees = in_force
    fees.pay(1, 2, 10**9, sender=owner_a)
    fees.pay(2, 1, 10**9, sender=owner_a)
    earned_1, earned_2 = fees.claimable_points(1), fees.claimable_points(2)
    assert earned_1 > 0 and earned_2 > 0
    assert fees.points_payer(1) == fees.points_payer(2) == owner_a.address
    tx = fees.claim_points([1, 2], sender=owner_a)
    assert tx.return_value == earned_1 + earned_2
    claims = tx.decode_logs(fees.PointsClaimed)
    assert [(c.unit_id, c.claimant, c.amount) for c in claims] == [
        (1, owner_a.address, earned_1), (2, owner_a.address, earned_2)]
    [minted] = tx.decode_logs(points.PointsMinted)
    assert (minted.to, minted.amount, minted.reason, minted.minter) == (
        owner_a.address, earned_1 + earned_2, 2, fees.address)
    assert points.balanceOf(owner_a) == earned_1 + earned_2
    assert fees.claimable_points(1) == fees.claimable_points(2) == 0
    # Claiming again finds nothing; the units still count as paid through the same month.
    with ape.reverts("fees: no points to claim"):
        fees.claim_points([1, 2], sender=owner_a)
    assert fees.first_unpaid_month(1) == fees.current_month() + 2


def test_whoever_paid_claims_the_points(in_force, owner_a, owner_b, tenant, points):
    """A tenant who pays its landlord's unit earns the points, not the landlord."""
    fees = in_force
    fees.pay(3, 1, 10**9, sender=tenant)
    earned = fees.claimable_points(3)
    assert fees.points_payer(3) == tenant.address
    with ape.reverts("fees: not the unit's payer"):
        fees.claim_points([3], sender=owner_b)
    fees.claim_points([3], sender=tenant)
    assert points.balanceOf(tenant) == earned and points.balanceOf(owner_b) == 0


def test_points_accrue_across_payments_until_claimed(in_force, owner_c):
    fees = in_force
    fees.pay(4, 1, 10**9, sender=owner_c)
    first = fees.claimable_points(4)
    fees.pay(4, 2, 10**9, sender=owner_c)
    assert fees.claimable_points(4) == 3 * first
    assert fees.claim_points([4, 4], sender=owner_c).return_value == 3 * first  # a repeated unit adds nothing


def test_another_payer_never_takes_the_previous_payers_points(in_force, owner_a, tenant, points):
    """The previous payer's unclaimed points are minted to it when another wallet pays."""
    fees = in_force
    fees.pay(1, 1, 10**9, sender=owner_a)
    owed = fees.claimable_points(1)
    tx = fees.pay(1, 1, 10**9, sender=tenant)
    [paid_out] = tx.decode_logs(fees.PointsClaimed)
    assert (paid_out.unit_id, paid_out.claimant, paid_out.amount) == (1, owner_a.address, owed)
    assert points.balanceOf(owner_a) == owed
    assert fees.points_payer(1) == tenant.address
    assert fees.claimable_points(1) == tx.decode_logs(fees.FeePaid)[0].points
    with ape.reverts("fees: not the unit's payer"):
        fees.claim_points([1], sender=owner_a)


def test_only_the_payer_claims(in_force, owner_a, owner_b, tenant, attacker):
    fees = in_force
    fees.pay(1, 1, 10**9, sender=owner_a)
    for outsider in (attacker, owner_b, tenant):
        with ape.reverts("fees: not the unit's payer"):
            fees.claim_points([1], sender=outsider)
    with ape.reverts("fees: not the unit's payer"):
        fees.claim_points([1, 3], sender=owner_a)  # nobody paid unit 3: nothing is claimed
    assert fees.claimable_points(1) > 0
    with ape.reverts("fees: no points to claim"):
        fees.claim_points([], sender=owner_a)


def test_unit_billing_start_moves_what_is_owed(in_force, committee, owner_c, clock):
    fees = in_force
    now = clock.month()
    fees.set_unit_billing_start(4, now - 2, sender=committee)
    fees.set_late_fee(0, 0, sender=committee)
    monthly = (11_050 * RATE + 50) // 100
    assert fees.statement(4).months_due == 3
    # The contract in force starts this month: the two earlier months have no fee standard.
    assert fees.statement(4).dues == monthly
    tx = fees.pay(4, 3, 10**9, sender=owner_c)
    [log] = tx.decode_logs(fees.FeePaid)
    assert (log.from_month, log.to_month, log.dues) == (now - 2, now, monthly)


def test_pay_with_permit(in_force, token, owner_a, chain, clock):
    fees = in_force
    token.approve(fees, 0, sender=owner_a)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, owner_a, fees, MONTHLY_1, deadline, chain.chain_id)
    tx = fees.pay_with_permit(1, 1, MONTHLY_1, deadline, v, r, s, sender=owner_a)
    [log] = tx.decode_logs(fees.FeePaid)
    assert log.amount == MONTHLY_1 and log.payer == owner_a.address
    assert token.allowance(owner_a, fees) == 0
    assert token.nonces(owner_a) == 1


def test_pay_with_permit_survives_a_front_run_permit(in_force, token, owner_a, attacker, chain):
    fees = in_force
    token.approve(fees, 0, sender=owner_a)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(token, owner_a, fees, MONTHLY_1, deadline, chain.chain_id)
    # Someone submits the signed permit first: the payment still goes through.
    token.permit(owner_a, fees, MONTHLY_1, deadline, v, r, s, sender=attacker)
    tx = fees.pay_with_permit(1, 1, MONTHLY_1, deadline, v, r, s, sender=owner_a)
    assert tx.decode_logs(fees.FeePaid)[0].amount == MONTHLY_1


def test_pay_with_a_bad_permit_is_refused(in_force, token, owner_a, attacker, chain):
    fees = in_force
    token.approve(fees, 0, sender=owner_a)
    token.approve(fees, 0, sender=attacker)
    deadline = chain.pending_timestamp + 3600
    # Signed by owner_a, submitted by the attacker: the permit names the attacker as owner, fails.
    v, r, s = sign_permit(token, owner_a, fees, MONTHLY_1, deadline, chain.chain_id)
    with ape.reverts("erc20: insufficient allowance"):
        fees.pay_with_permit(1, 1, MONTHLY_1, deadline, v, r, s, sender=attacker)
    # A permit for less than the dues does not pay them.
    v, r, s = sign_permit(token, owner_a, fees, MONTHLY_1 - 1, deadline, chain.chain_id)
    with ape.reverts("fees: amount above max_amount"):
        fees.pay_with_permit(1, 1, MONTHLY_1 - 1, deadline, v, r, s, sender=owner_a)
