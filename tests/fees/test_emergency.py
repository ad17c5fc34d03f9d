"""Emergency repairs (民法典 第二百八十一条第二款): the committee pays an urgent repair
from the maintenance fund without a vote, with the housing authority's approval
hash, within a per-use and a yearly cap the assembly set (0 until set), never out
of what projects reserved; each payment is its own event."""

import ape

from tests.fees.conftest import MAINTENANCE, ZERO, Clock, h

ELEVATOR, ROOF_LEAK, FIRE_SYSTEM, OTHER_DANGER = 1, 2, 3, 6
PER_USE, PER_YEAR = 300_000, 500_000


def test_nothing_is_paid_until_the_assembly_sets_the_caps(split, provider):
    s = split
    assert (s.treasury.emergency_cap_per_use(), s.treasury.emergency_cap_per_year()) == (0, 0)
    assert s.treasury.emergency_room() == 0
    with ape.reverts("treasury: over the per-use emergency cap"):
        s.treasury.pay_emergency_repair(ELEVATOR, provider, 1, h("approval"), sender=s.committee)


def test_an_emergency_repair_under_the_cap_is_paid_at_once(split, provider):
    s = split
    tx = s.treasury.set_emergency_caps(PER_USE, PER_YEAR, sender=s.assembly)
    [caps] = tx.decode_logs(s.treasury.EmergencyCapsSet)
    assert (caps.per_use, caps.per_year, caps.set_by) == (PER_USE, PER_YEAR, s.assembly.address)
    fund, before = s.fees.maintenance_fund(), s.token.balanceOf(provider)
    assert s.treasury.emergency_room() == PER_USE

    tx = s.treasury.pay_emergency_repair(ELEVATOR, provider, 280_000, h("住建局批复-电梯"), sender=s.committee)
    [repair] = tx.decode_logs(s.treasury.EmergencyRepairPaid)
    assert (repair.repair_id, repair.kind, repair.payee, repair.amount, repair.approval_hash) == (
        1, ELEVATOR, provider.address, 280_000, h("住建局批复-电梯")
    )
    assert (repair.year, repair.paid_this_year, repair.paid_by) == (s.year, 280_000, s.committee.address)
    [paid] = tx.decode_logs(s.fees.Disbursed)
    assert (paid.fund, paid.payee, paid.amount, paid.balance_after) == (MAINTENANCE, provider.address, 280_000, fund - 280_000)
    assert s.token.balanceOf(provider) == before + 280_000
    assert s.fees.maintenance_fund() == fund - 280_000
    assert s.treasury.emergency_paid(s.year) == 280_000
    assert s.treasury.emergency_repair_count() == 1
    # What is left this year: 220,000 of the yearly cap.
    assert s.treasury.emergency_room() == PER_YEAR - 280_000


def test_over_the_caps_is_refused(split, chain, provider):
    s = split
    s.treasury.set_emergency_caps(PER_USE, PER_YEAR, sender=s.assembly)
    with ape.reverts("treasury: over the per-use emergency cap"):
        s.treasury.pay_emergency_repair(ROOF_LEAK, provider, PER_USE + 1, h("approval-1"), sender=s.committee)
    s.treasury.pay_emergency_repair(ROOF_LEAK, provider, PER_USE, h("approval-1"), sender=s.committee)
    s.treasury.pay_emergency_repair(FIRE_SYSTEM, provider, 150_000, h("approval-2"), sender=s.committee)
    with ape.reverts("treasury: over the yearly emergency cap"):
        s.treasury.pay_emergency_repair(FIRE_SYSTEM, provider, 50_001, h("approval-3"), sender=s.committee)
    s.treasury.pay_emergency_repair(FIRE_SYSTEM, provider, 50_000, h("approval-3"), sender=s.committee)
    assert s.treasury.emergency_room() == 0
    # The yearly cap is per Beijing calendar year: next January it is whole again.
    Clock(chain, s.fees).goto((s.year + 1) * 12)
    assert s.treasury.emergency_room() == PER_USE
    tx = s.treasury.pay_emergency_repair(ELEVATOR, provider, 10_000, h("approval-4"), sender=s.committee)
    assert tx.decode_logs(s.treasury.EmergencyRepairPaid)[0].paid_this_year == 10_000
    assert s.treasury.emergency_paid(s.year) == PER_YEAR


def test_an_emergency_never_takes_what_projects_reserved(split, provider):
    s = split
    fund = s.fees.maintenance_fund()
    s.treasury.set_emergency_caps(fund, fund, sender=s.assembly)
    s.treasury.approve_maintenance_project(provider, [fund - 100_000], h("外墙翻新"), sender=s.assembly)
    assert s.treasury.emergency_room() == 100_000
    with ape.reverts("treasury: maintenance fund too small"):
        s.treasury.pay_emergency_repair(OTHER_DANGER, provider, 100_001, h("approval"), sender=s.committee)
    s.treasury.pay_emergency_repair(OTHER_DANGER, provider, 100_000, h("approval"), sender=s.committee)
    # The project can still be paid in full.
    s.treasury.release_milestone(1, sender=s.assembly)
    assert s.fees.maintenance_fund() == 0 and s.treasury.maintenance_reserved() == 0


def test_emergency_refusals(split, provider):
    s = split
    s.treasury.set_emergency_caps(PER_USE, PER_YEAR, sender=s.assembly)
    for kind in (0, 7):
        with ape.reverts("treasury: unknown emergency"):
            s.treasury.pay_emergency_repair(kind, provider, 1, h("approval"), sender=s.committee)
    with ape.reverts("treasury: zero amount"):
        s.treasury.pay_emergency_repair(ELEVATOR, provider, 0, h("approval"), sender=s.committee)
    with ape.reverts("treasury: empty approval hash"):
        s.treasury.pay_emergency_repair(ELEVATOR, provider, 1, b"\x00" * 32, sender=s.committee)
    with ape.reverts("treasury: payee is the zero address"):
        s.treasury.pay_emergency_repair(ELEVATOR, ZERO, 1, h("approval"), sender=s.committee)
    with ape.reverts("treasury: payee is the committee"):
        s.treasury.pay_emergency_repair(ELEVATOR, s.committee, 1, h("approval"), sender=s.committee)
    with ape.reverts("treasury: per-use cap above the yearly cap"):
        s.treasury.set_emergency_caps(2, 1, sender=s.assembly)
    # The assembly may close the door again.
    s.treasury.set_emergency_caps(0, 0, sender=s.assembly)
    with ape.reverts("treasury: over the per-use emergency cap"):
        s.treasury.pay_emergency_repair(ELEVATOR, provider, 1, h("approval"), sender=s.committee)
