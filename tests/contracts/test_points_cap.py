"""CommunityPoints: the yearly cap on participation points per household.

The cap clips a mint (never reverts it), counts by Beijing calendar year and by the
registry's household, leaves committee grants (reason 1) alone, and is off (0) by
default."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import ape
import pytest

from tests.utils.identity import commitment_for
from tests.utils.households import link_resident

GRANT = 1
PARTICIPATION = (2, 3, 4, 5, 6, 7)
ON_TIME, VOTE, LIKE = 2, 3, 4
WALLET_HOUSEHOLD = 2**160
MAX_CAP = 2**128 - 1
BEIJING = timezone(timedelta(hours=8))


def beijing_year(timestamp: int) -> int:
    return datetime.fromtimestamp(timestamp, BEIJING).year


def beijing_new_year(year: int) -> int:
    """The Unix timestamp of 1 January `year`, 00:00 in Beijing (16:00 UTC the day before)."""
    return int(datetime(year, 1, 1, tzinfo=BEIJING).timestamp())


def block_time(chain, tx) -> int:
    return chain.blocks[tx.block_number].timestamp


def called_addresses(chain, tx) -> set[str]:
    """Every contract the transaction called, from the node's own call tracer."""
    root = chain.provider.make_request("debug_traceTransaction", [tx.txn_hash, {"tracer": "callTracer"}])
    seen, todo = set(), list(root.get("calls", []))
    while todo:
        call = todo.pop()
        seen.add(call["to"].lower())
        todo.extend(call.get("calls", []))
    return seen


@pytest.fixture
def housemate(registry, owner_b, accounts, chain):
    """A second resident linked to owner_b's unit 3: the tenant's household."""
    wallet = accounts.generate_test_account()
    chain.set_balance(wallet, 10**20)
    link_resident(registry, 3, wallet, commitment_for("housemate"), owner_b)
    return wallet


@pytest.fixture
def capped(populated, points, committee):
    points.set_household_cap(100, sender=committee)
    return points


def test_cap_is_off_by_default(populated, registry, points, committee, owner_a, chain):
    assert points.household_cap() == 0
    assert points.cap_remaining(owner_a) == 2**256 - 1
    tx = points.mint(owner_a, 10**9, VOTE, sender=committee)
    assert tx.return_value == 10**9
    assert points.balanceOf(owner_a) == 10**9
    assert not tx.decode_logs(points.MintClipped)
    # Nothing is counted while the cap is off, and the registry is not asked.
    assert points.household_points(registry.household_of(owner_a)) == (0, 0)
    assert registry.address.lower() not in called_addresses(chain, tx)


def test_committee_sets_the_cap(populated, points, committee):
    tx = points.set_household_cap(500, sender=committee)
    [event] = tx.decode_logs(points.HouseholdCapSet)
    assert (event.previous, event.cap, event.set_by) == (0, 500, committee.address)
    tx = points.set_household_cap(MAX_CAP, sender=committee)
    assert (tx.decode_logs(points.HouseholdCapSet)[0].previous, points.household_cap()) == (500, MAX_CAP)
    points.set_household_cap(0, sender=committee)
    assert points.household_cap() == 0
    with ape.reverts("points: cap out of range"):
        points.set_household_cap(MAX_CAP + 1, sender=committee)


def test_only_the_assembly_sets_the_cap(populated, points, committee, manager, owner_a, attacker):
    # A minter is not the assembly either.
    points.set_minter(manager, True, sender=committee)
    for outsider in (attacker, owner_a, manager):
        with ape.reverts("points: assembly only"):
            points.set_household_cap(1, sender=outsider)
    assert points.household_cap() == 0


def test_mint_is_clipped_exactly_at_the_cap(capped, registry, committee, owner_a, chain):
    points = capped
    household = registry.household_of(owner_a)
    assert points.cap_household_of(owner_a) == household
    tx = points.mint(owner_a, 60, ON_TIME, sender=committee)
    year = beijing_year(block_time(chain, tx))
    assert points.current_year() == year
    assert tx.return_value == 60 and not tx.decode_logs(points.MintClipped)
    assert points.household_points(household) == (year, 60)
    assert points.cap_remaining(owner_a) == 40
    # Exactly what is left: minted in full, nothing clipped.
    tx = points.mint(owner_a, 40, VOTE, sender=committee)
    assert tx.return_value == 40 and not tx.decode_logs(points.MintClipped)
    assert points.cap_remaining(owner_a) == 0
    # One more: clipped to 0, the call still succeeds, no token moves.
    tx = points.mint(owner_a, 1, LIKE, sender=committee)
    assert tx.return_value == 0
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.household, clip.to, clip.reason, clip.year, clip.requested, clip.minted, clip.cap) == (
        household, owner_a.address, LIKE, year, 1, 0, 100)
    assert not tx.decode_logs(points.PointsMinted)
    assert not tx.decode_logs(points.Transfer)
    assert points.balanceOf(owner_a) == points.totalSupply() == 100
    assert points.household_points(household) == (year, 100)


def test_partial_clip_mints_what_is_left(capped, registry, committee, owner_a):
    points = capped
    points.mint(owner_a, 70, ON_TIME, sender=committee)
    tx = points.mint(owner_a, 50, LIKE, sender=committee)
    assert tx.return_value == 30
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.requested, clip.minted) == (50, 30)
    [minted] = tx.decode_logs(points.PointsMinted)
    assert (minted.to, minted.amount, minted.reason, minted.minter) == (owner_a.address, 30, LIKE, committee.address)
    assert points.balanceOf(owner_a) == 100


def test_a_new_beijing_year_starts_from_nothing(capped, registry, committee, owner_a, chain):
    points = capped
    household = registry.household_of(owner_a)
    year = beijing_year(chain.pending_timestamp)
    points.mint(owner_a, 100, VOTE, sender=committee)
    new_year = beijing_new_year(year + 1)
    # 15:59:59 UTC on 31 December is still the old year in Beijing.
    chain.pending_timestamp = new_year - 1
    tx = points.mint(owner_a, 5, VOTE, sender=committee)
    assert block_time(chain, tx) == new_year - 1
    assert tx.return_value == 0
    assert tx.decode_logs(points.MintClipped)[0].year == year
    # 16:00 UTC is midnight in Beijing: the household's count starts again.
    chain.pending_timestamp = new_year
    tx = points.mint(owner_a, 150, VOTE, sender=committee)
    assert block_time(chain, tx) == new_year
    assert points.current_year() == year + 1
    assert tx.return_value == 100
    assert tx.decode_logs(points.MintClipped)[0].year == year + 1
    assert points.household_points(household) == (year + 1, 100)
    assert points.balanceOf(owner_a) == 200


def test_reading_an_earlier_year_counts_nothing(capped, committee, owner_a, chain):
    points = capped
    points.mint(owner_a, 90, VOTE, sender=committee)
    chain.mine(timestamp=beijing_new_year(beijing_year(chain.pending_timestamp) + 1))
    assert points.cap_remaining(owner_a) == 100


def test_committee_grants_are_neither_counted_nor_clipped(capped, registry, committee, owner_a):
    points = capped
    tx = points.mint(owner_a, 1_000, GRANT, sender=committee)
    assert tx.return_value == 1_000 and not tx.decode_logs(points.MintClipped)
    assert points.household_points(registry.household_of(owner_a)) == (0, 0)
    assert points.cap_remaining(owner_a) == 100
    points.mint(owner_a, 100, VOTE, sender=committee)
    assert points.mint(owner_a, 500, GRANT, sender=committee).return_value == 500
    assert points.balanceOf(owner_a) == 1_600


def test_only_the_committee_grants(capped, committee, manager, owner_a):
    # Another minter cannot label its mint a grant to escape the cap.
    points = capped
    points.set_minter(manager, True, sender=committee)
    with ape.reverts("points: grants by the committee only"):
        points.mint(owner_a, 10, GRANT, sender=manager)
    assert points.mint(owner_a, 150, VOTE, sender=manager).return_value == 100


def test_grant_with_the_cap_off_does_not_call_the_registry(capped, registry, committee, owner_a, chain):
    tx = capped.mint(owner_a, 10, GRANT, sender=committee)
    assert registry.address.lower() not in called_addresses(chain, tx)
    tx = capped.mint(owner_a, 10, VOTE, sender=committee)
    assert registry.address.lower() in called_addresses(chain, tx)


def test_every_participation_reason_counts(capped, committee, owner_c):
    points = capped
    for reason in PARTICIPATION:
        assert points.mint(owner_c, 15, reason, sender=committee).return_value == 15
    # A reason code no module uses yet counts as participation too: 90 + 15 > 100.
    tx = points.mint(owner_c, 15, 9, sender=committee)
    assert tx.return_value == 10
    assert points.balanceOf(owner_c) == 100


def test_members_of_one_household_share_the_cap(capped, registry, committee, owner_b, tenant, housemate):
    points = capped
    household = registry.household_of(tenant)
    assert registry.household_of(housemate) == household
    assert points.cap_household_of(housemate) == household
    assert points.mint(tenant, 70, LIKE, sender=committee).return_value == 70
    tx = points.mint(housemate, 70, ON_TIME, sender=committee)
    assert tx.return_value == 30
    assert tx.decode_logs(points.MintClipped)[0].household == household
    assert points.cap_remaining(tenant) == points.cap_remaining(housemate) == 0
    # The unit's owner is the same household: its residents' points are its points.
    assert registry.household_of(owner_b) == household
    assert points.mint(owner_b, 100, LIKE, sender=committee).return_value == 0


def test_an_owner_counts_once_across_units(capped, registry, committee, owner_a):
    # owner_a holds units 1 and 2: one identity, one household, one cap.
    assert registry.unit_owner(1) == registry.unit_owner(2) == owner_a.address
    capped.mint(owner_a, 80, ON_TIME, sender=committee)
    assert capped.mint(owner_a, 80, ON_TIME, sender=committee).return_value == 20


def test_a_recipient_without_household_has_a_cap_of_its_own(capped, registry, committee, merchant, provider):
    points = capped
    assert registry.household_of(merchant) == registry.household_of(provider) == 0
    merchant_key = WALLET_HOUSEHOLD | int(merchant.address, 16)
    assert points.cap_household_of(merchant) == merchant_key
    assert points.cap_household_of(provider) == WALLET_HOUSEHOLD | int(provider.address, 16)
    tx = points.mint(merchant, 130, 6, sender=committee)
    assert tx.return_value == 100
    assert tx.decode_logs(points.MintClipped)[0].household == merchant_key
    # Another wallet outside any household is not the merchant's household.
    assert points.mint(provider, 130, 6, sender=committee).return_value == 100
    assert points.cap_remaining(merchant) == points.cap_remaining(provider) == 0


def test_a_lowered_cap_applies_at_once(capped, committee, owner_a):
    points = capped
    points.mint(owner_a, 80, VOTE, sender=committee)
    points.set_household_cap(50, sender=committee)
    assert points.cap_remaining(owner_a) == 0
    tx = points.mint(owner_a, 1, VOTE, sender=committee)
    assert tx.return_value == 0 and tx.decode_logs(points.MintClipped)[0].cap == 50
    points.set_household_cap(120, sender=committee)
    assert points.mint(owner_a, 100, VOTE, sender=committee).return_value == 40


def test_points_minted_while_the_cap_is_off_are_not_counted(populated, registry, points, committee, owner_a, chain):
    points.mint(owner_a, 500, VOTE, sender=committee)
    points.set_household_cap(50, sender=committee)
    # Switched on mid-year: the count starts now.
    assert points.mint(owner_a, 60, VOTE, sender=committee).return_value == 50
    points.set_household_cap(0, sender=committee)
    tx = points.mint(owner_a, 60, VOTE, sender=committee)
    assert tx.return_value == 60
    year = beijing_year(block_time(chain, tx))
    assert points.household_points(registry.household_of(owner_a)) == (year, 50)
    assert points.balanceOf(owner_a) == 610


def test_refusals_come_before_the_cap(capped, committee, owner_a, attacker):
    points = capped
    points.mint(owner_a, 100, VOTE, sender=committee)
    with ape.reverts("points: minter only"):
        points.mint(owner_a, 10, VOTE, sender=attacker)
    with ape.reverts("points: zero amount"):
        points.mint(owner_a, 0, VOTE, sender=committee)
    with ape.reverts("points: reason required"):
        points.mint(owner_a, 10, 0, sender=committee)
