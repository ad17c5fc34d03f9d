"""Points accrued by a unit's payments belong to whoever paid (issue 16, attack 4): the
seller's tenant claimed the points of the buyer's payments, and the committee could link
its own wallet to any unit and claim that unit's points. Now a unit's points are its
payer's; a sale ends the seller's links; the committee links nobody."""

from __future__ import annotations

import ape
import pytest

from tests.conftest import CHANGE_DELAY
from tests.utils.identity import commitment_for


@pytest.fixture
def sold(in_force, registry, committee, owner_b, tenant, attacker, chain):
    """Unit 3 (owner_b's, where the tenant lives) sold to a buyer (the attacker's wallet)."""
    registry.request_transfer(3, attacker, commitment_for("buyer"), sender=committee)
    chain.pending_timestamp += CHANGE_DELAY
    registry.execute_transfer(3, sender=committee)
    return in_force


def test_the_sellers_tenant_cannot_claim_the_buyers_points(sold, registry, points, tenant, attacker):
    fees, buyer = sold, attacker
    fees.pay(3, 6, 10**9, sender=buyer)
    earned = fees.claimable_points(3)
    assert earned > 0
    assert registry.resident_unit(tenant) == 0
    with ape.reverts("fees: not the unit's payer"):
        fees.claim_points([3], sender=tenant)
    assert points.balanceOf(tenant) == 0
    # The buyer's new household claims what its payments earned.
    fees.claim_points([3], sender=buyer)
    assert points.balanceOf(buyer) == earned


def test_the_committee_cannot_collect_a_units_points(in_force, registry, points, committee, owner_a):
    fees = in_force
    fees.pay(1, 3, 10**9, sender=owner_a)
    with ape.reverts("registry: only the unit's owner"):
        registry.invite_resident(1, committee, commitment_for("committee"), sender=committee)
    with ape.reverts("fees: not the unit's payer"):
        fees.claim_points([1], sender=committee)
    assert fees.claim_points([1], sender=owner_a).return_value > 0
    assert points.balanceOf(committee) == 0


def test_the_sellers_unclaimed_points_stay_the_sellers(in_force, registry, points, committee, owner_b, attacker,
                                                       chain):
    """The legitimate path across a sale: the seller prepaid and did not claim; the
    buyer's first payment mints the seller's points to the seller."""
    fees = in_force
    fees.pay(3, 2, 10**9, sender=owner_b)
    owed = fees.claimable_points(3)
    registry.request_transfer(3, attacker, commitment_for("buyer"), sender=committee)
    chain.pending_timestamp += CHANGE_DELAY
    registry.execute_transfer(3, sender=committee)
    tx = fees.pay(3, 1, 10**9, sender=attacker)
    assert [(c.claimant, c.amount) for c in tx.decode_logs(fees.PointsClaimed)] == [(owner_b.address, owed)]
    assert points.balanceOf(owner_b) == owed
    assert fees.points_payer(3) == attacker.address
