"""One household (issue 16, attacks 3 and 4, registry and points side): a household is an
owner identity together with the residents linked to its units, and the points cap is
keyed to it for good.

3. Three linked wallets shared a cap of 10, but earned, unlinked and each started a
   fresh cap; an owner linked its own alt wallets under its own commitment; a link
   needed no consent, so an owner could link someone else's wallet and block a
   `register_units` batch that included it.
4. Residents stayed linked after a sale; the committee could link its own wallet to
   any unit.

The fee side of attack 4 (points accrued by a unit's payments) is in tests/fees; the
like rule in tests/culture/test_households.py.
"""

from __future__ import annotations

import ape

from backend.chain.deployment import role_id
import pytest

from tests.conftest import CHANGE_DELAY
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for

LIKE = 4
CAP = 10


@pytest.fixture
def wallets(accounts, chain):
    """Three fresh wallets (a family's phones, or one person's alts)."""
    made = [accounts.generate_test_account() for _ in range(3)]
    for wallet in made:
        chain.set_balance(wallet.address, 10**20)
    return made


@pytest.fixture
def capped(populated, points, committee):
    points.set_household_cap(CAP, sender=committee)
    return points


def test_earning_then_unlinking_never_starts_a_fresh_cap(capped, registry, committee, owner_b, wallets):
    """Attack 3a: three wallets linked to one unit earn, unlink and try to earn again."""
    points, household = capped, registry.household_of(owner_b)
    for n, wallet in enumerate(wallets):
        link_resident(registry, 3, wallet, commitment_for(f"family-{n}"), owner_b)
        assert points.cap_household_of(wallet) == household
    minted = [points.mint(w, CAP, LIKE, sender=committee).return_value for w in wallets]
    assert minted == [CAP, 0, 0]
    for wallet in wallets:
        registry.unlink_resident(wallet, sender=wallet)
        assert not registry.is_member(wallet)
        # Out of the household, but counted under it for good.
        assert points.cap_household_of(wallet) == household
        tx = points.mint(wallet, CAP, LIKE, sender=committee)
        assert tx.return_value == 0
        assert tx.decode_logs(points.MintClipped)[0].household == household
    assert sum(points.balanceOf(w) for w in wallets) == CAP


def test_moving_to_another_household_counts_under_that_household(capped, registry, committee, owner_b, owner_c,
                                                                 wallets):
    """Moving between units is no fresh cap either: the wallet counts under the household
    it joins, whose cap is already shared with its owner."""
    points, mover = capped, wallets[0]
    link_resident(registry, 3, mover, commitment_for("mover"), owner_b)
    assert points.mint(mover, CAP, LIKE, sender=committee).return_value == CAP
    assert points.mint(owner_c, 7, LIKE, sender=committee).return_value == 7
    registry.unlink_resident(mover, sender=mover)
    link_resident(registry, 4, mover, commitment_for("mover"), owner_c)
    assert points.cap_household_of(mover) == registry.household_of(owner_c)
    assert points.mint(mover, CAP, LIKE, sender=committee).return_value == CAP - 7
    for owner in (owner_b, owner_c):
        assert points.household_points(registry.household_of(owner))[1] == CAP


def test_an_owner_cannot_link_alt_wallets_under_its_own_commitment(populated, registry, owner_a, wallets):
    """Attack 3b: one commitment is one person; an owner's alts under fresh commitments
    are residents of its own household, so they gain it nothing (see the like rule in
    tests/culture/test_households.py)."""
    own = commitment_for("owner_a")
    with ape.reverts("registry: commitment is an owner's"):
        registry.invite_resident(1, wallets[0], own, sender=owner_a)
    link_resident(registry, 1, wallets[0], commitment_for("alt-0"), owner_a)
    with ape.reverts("registry: commitment is another resident's"):
        registry.invite_resident(2, wallets[1], commitment_for("alt-0"), sender=owner_a)
    assert registry.household_of(wallets[0]) == registry.household_of(owner_a)


def test_a_link_needs_the_wallets_consent(populated, registry, committee, owner_a, wallets):
    """Attack 3c: an owner invites a wallet that is about to be registered as another
    unit's owner; the invitation links nothing, and the registration goes through."""
    newcomer = wallets[0]
    registry.invite_resident(1, newcomer, commitment_for("unwilling"), sender=owner_a)
    assert registry.resident_unit(newcomer) == 0 and not registry.is_member(newcomer)
    tx = registry.register_units([("2-1-101", 9_000, newcomer.address, commitment_for("newcomer")),
                                  ("2-1-102", 9_000, wallets[1].address, commitment_for("newcomer-2"))],
                                 sender=committee)
    assert len(tx.decode_logs(registry.UnitRegistered)) == 2
    # An owner's wallet cannot accept a residence afterwards either.
    with ape.reverts("registry: wallet is an owner"):
        registry.accept_residence(1, commitment_for("unwilling"), sender=newcomer)


def test_a_sale_ends_the_sellers_links(populated, registry, committee, owner_b, tenant, attacker, chain):
    """Attack 4a: the seller's tenant is no longer a resident of the sold unit."""
    registry.request_transfer(3, attacker, commitment_for("buyer"), sender=committee)
    chain.pending_timestamp += CHANGE_DELAY
    registry.execute_transfer(3, sender=committee)
    assert registry.resident_unit(tenant) == 0
    assert not registry.is_member(tenant)
    assert registry.household_of(tenant) == 0
    # Still counted under the seller's household for points, never under the buyer's.
    assert registry.household_key(tenant) == registry.household_key(owner_b)
    assert registry.household_key(tenant) != registry.household_of(attacker)
    # The old invitation of the seller is void too: the buyer invites again if it wants.
    with ape.reverts("registry: not a linked resident"):
        registry.unlink_resident(tenant, sender=attacker)


def test_the_committee_cannot_link_itself_to_a_unit(populated, registry, committee, owner_a):
    """Attack 4b: only a unit's owner invites, and only the invited wallet accepts."""
    for unit in (1, 3, 4):
        with ape.reverts("registry: only the unit's owner"):
            registry.invite_resident(unit, committee, commitment_for("committee-as-tenant"), sender=committee)
    with ape.reverts("registry: no such invitation"):
        registry.accept_residence(1, commitment_for("committee-as-tenant"), sender=committee)
    assert not registry.is_member(committee)


def test_a_tenant_moves_out(capped, registry, committee, owner_b, tenant):
    """The legitimate path: the tenant leaves on its own; its points stay, the household's
    count stays, and a new owner may invite it elsewhere."""
    points = capped
    assert points.mint(tenant, 4, LIKE, sender=committee).return_value == 4
    tx = registry.unlink_resident(tenant, sender=tenant)
    assert tx.decode_logs(registry.ResidentUnlinked)[0].unlinked_by == tenant.address
    assert points.balanceOf(tenant) == 4
    assert points.cap_remaining(tenant) == points.cap_remaining(owner_b) == CAP - 4
    # Its commitment is free again for its next link (with a new phone, say).
    assert registry.resident_by_commitment(commitment_for("tenant")) == "0x" + "00" * 20


def test_a_buyers_new_household_earns_its_own_points(capped, registry, committee, owner_b, tenant, attacker, chain):
    """The legitimate path: the seller's household used its cap; the buyer is a household
    of its own, and the tenant it invites back (with the tenant's consent) counts there."""
    points, buyer = capped, attacker
    points.mint(owner_b, CAP, LIKE, sender=committee)
    registry.request_transfer(3, buyer, commitment_for("buyer"), sender=committee)
    chain.pending_timestamp += CHANGE_DELAY
    registry.execute_transfer(3, sender=committee)
    assert points.cap_remaining(buyer) == CAP
    link_resident(registry, 3, tenant, commitment_for("tenant"), buyer)
    assert registry.household_of(tenant) == registry.household_of(buyer)
    assert points.mint(tenant, 6, LIKE, sender=committee).return_value == 6
    assert points.mint(buyer, 6, LIKE, sender=committee).return_value == 4
    assert points.cap_remaining(owner_b) == 0


def test_a_wallet_acts_for_its_identity_only_while_no_recovery_is_pending(populated, registry, committee, owner_a,
                                                                          tenant, accounts):
    """active_identity (what delegation asks): the identity of an owner wallet, refused for
    a wallet bound to none and for one whose recovery is pending."""
    assert registry.active_identity(owner_a) == registry.identity_of(owner_a)[1] == 0
    with ape.reverts("registry: not an owner wallet"):
        registry.active_identity(tenant)
    phone = accounts.generate_test_account()
    registry.request_recovery(owner_a, phone, commitment_for("evidence"), sender=committee)
    with ape.reverts("registry: recovery pending"):
        registry.active_identity(owner_a)
    # The roles' names as the deploy scripts and the constitution hash them.
    assert registry.ASSEMBLY_ROLE() == role_id("assembly")
    assert registry.CASHIER_ROLE() == role_id("cashier")


def test_the_committees_grants_stay_within_the_assemblys_yearly_allowance(populated, registry, points, committee,
                                                                          owner_a, roles, accounts, chain):
    """A committee member grants (reason 1) up to the allowance the assembly set for the
    year; the assembly's own grants are not counted."""
    member = accounts.generate_test_account()
    chain.set_balance(member.address, 10**20)
    registry.grantRole(roles["committee"], member, sender=committee)
    with ape.reverts("points: assembly only"):
        points.set_grant_allowance(100, sender=member)
    points.set_grant_allowance(100, sender=committee)  # the deployer holds the assembly's place before the hand-over
    assert points.grant_allowance() == 100
    points.mint(owner_a, 60, 1, sender=member)
    assert points.granted_this_year() == 60
    with ape.reverts("points: over the committee's yearly grant allowance"):
        points.mint(owner_a, 41, 1, sender=member)
    points.mint(owner_a, 40, 1, sender=member)
    points.mint(owner_a, 500, 1, sender=committee)
    assert points.granted_this_year() == 100
