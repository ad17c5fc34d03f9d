"""SuggestionBox under the points' yearly household cap: accepting a suggestion whose
submitter's household is at its cap still succeeds."""

from __future__ import annotations

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
