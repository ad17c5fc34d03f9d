"""SuggestionBox under the points' yearly household cap: accepting a suggestion whose
submitter's household is at its cap still succeeds."""

from __future__ import annotations

import ape

from tests.suggestions.conftest import ACCEPTED, REASON_SUGGESTION_ACCEPTED, REWARD, h


def test_accept_succeeds_when_the_submitter_is_at_the_cap(box, points, submitted, owner_a, committee):
    points.set_household_cap(1, sender=committee)
    points.mint(owner_a, 1, 3, sender=committee)
    tx = box.answer(submitted, ACCEPTED, h("yes"), sender=committee)
    assert tx.decode_logs(box.SuggestionAnswered)[0].status == ACCEPTED
    [clip] = tx.decode_logs(points.MintClipped)
    assert (clip.to, clip.reason, clip.requested, clip.minted) == (owner_a.address, REASON_SUGGESTION_ACCEPTED, REWARD, 0)
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_a) == 1
    assert box.suggestion(submitted).status == ACCEPTED


def test_suggestion_points_have_a_yearly_cap_per_household(box, points, registry, committee, manager, owner_b,
                                                           tenant, owner_c, attacker):
    """Issue 16, attack 5: the manager's points per accepted suggestion had no limit. Now
    a household receives at most the assembly's `suggestion_cap` a year for suggestions,
    whoever in it submitted them; MintClipped says what was cut."""
    with ape.reverts("points: assembly only"):
        points.set_suggestion_cap(REWARD, sender=manager)
    tx = points.set_suggestion_cap(2 * REWARD, sender=committee)
    assert (tx.decode_logs(points.SuggestionCapSet)[0].cap, points.suggestion_cap()) == (2 * REWARD, 2 * REWARD)
    household = registry.household_of(owner_b)
    ids = []
    for n, who in enumerate((owner_b, tenant, owner_b, owner_c)):
        box.submit(1, h(f"idea {n}"), sender=who)
        ids.append(box.suggestion_count())
    minted = [box.answer(i, ACCEPTED, h("yes"), sender=manager) for i in ids]
    assert [tx.decode_logs(box.SuggestionAnswered)[0].points for tx in minted] == [REWARD, REWARD, 0, REWARD]
    [clip] = minted[2].decode_logs(points.MintClipped)
    assert (clip.household, clip.reason, clip.requested, clip.minted, clip.cap) == (
        household, REASON_SUGGESTION_ACCEPTED, REWARD, 0, 2 * REWARD)
    assert points.suggestion_points(household)[1] == 2 * REWARD
    assert points.balanceOf(owner_b) + points.balanceOf(tenant) == 2 * REWARD
    assert points.balanceOf(owner_c) == REWARD
    # Other reasons are not counted against it.
    assert points.mint(owner_b, 5, 3, sender=committee).return_value == 5
