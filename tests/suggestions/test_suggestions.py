"""SuggestionBox: submission, answers and their allowed moves, points on acceptance,
the reward rate, the views and the deploy helper."""

from __future__ import annotations

import ape
import pytest

from backend.chain.deploy_consent import deploy_suggestions_and_consent
from tests.suggestions.conftest import (
    ACCEPTED,
    ALLOWED,
    DECLINED,
    DONE,
    IN_PROGRESS,
    REASON_SUGGESTION_ACCEPTED,
    RECEIVED,
    REWARD,
    SUBMITTED,
    h,
)
from tests.utils.reverts import assert_deploy_reverts

ZERO = b"\x00" * 32


# ---------------------------------------------------------------- submit


def test_submit_by_owner_and_tenant(box, chain, owner_a, tenant):
    tx = box.submit(2, h("more bicycle parking"), sender=owner_a)
    [log] = tx.decode_logs(box.SuggestionSubmitted)
    assert (log.suggestion_id, log.submitter, log.category) == (1, owner_a.address, 2)
    assert log.text_hash == h("more bicycle parking")
    assert log.submitted_at == chain.blocks.head.timestamp

    tx = box.submit(5, h("the lift in block 1 is noisy"), sender=tenant)
    assert tx.decode_logs(box.SuggestionSubmitted)[0].suggestion_id == 2
    assert box.suggestion_count() == 2

    s = box.suggestion(2)
    assert (s.submitter, s.category, s.status) == (tenant.address, 5, SUBMITTED)
    assert s.submitted_at == s.updated_at == chain.blocks.head.timestamp
    assert s.text_hash == h("the lift in block 1 is noisy")
    assert s.response_hash == ZERO
    assert box.status_of(2) == SUBMITTED


@pytest.mark.parametrize("who", ["attacker", "merchant", "manager", "committee"])
def test_submit_refused_to_non_members(box, who, request):
    with ape.reverts("suggestions: members only"):
        box.submit(1, h("x"), sender=request.getfixturevalue(who))


def test_submit_refuses_empty_fields(box, owner_a):
    with ape.reverts("suggestions: category required"):
        box.submit(0, h("x"), sender=owner_a)
    with ape.reverts("suggestions: empty text hash"):
        box.submit(1, ZERO, sender=owner_a)


def test_former_member_cannot_submit(box, registry, owner_b, tenant):
    registry.unlink_resident(tenant, sender=owner_b)
    with ape.reverts("suggestions: members only"):
        box.submit(1, h("x"), sender=tenant)


# ---------------------------------------------------------------- answers


def test_full_path_with_points(box, points, chain, submitted, owner_a, manager, committee):
    submitted_at = box.suggestion(submitted).submitted_at
    chain.pending_timestamp = submitted_at + 3_600
    tx = box.answer(submitted, RECEIVED, ZERO, sender=manager)
    [log] = tx.decode_logs(box.SuggestionAnswered)
    assert (log.suggestion_id, log.submitter, log.answered_by) == (submitted, owner_a.address, manager.address)
    assert (log.previous_status, log.status, log.category, log.points) == (SUBMITTED, RECEIVED, 2, 0)
    assert (log.submitted_at, log.answered_at, log.elapsed) == (submitted_at, submitted_at + 3_600, 3_600)
    assert log.response_hash == ZERO
    assert points.balanceOf(owner_a) == 0

    chain.pending_timestamp = submitted_at + 86_400
    tx = box.answer(submitted, ACCEPTED, h("we will add 40 racks"), sender=committee)
    [log] = tx.decode_logs(box.SuggestionAnswered)
    assert (log.previous_status, log.status, log.points, log.elapsed) == (RECEIVED, ACCEPTED, REWARD, 86_400)
    [minted] = tx.decode_logs(points.PointsMinted)
    assert (minted.to, minted.amount, minted.reason, minted.minter) == (owner_a.address, REWARD, REASON_SUGGESTION_ACCEPTED, box.address)
    assert points.balanceOf(owner_a) == REWARD

    box.answer(submitted, IN_PROGRESS, h("racks ordered"), sender=manager)
    tx = box.answer(submitted, IN_PROGRESS, ZERO, sender=manager)  # a progress report without text
    assert tx.decode_logs(box.SuggestionAnswered)[0].previous_status == IN_PROGRESS
    assert box.suggestion(submitted).response_hash == h("racks ordered"), "a zero hash keeps the last response"
    tx = box.answer(submitted, DONE, h("racks installed"), sender=manager)
    assert tx.decode_logs(box.SuggestionAnswered)[0].points == 0
    assert not tx.decode_logs(points.PointsMinted)
    s = box.suggestion(submitted)
    assert (s.status, s.response_hash, s.updated_at) == (DONE, h("racks installed"), chain.blocks.head.timestamp)
    assert points.balanceOf(owner_a) == REWARD


def test_accept_straight_away_then_done(box, points, submitted, owner_a, committee):
    box.answer(submitted, ACCEPTED, ZERO, sender=committee)
    box.answer(submitted, DONE, h("done"), sender=committee)
    assert points.balanceOf(owner_a) == REWARD
    assert box.status_of(submitted) == DONE


def test_decline_needs_a_response(box, points, submitted, owner_a, manager):
    with ape.reverts("suggestions: a decline needs a response"):
        box.answer(submitted, DECLINED, ZERO, sender=manager)
    box.answer(submitted, RECEIVED, ZERO, sender=manager)
    tx = box.answer(submitted, DECLINED, h("no budget this year"), sender=manager)
    [log] = tx.decode_logs(box.SuggestionAnswered)
    assert (log.previous_status, log.status, log.points) == (RECEIVED, DECLINED, 0)
    assert box.suggestion(submitted).response_hash == h("no budget this year")
    assert points.balanceOf(owner_a) == 0


@pytest.mark.parametrize("closed", [DONE, DECLINED])
@pytest.mark.parametrize("then", [RECEIVED, ACCEPTED, IN_PROGRESS, DONE, DECLINED])
def test_nothing_moves_out_of_a_closed_suggestion(box, submitted, manager, closed, then):
    if closed == DONE:
        box.answer(submitted, ACCEPTED, ZERO, sender=manager)
    box.answer(submitted, closed, h("closing"), sender=manager)
    with ape.reverts("suggestions: suggestion is closed"):
        box.answer(submitted, then, h("again"), sender=manager)


@pytest.mark.parametrize(
    "path,then",
    [
        ([], IN_PROGRESS),
        ([], DONE),
        ([RECEIVED], RECEIVED),
        ([RECEIVED], IN_PROGRESS),
        ([RECEIVED], DONE),
        ([ACCEPTED], ACCEPTED),
        ([ACCEPTED], RECEIVED),
        ([ACCEPTED], DECLINED),
        ([ACCEPTED, IN_PROGRESS], ACCEPTED),
        ([ACCEPTED, IN_PROGRESS], DECLINED),
        ([ACCEPTED, IN_PROGRESS], RECEIVED),
    ],
)
def test_transition_not_allowed(box, points, submitted, owner_a, committee, path, then):
    for status in path:
        box.answer(submitted, status, h("step"), sender=committee)
    with ape.reverts("suggestions: transition not allowed"):
        box.answer(submitted, then, h("bad"), sender=committee)
    assert points.balanceOf(owner_a) == (REWARD if ACCEPTED in path else 0)


@pytest.mark.parametrize("status", [0, SUBMITTED, 7, 255])
def test_unknown_status(box, submitted, manager, status):
    with ape.reverts("suggestions: unknown status"):
        box.answer(submitted, status, h("x"), sender=manager)


def test_unknown_suggestion(box, submitted, manager):
    with ape.reverts("suggestions: unknown suggestion"):
        box.answer(2, RECEIVED, ZERO, sender=manager)
    with ape.reverts("suggestions: unknown suggestion"):
        box.answer(0, RECEIVED, ZERO, sender=manager)
    with ape.reverts("suggestions: unknown suggestion"):
        box.suggestion(2)
    assert box.status_of(2) == 0


@pytest.mark.parametrize("who", ["attacker", "owner_a", "tenant", "merchant", "provider", "developer"])
def test_answer_refused_to_others(box, submitted, who, request):
    with ape.reverts("suggestions: committee or manager only"):
        box.answer(submitted, ACCEPTED, h("x"), sender=request.getfixturevalue(who))


def test_answer_refused_after_role_revoked(box, registry, roles, submitted, committee, manager):
    registry.revokeRole(roles["manager"], manager, sender=committee)
    with ape.reverts("suggestions: committee or manager only"):
        box.answer(submitted, RECEIVED, ZERO, sender=manager)


def test_can_move_matches_the_table(box):
    for a in range(8):
        for b in range(8):
            assert box.can_move(a, b) == ((a, b) in ALLOWED), (a, b)


# ---------------------------------------------------------------- reward rate


def test_set_reward_rate(box, points, committee, manager, attacker, owner_a, owner_c):
    assert box.reward_rate() == REWARD
    tx = box.set_reward_rate(25, sender=committee)
    [log] = tx.decode_logs(box.RewardRateSet)
    assert (log.previous, log.rate, log.set_by) == (REWARD, 25, committee.address)
    box.submit(1, h("a"), sender=owner_a)
    box.answer(1, ACCEPTED, ZERO, sender=manager)
    assert points.balanceOf(owner_a) == 25

    box.set_reward_rate(0, sender=committee)
    box.submit(1, h("b"), sender=owner_c)
    tx = box.answer(2, ACCEPTED, ZERO, sender=manager)
    assert tx.decode_logs(box.SuggestionAnswered)[0].points == 0
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(owner_c) == 0

    box.set_reward_rate(10**6, sender=committee)
    with ape.reverts("suggestions: reward rate out of range"):
        box.set_reward_rate(10**6 + 1, sender=committee)
    with ape.reverts("suggestions: assembly only"):
        box.set_reward_rate(1, sender=attacker)
    with ape.reverts("suggestions: assembly only"):
        box.set_reward_rate(1, sender=manager)
    assert box.reward_rate() == 10**6


# ---------------------------------------------------------------- deploy


def test_deploy_helper_wires_the_box(stack, populated, points):
    box = stack["SuggestionBox"]
    assert box.registry() == populated.registry.address
    assert box.points() == points.address
    assert points.is_minter(box)
    assert box.REASON_SUGGESTION_ACCEPTED() == REASON_SUGGESTION_ACCEPTED == points.REASON_SUGGESTION_ACCEPTED()
    assert (box.STATUS_SUBMITTED(), box.STATUS_DECLINED()) == (SUBMITTED, DECLINED)


def test_box_not_a_minter_cannot_pay(project, chain, populated, points, owner_a, owner_c, manager):
    """Deployed by someone who does not own the points: the committee must appoint it;
    until then accepting reverts in the points contract and nothing changes."""
    stack = deploy_suggestions_and_consent(project, chain, owner_c, populated)
    box = stack["SuggestionBox"]
    assert not points.is_minter(box)
    box.submit(1, h("x"), sender=owner_a)
    with ape.reverts("points: minter only"):
        box.answer(1, ACCEPTED, ZERO, sender=manager)
    assert box.status_of(1) == SUBMITTED


def test_constructor_refusals(project, chain, committee, registry, points):
    zero = "0x" + "0" * 40
    assert_deploy_reverts(chain, project.SuggestionBox, [zero, points, 1], committee, "suggestions: registry is the zero address")
    assert_deploy_reverts(chain, project.SuggestionBox, [registry, zero, 1], committee, "suggestions: points is the zero address")
    assert_deploy_reverts(chain, project.SuggestionBox, [registry, points, 10**6 + 1], committee, "suggestions: reward rate out of range")
