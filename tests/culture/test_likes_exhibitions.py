"""CultureWorks: likes and their points within the daily cap, exhibitions,
committee settings, and every privileged function refused to outsiders."""

from __future__ import annotations

import ape
import pytest

from tests.culture.conftest import BEIJING, DAY, HOUR, beijing_day, sha

REASON_CULTURE_LIKE = 4


# ---------------------------------------------------------------- likes


def test_like_mints_points_to_the_creator(culture, registry, points, mint, owner_a, owner_b, chain):
    token_id, _ = mint(owner_a, "w")
    tx = culture.like(token_id, sender=owner_b)
    assert tx.return_value == 1
    assert points.balanceOf(owner_a) == 1
    assert culture.liked(registry.household_of(owner_b), token_id)
    day = beijing_day(chain.blocks[tx.block_number].timestamp)
    assert culture.creator_day(owner_a) == (day, 1)
    [event] = tx.decode_logs(culture.WorkLiked)
    assert (event.token_id, event.liker, event.household, event.creator) == (
        token_id, owner_b.address, registry.household_of(owner_b), owner_a.address
    )
    assert (event.points_minted, event.day, event.creator_day_total) == (1, day, 1)
    [minted] = tx.decode_logs(points.PointsMinted)
    assert (minted.to, minted.amount, minted.reason, minted.minter) == (owner_a.address, 1, REASON_CULTURE_LIKE, culture.address)


def test_one_like_per_household(culture, mint, owner_a, owner_b, tenant, housemate):
    token_id, _ = mint(owner_a, "w")
    culture.like(token_id, sender=tenant)
    # The housemate shares the tenant's household (unit 3's residents).
    with ape.reverts("culture: household already liked this work"):
        culture.like(token_id, sender=housemate)
    with ape.reverts("culture: household already liked this work"):
        culture.like(token_id, sender=tenant)
    # Unit 3's owner is the same household as its residents.
    with ape.reverts("culture: household already liked this work"):
        culture.like(token_id, sender=owner_b)


def test_no_like_from_the_creators_household(culture, mint, owner_a, tenant, housemate):
    token_id, _ = mint(owner_a, "w")
    with ape.reverts("culture: cannot like own household's work"):
        culture.like(token_id, sender=owner_a)
    tenant_work, _ = mint(tenant, "tenant-work")
    with ape.reverts("culture: cannot like own household's work"):
        culture.like(tenant_work, sender=housemate)


def test_like_refusals(culture, mint, committee, owner_a, owner_b, attacker, merchant):
    token_id, _ = mint(owner_a, "w")
    for outsider in (attacker, merchant, committee):
        with ape.reverts("culture: members only"):
            culture.like(token_id, sender=outsider)
    with ape.reverts("culture: unknown work"):
        culture.like(token_id + 1, sender=owner_b)
    culture.hide_work(token_id, sha("r"), sender=committee)
    with ape.reverts("culture: work is hidden"):
        culture.like(token_id, sender=owner_b)
    culture.unhide_work(token_id, sha("r"), sender=committee)
    culture.like(token_id, sender=owner_b)


def test_likes_after_a_gift_still_reward_the_creator(culture, registry, points, mint, owner_a, owner_b, owner_c):
    token_id, _ = mint(owner_a, "w")
    culture.gift(owner_b, token_id, sender=owner_a)
    tx = culture.like(token_id, sender=owner_c)
    assert tx.decode_logs(culture.WorkLiked)[0].creator == owner_a.address
    assert points.balanceOf(owner_a) == 1
    assert points.balanceOf(owner_b) == 0
    # The recipient's household is not the creator's: it may like the work it was given.
    culture.like(token_id, sender=owner_b)
    assert points.balanceOf(owner_a) == 2


def test_daily_cap_and_next_beijing_day(culture, registry, points, mint, committee, owner_a, owner_b, owner_c, neighbour, developer, housemate, chain):
    culture.set_like_reward(3, 7, sender=committee)
    works = [mint(owner_a, f"w{i}")[0] for i in range(3)]
    # Start just after a Beijing midnight so the day does not turn mid-test.
    now = chain.pending_timestamp
    midnight = ((now + BEIJING) // DAY + 1) * DAY - BEIJING
    chain.mine(timestamp=midnight + HOUR)
    minted = [culture.like(works[0], sender=who).return_value for who in (owner_b, owner_c, neighbour, developer)]
    assert minted == [3, 3, 1, 0]
    assert points.balanceOf(owner_a) == 7
    over = culture.like(works[1], sender=owner_b)
    [event] = over.decode_logs(culture.WorkLiked)
    assert (event.points_minted, event.creator_day_total) == (0, 7)
    assert not over.decode_logs(points.PointsMinted)
    assert culture.liked(registry.household_of(owner_b), works[1])  # recorded all the same
    # 15:59:59 UTC is still the same Beijing day; 16:00 UTC is the next one.
    chain.pending_timestamp = midnight + DAY - 1
    late = culture.like(works[1], sender=owner_c)
    assert chain.blocks[late.block_number].timestamp == midnight + DAY - 1
    assert late.return_value == 0
    chain.pending_timestamp = midnight + DAY
    tx = culture.like(works[2], sender=owner_b)
    assert tx.return_value == 3
    assert culture.creator_day(owner_a) == (beijing_day(midnight + DAY), 3)
    assert points.balanceOf(owner_a) == 10


def test_the_cap_is_per_creator(culture, points, mint, committee, owner_a, owner_b, owner_c):
    culture.set_like_reward(5, 5, sender=committee)
    a, _ = mint(owner_a, "a")
    b, _ = mint(owner_b, "b")
    assert culture.like(a, sender=owner_c).return_value == 5
    assert culture.like(b, sender=owner_c).return_value == 5
    assert (points.balanceOf(owner_a), points.balanceOf(owner_b)) == (5, 5)


def test_lowering_the_cap_stops_rewards_that_day(culture, points, mint, committee, owner_a, owner_b, owner_c, developer, chain):
    culture.set_like_reward(4, 10, sender=committee)
    now = chain.pending_timestamp
    chain.mine(timestamp=((now + BEIJING) // DAY + 1) * DAY - BEIJING + HOUR)
    w, _ = mint(owner_a, "w")
    culture.like(w, sender=owner_b)
    culture.set_like_reward(4, 3, sender=committee)
    assert culture.like(w, sender=owner_c).return_value == 0
    culture.set_like_reward(4, 6, sender=committee)
    assert culture.like(w, sender=developer).return_value == 2
    assert points.balanceOf(owner_a) == 6


def test_rate_zero_mints_nothing(culture, points, mint, committee, owner_a, owner_b):
    culture.set_like_reward(0, 10, sender=committee)
    w, _ = mint(owner_a, "w")
    tx = culture.like(w, sender=owner_b)
    assert tx.return_value == 0
    assert not tx.decode_logs(points.PointsMinted)
    assert culture.creator_day(owner_a) == (0, 0)


def test_set_like_reward(culture, committee):
    tx = culture.set_like_reward(2, 50, sender=committee)
    [event] = tx.decode_logs(culture.LikeRewardSet)
    assert (event.rate, event.daily_cap, event.set_by) == (2, 50, committee.address)
    assert culture.like_reward() == (2, 50)
    # The gift switch is kept.
    assert culture.gifts_enabled()
    culture.set_gifts_enabled(False, sender=committee)
    culture.set_like_reward(1, 1, sender=committee)
    assert not culture.gifts_enabled()
    for rate, cap in ((2**64, 1), (1, 2**64)):
        with ape.reverts("culture: reward out of range"):
            culture.set_like_reward(rate, cap, sender=committee)


def test_current_day(culture, chain):
    chain.mine(timestamp=chain.pending_timestamp + 10)
    assert culture.current_day() == beijing_day(chain.blocks.head.timestamp)


# ---------------------------------------------------------------- exhibitions


def test_exhibitions(culture, mint, committee, owner_a, owner_b):
    a, _ = mint(owner_a, "a")
    b, _ = mint(owner_b, "b")
    tx = culture.create_exhibition("2026 春节书法展", sender=committee)
    assert tx.return_value == 1
    [event] = tx.decode_logs(culture.ExhibitionCreated)
    assert (event.exhibition_id, event.title, event.created_by) == (1, "2026 春节书法展", committee.address)
    assert culture.create_exhibition("摄影展", sender=committee).return_value == 2
    assert culture.exhibition_count() == 2
    tx = culture.add_to_exhibition(1, a, sender=committee)
    [event] = tx.decode_logs(culture.ExhibitionWorkAdded)
    assert (event.exhibition_id, event.token_id, event.size, event.added_by) == (1, a, 1, committee.address)
    culture.add_to_exhibition(1, b, sender=committee)
    culture.add_to_exhibition(2, a, sender=committee)
    assert culture.exhibition_size(1) == 2 and culture.exhibition_size(2) == 1
    assert culture.in_exhibition(1, a) and culture.in_exhibition(1, b) and not culture.in_exhibition(2, b)
    tx = culture.remove_from_exhibition(1, a, sender=committee)
    [event] = tx.decode_logs(culture.ExhibitionWorkRemoved)
    assert (event.exhibition_id, event.token_id, event.size, event.removed_by) == (1, a, 1, committee.address)
    assert not culture.in_exhibition(1, a)
    assert culture.in_exhibition(2, a)


def test_exhibition_refusals(culture, mint, committee, owner_a):
    a, _ = mint(owner_a, "a")
    with ape.reverts("culture: empty title"):
        culture.create_exhibition("", sender=committee)
    for eid in (0, 1):
        with ape.reverts("culture: unknown exhibition"):
            culture.add_to_exhibition(eid, a, sender=committee)
        with ape.reverts("culture: unknown exhibition"):
            culture.remove_from_exhibition(eid, a, sender=committee)
    culture.create_exhibition("展", sender=committee)
    with ape.reverts("culture: unknown work"):
        culture.add_to_exhibition(1, a + 1, sender=committee)
    with ape.reverts("culture: not in exhibition"):
        culture.remove_from_exhibition(1, a, sender=committee)
    culture.add_to_exhibition(1, a, sender=committee)
    with ape.reverts("culture: already in exhibition"):
        culture.add_to_exhibition(1, a, sender=committee)
    b, _ = mint(owner_a, "b")
    culture.hide_work(b, sha("r"), sender=committee)
    with ape.reverts("culture: work is hidden"):
        culture.add_to_exhibition(1, b, sender=committee)


# ---------------------------------------------------------------- privileged functions


PRIVILEGED = [
    ("hide_work", lambda w: (w, sha("r"))),
    ("unhide_work", lambda w: (w, sha("r"))),
    ("set_like_reward", lambda w: (100, 1_000)),
    ("set_gifts_enabled", lambda w: (False,)),
    ("create_exhibition", lambda w: ("fake",)),
    ("add_to_exhibition", lambda w: (1, w)),
    ("remove_from_exhibition", lambda w: (1, w)),
]


@pytest.mark.parametrize("name, args", PRIVILEGED, ids=[p[0] for p in PRIVILEGED])
@pytest.mark.parametrize("who", ["attacker", "manager", "owner_a"])
def test_privileged_functions_refuse_non_committee(culture, mint, committee, owner_a, actors, name, args, who):
    w, _ = mint(owner_a, "w")
    culture.create_exhibition("展", sender=committee)
    culture.add_to_exhibition(1, w, sender=committee)
    if name == "unhide_work":
        culture.hide_work(w, sha("r"), sender=committee)
    reason = "culture: assembly only" if name == "set_like_reward" else "culture: committee only"
    with ape.reverts(reason):
        getattr(culture, name)(*args(w), sender=actors[who])
