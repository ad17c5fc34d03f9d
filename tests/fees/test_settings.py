"""Settings: the assembly's limits and the committee's billing starts; bounds, events, refusals."""

import ape


def test_defaults(fees, treasury, clock):
    assert fees.config() == (clock.month(), 50, 1_000, 12, 1_000, 10_000)
    assert fees.maintenance_share() == 1_000
    assert fees.treasury() == treasury.address


def test_set_late_fee(fees, committee, attacker):
    tx = fees.set_late_fee(100, 2_000, sender=committee)
    assert tx.decode_logs(fees.LateFeeSet)[0].rate_bps == 100
    assert tx.decode_logs(fees.LateFeeSet)[0].cap_bps == 2_000
    assert fees.config()[1:3] == (100, 2_000)
    with ape.reverts("fees: bps out of range"):
        fees.set_late_fee(10_001, 0, sender=committee)
    with ape.reverts("fees: bps out of range"):
        fees.set_late_fee(0, 10_001, sender=committee)
    with ape.reverts("fees: assembly only"):
        fees.set_late_fee(1, 1, sender=attacker)


def test_set_prepay_limit(fees, committee, attacker, manager):
    tx = fees.set_prepay_limit(24, sender=committee)
    assert tx.decode_logs(fees.PrepayLimitSet)[0].months == 24
    assert fees.config()[3] == 24
    with ape.reverts("fees: prepayment limit out of range"):
        fees.set_prepay_limit(37, sender=committee)
    with ape.reverts("fees: assembly only"):
        fees.set_prepay_limit(1, sender=attacker)
    with ape.reverts("fees: assembly only"):
        fees.set_prepay_limit(1, sender=manager)


def test_set_points_rate(fees, committee, attacker):
    tx = fees.set_points_rate(5_000, sender=committee)
    assert tx.decode_logs(fees.PointsRateSet)[0].rate == 5_000
    assert fees.config()[5] == 5_000
    with ape.reverts("fees: points rate out of range"):
        fees.set_points_rate(2**32, sender=committee)
    with ape.reverts("fees: assembly only"):
        fees.set_points_rate(1, sender=attacker)


def test_set_billing_start(fees, committee, attacker, clock):
    month = clock.month() - 5
    tx = fees.set_billing_start(month, sender=committee)
    assert tx.decode_logs(fees.BillingStartSet)[0].month == month
    assert fees.config()[0] == month
    assert fees.first_unpaid_month(1) == month
    with ape.reverts("fees: month out of range"):
        fees.set_billing_start(0, sender=committee)
    with ape.reverts("fees: month out of range"):
        fees.set_billing_start(2**20, sender=committee)
    with ape.reverts("fees: committee only"):
        fees.set_billing_start(month, sender=attacker)


def test_settings_keep_each_other_and_the_rate(in_force, committee, clock):
    fees = in_force
    fees.set_late_fee(7, 8, sender=committee)
    fees.set_prepay_limit(9, sender=committee)
    fees.set_points_rate(11, sender=committee)
    fees.set_billing_start(clock.month() - 1, sender=committee)
    assert fees.config() == (clock.month() - 1, 7, 8, 9, 1_000, 11)
    assert fees.rate_at(clock.month()) == (250, 1)
    assert fees.rate_segment_count() == 1


def test_set_unit_billing_start(in_force, committee, attacker, owner_a, clock):
    fees = in_force
    later = clock.month() + 2
    tx = fees.set_unit_billing_start(2, later, sender=committee)
    [log] = tx.decode_logs(fees.UnitBillingStartSet)
    assert (log.unit_id, log.month) == (2, later)
    assert fees.first_unpaid_month(2) == later
    assert fees.statement(2).months_due == 0
    assert fees.has_paid(2) is False
    with ape.reverts("fees: committee only"):
        fees.set_unit_billing_start(2, later, sender=attacker)
    with ape.reverts("fees: unit not registered"):
        fees.set_unit_billing_start(99, later, sender=committee)
    with ape.reverts("fees: month out of range"):
        fees.set_unit_billing_start(2, 0, sender=committee)
    fees.pay(1, 1, 10**9, sender=owner_a)
    assert fees.has_paid(1) is True
    with ape.reverts("fees: unit already paid"):
        fees.set_unit_billing_start(1, later, sender=committee)


def test_set_maintenance_share(in_force, committee, manager, attacker, owner_a):
    fees = in_force
    tx = fees.set_maintenance_share(2_500, sender=committee)
    [log] = tx.decode_logs(fees.MaintenanceShareSet)
    assert (log.bps, log.set_by) == (2_500, committee.address)
    assert fees.maintenance_share() == 2_500
    for who in (manager, attacker):
        with ape.reverts("fees: assembly only"):
            fees.set_maintenance_share(0, sender=who)
    with ape.reverts("fees: bps out of range"):
        fees.set_maintenance_share(10_001, sender=committee)
    tx = fees.pay(1, 1, 10**9, sender=owner_a)
    [paid] = tx.decode_logs(fees.FeePaid)
    assert paid.to_maintenance == paid.amount * 2_500 // 10_000
    assert fees.maintenance_fund() == paid.to_maintenance
    assert fees.fee_income() == paid.amount - paid.to_maintenance


def test_limits_are_the_assemblys_billing_starts_the_committees(split):
    """With a committee that is not the assembly: the limits refuse the committee,
    the billing starts refuse the assembly (it is not the committee)."""
    fees, committee, assembly = split.fees, split.committee, split.assembly
    month = split.month
    for call in (lambda who: fees.set_late_fee(1, 1, sender=who), lambda who: fees.set_prepay_limit(1, sender=who),
                 lambda who: fees.set_points_rate(1, sender=who), lambda who: fees.set_maintenance_share(10_000, sender=who)):
        with ape.reverts("fees: assembly only"):
            call(committee)
        call(assembly)
    assert fees.config()[1:6] == (1, 1, 1, 10_000, 1)
    with ape.reverts("fees: committee only"):
        fees.set_billing_start(month, sender=assembly)
    with ape.reverts("fees: committee only"):
        fees.set_unit_billing_start(1, month, sender=assembly)
    fees.set_billing_start(month, sender=committee)
