"""CommunityPoints: minting with reasons, the merchant-only transfer policy, redemption, permit."""

import ape
import pytest
from tests.utils.identity import commitment_for
from tests.utils.permit import sign_permit

REASON_COMMITTEE_GRANT = 1
REASON_VOTE = 3


@pytest.fixture
def funded(populated, points, committee, owner_a, owner_b):
    points.mint(owner_a, 1_000, REASON_COMMITTEE_GRANT, sender=committee)
    points.mint(owner_b, 500, REASON_COMMITTEE_GRANT, sender=committee)
    return points


def test_metadata_and_owner(points, committee, registry):
    assert points.name() == "Linli Community Points"
    assert points.symbol() == "LLPT"
    assert points.decimals() == 0
    assert points.owner() == committee.address
    assert points.is_minter(committee)
    assert points.registry() == registry.address
    assert not points.free_transfer()


def test_mint_emits_reason(populated, points, committee, owner_a):
    tx = points.mint(owner_a, 10, REASON_VOTE, sender=committee)
    [event] = tx.decode_logs(points.PointsMinted)
    assert (event.to, event.amount, event.reason, event.minter) == (owner_a.address, 10, REASON_VOTE, committee.address)
    assert points.balanceOf(owner_a) == 10
    assert points.totalSupply() == 10


def test_mint_refusals(populated, points, committee, owner_a, attacker):
    with ape.reverts("points: minter only"):
        points.mint(attacker, 10, REASON_VOTE, sender=attacker)
    with ape.reverts("points: zero amount"):
        points.mint(owner_a, 0, REASON_VOTE, sender=committee)
    with ape.reverts("points: reason required"):
        points.mint(owner_a, 1, 0, sender=committee)


def test_committee_appoints_minters(populated, points, committee, owner_a, attacker, manager):
    with ape.reverts("ownable: caller is not the owner"):
        points.set_minter(attacker, True, sender=attacker)
    points.set_minter(manager, True, sender=committee)
    points.mint(owner_a, 5, REASON_VOTE, sender=manager)
    points.set_minter(manager, False, sender=committee)
    with ape.reverts("points: minter only"):
        points.mint(owner_a, 5, REASON_VOTE, sender=manager)


def test_spend_at_a_merchant_and_refund(funded, points, owner_a, merchant):
    points.transfer(merchant, 300, sender=owner_a)
    assert points.balanceOf(merchant) == 300
    points.transfer(owner_a, 50, sender=merchant)  # refund
    assert points.balanceOf(owner_a) == 750
    assert points.balanceOf(merchant) == 250


def test_a_merchant_is_no_transfer_hub(funded, points, owner_a, owner_b, tenant, merchant):
    """Issue 16, attack 5: a merchant's "refund" went to any address, so a merchant moved
    points between residents. Now it refunds only the wallet that paid it, at most what
    that wallet paid (and not yet got back)."""
    points.transfer(merchant, 300, sender=owner_a)
    assert points.refundable(merchant, owner_a) == 300
    for other in (owner_b, tenant):
        with ape.reverts("points: a refund goes only to who paid, up to what it paid"):
            points.transfer(other, 1, sender=merchant)
    with ape.reverts("points: a refund goes only to who paid, up to what it paid"):
        points.transfer(owner_a, 301, sender=merchant)
    points.transfer(owner_a, 200, sender=merchant)
    points.transfer(owner_a, 100, sender=merchant)
    with ape.reverts("points: a refund goes only to who paid, up to what it paid"):
        points.transfer(owner_a, 1, sender=merchant)
    assert points.refundable(merchant, owner_a) == 0
    # A payment pulled with an allowance counts as the holder's payment too.
    points.approve(merchant, 40, sender=owner_b)
    points.transferFrom(owner_b, merchant, 40, sender=merchant)
    assert points.refundable(merchant, owner_b) == 40


def test_residents_cannot_trade_points(funded, points, owner_a, owner_b, tenant):
    with ape.reverts("points: transfers only to registered merchants"):
        points.transfer(owner_b, 1, sender=owner_a)
    with ape.reverts("points: transfers only to registered merchants"):
        points.transfer(tenant, 1, sender=owner_a)
    points.approve(owner_b, 10, sender=owner_a)
    with ape.reverts("points: transfers only to registered merchants"):
        points.transferFrom(owner_a, owner_b, 10, sender=owner_b)


def test_merchant_pulls_payment_with_allowance(funded, points, owner_a, merchant):
    points.approve(merchant, 100, sender=owner_a)
    points.transferFrom(owner_a, merchant, 60, sender=merchant)
    assert points.allowance(owner_a, merchant) == 40
    assert points.balanceOf(merchant) == 60
    with ape.reverts("erc20: insufficient allowance"):
        points.transferFrom(owner_a, merchant, 41, sender=merchant)


def test_free_transfer_switch(funded, points, committee, owner_a, owner_b, attacker):
    with ape.reverts("points: assembly only"):
        points.set_free_transfer(True, sender=attacker)
    tx = points.set_free_transfer(True, sender=committee)
    assert tx.decode_logs(points.FreeTransferChanged)[0].enabled
    points.transfer(owner_b, 10, sender=owner_a)
    assert points.balanceOf(owner_b) == 510
    points.set_free_transfer(False, sender=committee)
    with ape.reverts("points: transfers only to registered merchants"):
        points.transfer(owner_b, 10, sender=owner_a)


def test_redeem_is_the_settlement_record(funded, points, owner_a, merchant):
    points.transfer(merchant, 200, sender=owner_a)
    ref = b"\x11" * 32
    tx = points.redeem(150, ref, sender=merchant)
    [event] = tx.decode_logs(points.PointsRedeemed)
    assert (event.merchant, event.amount, event.settlement_ref) == (merchant.address, 150, ref)
    assert points.totalSupply() == 1_350
    with ape.reverts("erc20: burn amount exceeds balance"):
        points.redeem(51, ref, sender=merchant)
    with ape.reverts("points: zero amount"):
        points.redeem(0, ref, sender=merchant)


def test_only_merchants_redeem(funded, points, owner_a):
    with ape.reverts("points: merchant only"):
        points.redeem(1, b"\x00" * 32, sender=owner_a)


def test_merchant_role_is_mirrored(funded, registry, points, committee, owner_a, merchant, roles):
    tx = registry.revokeRole(roles["merchant"], merchant, sender=committee)
    assert not tx.decode_logs(points.MerchantSynced)[0].is_merchant
    assert not points.is_merchant(merchant)
    with ape.reverts("points: transfers only to registered merchants"):
        points.transfer(merchant, 1, sender=owner_a)
    registry.grantRole(roles["merchant"], merchant, sender=committee)
    assert points.is_merchant(merchant)
    points.transfer(merchant, 1, sender=owner_a)


def test_sync_merchant_is_permissionless_and_copies_the_registry(project, registry, committee, attacker, merchant, roles):
    # A points contract the registry does not notify: anyone can bring it in line.
    unwired = committee.deploy(project.CommunityPoints, registry.address, committee.address)
    registry.grantRole(roles["merchant"], merchant, sender=committee)
    assert not unwired.is_merchant(merchant)
    tx = unwired.sync_merchant(merchant, sender=attacker)
    assert tx.decode_logs(unwired.MerchantSynced)[0].account == merchant.address
    assert unwired.is_merchant(merchant)
    # Syncing again changes nothing and says nothing.
    tx = unwired.sync_merchant(merchant, sender=attacker)
    assert not tx.decode_logs(unwired.MerchantSynced)
    # Syncing cannot make a non-merchant a merchant.
    unwired.sync_merchant(attacker, sender=attacker)
    assert not unwired.is_merchant(attacker)


def test_permit_then_merchant_pulls(funded, points, owner_a, merchant, chain):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(points, owner_a, merchant, 80, deadline, chain.chain_id)
    points.permit(owner_a, merchant, 80, deadline, v, r, s, sender=merchant)
    assert points.allowance(owner_a, merchant) == 80
    points.transferFrom(owner_a, merchant, 80, sender=merchant)
    assert points.balanceOf(merchant) == 80
    # The same signature cannot be used twice (the nonce moved on).
    with ape.reverts("erc20: invalid signature"):
        points.permit(owner_a, merchant, 80, deadline, v, r, s, sender=merchant)


def test_constructor_hands_the_points_to_their_owner(project, registry, owner_a, committee):
    # The owner is the assembly (the deployer while it wires the community).
    points = owner_a.deploy(project.CommunityPoints, registry.address, committee.address)
    assert points.owner() == committee.address
    assert points.is_minter(committee)
    assert not points.is_minter(owner_a)
    with ape.reverts("points: minter only"):
        points.mint(owner_a, 1, 2, sender=owner_a)
    with ape.reverts("points: grants by the committee only"):
        points.mint(owner_a, 1, 1, sender=owner_a)


def test_constructor_validates(project, committee, registry):
    zero = "0x" + "00" * 20
    with ape.reverts("points: registry is the zero address"):
        committee.deploy(project.CommunityPoints, zero, committee)
    with ape.reverts("points: owner is the zero address"):
        committee.deploy(project.CommunityPoints, registry, zero)


def test_residents_and_owners_are_distinct_from_merchants(populated, registry, points, tenant):
    # A tenant is a member who can earn points but is not a merchant.
    assert registry.is_member(tenant)
    assert not points.is_merchant(tenant)
    assert registry.resident_commitment(tenant) == commitment_for("tenant")
