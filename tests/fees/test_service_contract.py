"""The property service contract: proposal, approval by the assembly, rate history,
how fee income is used (包干制 / 酬金制)."""

import ape

from tests.fees.conftest import COMMISSION, COMMISSION_BPS, LUMP_SUM, RATE, h


def propose(fees, who, company, start, rate=RATE, end=None, items=None, mode=COMMISSION, commission=None):
    if commission is None:
        commission = COMMISSION_BPS if mode == COMMISSION else 0
    return fees.propose_service_contract(
        h(f"contract-{start}-{rate}"), company, start, end if end is not None else start + 35, rate,
        items if items is not None else [h("cleaning")], mode, commission, sender=who,
    )


def test_manager_proposes_assembly_approves(fees, committee, manager, clock):
    start = clock.month()
    tx = propose(fees, manager, manager, start, items=[h("cleaning"), h("security"), h("greening")])
    [log] = tx.decode_logs(fees.ServiceContractProposed)
    assert log.contract_id == 1 and log.company == manager.address and log.proposed_by == manager.address
    assert log.start_month == start and log.end_month == start + 35 and log.rate == RATE
    assert log.doc_hash == h(f"contract-{start}-{RATE}")
    assert list(log.service_items) == [h("cleaning"), h("security"), h("greening")]
    assert (log.mode, log.commission_bps) == (COMMISSION, COMMISSION_BPS)
    assert fees.service_contract_count() == 1
    assert fees.service_terms(1) == (manager.address, COMMISSION, COMMISSION_BPS, False)
    assert list(fees.service_items(1)) == [h("cleaning"), h("security"), h("greening")]
    assert fees.service_contracts(1).approved is False
    # Proposed is not in force.
    assert fees.rate_at(start) == (0, 0)
    assert fees.contract_in_force() == 0
    assert fees.terms_in_force() == (0, "0x" + "0" * 40, 0, 0)

    tx = fees.approve_service_contract(1, sender=committee)
    [log] = tx.decode_logs(fees.ServiceContractApproved)
    assert (log.contract_id, log.company, log.start_month, log.rate, log.segment, log.approved_by) == (
        1, manager.address, start, RATE, 0, committee.address
    )
    assert fees.service_contracts(1).approved is True
    assert fees.rate_at(start) == (RATE, 1)
    assert fees.rate_at(start - 1) == (0, 0)
    assert fees.contract_in_force() == 1
    assert fees.terms_in_force() == (1, manager.address, COMMISSION, COMMISSION_BPS)
    assert fees.service_terms(1)[3] is True
    assert fees.rate_segment_count() == 1
    assert fees.rate_segment(0) == (start, RATE, 1)


def test_the_mode_of_the_contract_in_force_follows_the_schedule(in_force, committee, manager, clock):
    fees = in_force
    now = clock.month()
    propose(fees, manager, manager, now + 2, rate=280, mode=LUMP_SUM)
    fees.approve_service_contract(2, sender=committee)
    assert fees.terms_in_force() == (1, manager.address, COMMISSION, COMMISSION_BPS)
    clock.goto(now + 2)
    assert fees.terms_in_force() == (2, manager.address, LUMP_SUM, 0)


def test_mode_and_commission_refusals(fees, manager, clock):
    start = clock.month()
    for mode in (0, 3):
        with ape.reverts("fees: unknown fee income mode"):
            propose(fees, manager, manager, start, mode=mode, commission=0)
    with ape.reverts("fees: bps out of range"):
        propose(fees, manager, manager, start, commission=10_001)
    with ape.reverts("fees: commission without the commission mode"):
        propose(fees, manager, manager, start, mode=LUMP_SUM, commission=1)
    propose(fees, manager, manager, start, mode=LUMP_SUM)
    propose(fees, manager, manager, start, commission=0)  # 酬金制 at 0 % is a choice, not an error
    assert fees.service_terms(1)[1:3] == (LUMP_SUM, 0) and fees.service_terms(2)[1:3] == (COMMISSION, 0)


def test_new_rate_from_a_named_month_keeps_history(in_force, committee, manager, clock):
    fees = in_force
    now = clock.month()
    propose(fees, manager, manager, now + 3, rate=300)
    fees.approve_service_contract(2, sender=committee)
    propose(fees, committee, manager, now + 7, rate=280)
    fees.approve_service_contract(3, sender=committee)
    assert fees.rate_segment_count() == 3
    assert [fees.rate_segment(i) for i in range(3)] == [(now, RATE, 1), (now + 3, 300, 2), (now + 7, 280, 3)]
    assert fees.rate_at(now + 2) == (RATE, 1)
    assert fees.rate_at(now + 3) == (300, 2)
    assert fees.rate_at(now + 6) == (300, 2)
    assert fees.rate_at(now + 100) == (280, 3)
    assert fees.contract_in_force() == 1
    clock.goto(now + 3)
    assert fees.contract_in_force() == 2
    with ape.reverts("fees: no such segment"):
        fees.rate_segment(3)


def test_the_committee_proposes_only_the_assembly_approves(split, chain):
    fees, committee, assembly, manager = split.fees, split.committee, split.assembly, split.manager
    now = fees.current_month()
    tx = propose(fees, committee, manager, now + 1, rate=260)
    assert tx.decode_logs(fees.ServiceContractProposed)[0].proposed_by == committee.address
    with ape.reverts("fees: assembly only"):
        fees.approve_service_contract(2, sender=committee)
    tx = propose(fees, assembly, manager, now + 2, rate=270)
    assert tx.decode_logs(fees.ServiceContractProposed)[0].proposed_by == assembly.address
    tx = fees.approve_service_contract(2, sender=assembly)
    assert tx.decode_logs(fees.ServiceContractApproved)[0].approved_by == assembly.address
    assert fees.rate_at(now + 1) == (260, 2)


def test_propose_refusals(fees, attacker, manager, owner_a, clock):
    start = clock.month()
    with ape.reverts("fees: manager, committee or assembly only"):
        propose(fees, attacker, manager, start)
    with ape.reverts("fees: manager, committee or assembly only"):
        propose(fees, owner_a, manager, start)
    with ape.reverts("fees: company is not the manager"):
        propose(fees, manager, attacker, start)
    with ape.reverts("fees: empty document hash"):
        fees.propose_service_contract(b"\x00" * 32, manager, start, start + 1, RATE, [], COMMISSION, 0, sender=manager)
    with ape.reverts("fees: rate out of range"):
        propose(fees, manager, manager, start, rate=0)
    with ape.reverts("fees: rate out of range"):
        propose(fees, manager, manager, start, rate=2**32)
    with ape.reverts("fees: bad term"):
        propose(fees, manager, manager, start, end=start - 1)
    with ape.reverts("fees: bad term"):
        propose(fees, manager, manager, 2**20 - 2, end=2**20)


def test_approve_refusals(in_force, committee, manager, attacker, roles, registry, clock):
    fees = in_force
    now = clock.month()
    propose(fees, manager, manager, now + 2, rate=300)
    with ape.reverts("fees: assembly only"):
        fees.approve_service_contract(2, sender=attacker)
    with ape.reverts("fees: assembly only"):
        fees.approve_service_contract(2, sender=manager)
    with ape.reverts("fees: unknown service contract"):
        fees.approve_service_contract(9, sender=committee)
    with ape.reverts("fees: already approved"):
        fees.approve_service_contract(1, sender=committee)
    # A rate may not change a month that has begun.
    propose(fees, manager, manager, now, rate=300)
    with ape.reverts("fees: rate must start after the current month"):
        fees.approve_service_contract(3, sender=committee)
    fees.approve_service_contract(2, sender=committee)
    # Nor start before a rate already approved for later.
    propose(fees, manager, manager, now + 1, rate=310)
    with ape.reverts("fees: starts before the latest rate"):
        fees.approve_service_contract(4, sender=committee)
    # A company that lost the manager role cannot be approved.
    propose(fees, manager, manager, now + 5, rate=310)
    registry.revokeRole(roles["manager"], manager, sender=committee)
    with ape.reverts("fees: company is not the manager"):
        fees.approve_service_contract(5, sender=committee)


def test_first_contract_may_start_in_the_past(fees, committee, manager, clock):
    now = clock.month()
    propose(fees, manager, manager, now - 6)
    fees.approve_service_contract(1, sender=committee)
    assert fees.rate_at(now - 6) == (RATE, 1)
