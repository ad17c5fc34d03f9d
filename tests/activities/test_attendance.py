"""Sign-up and its cancellation, organiser check-in, check-in codes (EIP-712), points."""

from __future__ import annotations

import ape
import pytest
from eth_account import Account

from tests.activities.conftest import CAPACITY, GRACE, HOUR, POINTS, REASON_ACTIVITY, h, sign_code


def seat(activities, activity_id, who):
    return tuple(activities.seat(activity_id, who))


# ---------------------------------------------------------------- sign-up


def test_sign_up(activities, activity, owner_a, tenant):
    tx = activities.sign_up(activity, sender=owner_a)
    assert [(e.activity_id, e.resident, e.signed_up) for e in tx.decode_logs(activities.SignedUp)] == [(activity, owner_a.address, 1)]
    tx = activities.sign_up(activity, sender=tenant)
    assert tx.decode_logs(activities.SignedUp)[0].signed_up == 2
    assert activities.activity(activity).signed_up == 2
    assert seat(activities, activity, owner_a) == (True, False, False, 0)


def test_sign_up_refusals(activities, activity, owner_a, attacker, merchant):
    with ape.reverts("activities: unknown activity"):
        activities.sign_up(99, sender=owner_a)
    for outsider in (attacker, merchant):
        with ape.reverts("activities: residents only"):
            activities.sign_up(activity, sender=outsider)
    activities.sign_up(activity, sender=owner_a)
    with ape.reverts("activities: already signed up"):
        activities.sign_up(activity, sender=owner_a)


def test_capacity_enforced(activities, activity, owner_a, owner_b, owner_c, tenant):
    for who in (owner_a, owner_b, owner_c):
        activities.sign_up(activity, sender=who)
    assert activities.activity(activity).signed_up == CAPACITY
    with ape.reverts("activities: full"):
        activities.sign_up(activity, sender=tenant)
    # A place given back can be taken.
    activities.cancel_sign_up(activity, sender=owner_b)
    activities.sign_up(activity, sender=tenant)
    assert activities.activity(activity).signed_up == CAPACITY


def test_sign_up_closes_at_start(activities, activity, owner_a, owner_b, clock):
    activities.sign_up(activity, sender=owner_b)
    clock.start(activity, -1)
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    with ape.reverts("activities: sign-up closed"):
        activities.cancel_sign_up(activity, sender=owner_b)
    with ape.reverts("activities: sign-up closed"):
        activities.sign_up(activity, sender=owner_b)


def test_cancel_sign_up(activities, activity, owner_a):
    activities.sign_up(activity, sender=owner_a)
    tx = activities.cancel_sign_up(activity, sender=owner_a)
    assert [(e.activity_id, e.resident, e.signed_up) for e in tx.decode_logs(activities.SignUpCancelled)] == [(activity, owner_a.address, 0)]
    assert seat(activities, activity, owner_a) == (False, False, False, 0)
    assert activities.activity(activity).signed_up == 0
    activities.sign_up(activity, sender=owner_a)
    assert activities.activity(activity).signed_up == 1


def test_cancel_sign_up_refusals(activities, activity, owner_a, owner_c, clock):
    with ape.reverts("activities: unknown activity"):
        activities.cancel_sign_up(99, sender=owner_a)
    with ape.reverts("activities: not signed up"):
        activities.cancel_sign_up(activity, sender=owner_a)
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity, -GRACE)
    activities.check_in(activity, [owner_a], sender=owner_c)
    with ape.reverts("activities: already checked in"):
        activities.cancel_sign_up(activity, sender=owner_a)


# ---------------------------------------------------------------- organiser check-in


def test_organiser_checks_in_a_batch(activities, points, activity, owner_a, owner_b, tenant, owner_c, clock):
    for who in (owner_a, owner_b, tenant):
        activities.sign_up(activity, sender=who)
    clock.start(activity)
    tx = activities.check_in(activity, [owner_a, tenant], sender=owner_c)
    logs = tx.decode_logs(activities.CheckedIn)
    assert [(e.activity_id, e.attendee, e.checked_in_by, e.points, e.by_code) for e in logs] == [
        (activity, owner_a.address, owner_c.address, POINTS, False),
        (activity, tenant.address, owner_c.address, POINTS, False),
    ]
    minted = tx.decode_logs(points.PointsMinted)
    assert [(e.to, e.amount, e.reason, e.minter) for e in minted] == [
        (owner_a.address, POINTS, REASON_ACTIVITY, activities.address),
        (tenant.address, POINTS, REASON_ACTIVITY, activities.address),
    ]
    assert points.balanceOf(owner_a) == POINTS and points.balanceOf(tenant) == POINTS and points.balanceOf(owner_b) == 0
    assert activities.activity(activity).checked_in == 2
    assert seat(activities, activity, owner_a) == (True, True, False, 0)


def test_check_in_twice_mints_once(activities, points, activity, owner_a, owner_b, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    activities.sign_up(activity, sender=owner_b)
    clock.start(activity)
    activities.check_in(activity, [owner_a], sender=owner_c)
    with ape.reverts("activities: already checked in"):
        activities.check_in(activity, [owner_a], sender=owner_c)
    # A duplicate inside one batch refuses the whole batch.
    with ape.reverts("activities: already checked in"):
        activities.check_in(activity, [owner_b, owner_b], sender=owner_c)
    assert points.balanceOf(owner_a) == POINTS and points.balanceOf(owner_b) == 0
    assert points.totalSupply() == POINTS


def test_check_in_refusals(activities, activity, owner_a, owner_b, owner_c, attacker, committee, clock):
    activities.sign_up(activity, sender=owner_a)
    with ape.reverts("activities: no attendees"):
        activities.check_in(activity, [], sender=owner_c)
    with ape.reverts("activities: unknown activity"):
        activities.check_in(99, [owner_a], sender=owner_c)
    with ape.reverts("activities: check-in not open yet"):
        activities.check_in(activity, [owner_a], sender=owner_c)
    clock.start(activity, -GRACE)
    for intruder in (attacker, committee, owner_a):
        with ape.reverts("activities: organiser only"):
            activities.check_in(activity, [owner_a], sender=intruder)
    with ape.reverts("activities: not signed up"):
        activities.check_in(activity, [owner_a, owner_b], sender=owner_c)
    activities.check_in(activity, [owner_a], sender=owner_c)


def test_check_in_window_closes_after_grace(activities, activity, owner_a, owner_b, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    activities.sign_up(activity, sender=owner_b)
    clock.end(activity, GRACE)
    activities.check_in(activity, [owner_a], sender=owner_c)
    clock.end(activity, GRACE + 1)
    with ape.reverts("activities: check-in closed"):
        activities.check_in(activity, [owner_b], sender=owner_c)


def test_check_in_one_second_before_the_window(activities, activity, owner_a, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity, -GRACE - 1)
    with ape.reverts("activities: check-in not open yet"):
        activities.check_in(activity, [owner_a], sender=owner_c)


def test_cancelled_or_proposed_activity_refuses_check_in(activities, committee, owner_a, owner_c, activity, times, clock):
    activities.propose_activity("t", h("d"), times[0], times[1], 5, 1, sender=owner_a)
    activities.cancel_activity(activity, h("x"), sender=committee)
    clock.start(activity)
    with ape.reverts("activities: not open"):
        activities.check_in(activity, [owner_a], sender=owner_c)
    with ape.reverts("activities: not open"):
        activities.check_in(activity + 1, [owner_a], sender=owner_a)


def test_zero_points_activity_records_attendance_without_minting(activities, points, create, owner_a, owner_c, clock):
    activity = create(owner_c, points=0)
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    tx = activities.check_in(activity, [owner_a], sender=owner_c)
    assert tx.decode_logs(points.PointsMinted) == []
    assert tx.decode_logs(activities.CheckedIn)[0].points == 0
    assert seat(activities, activity, owner_a)[1] and points.totalSupply() == 0


def test_check_in_without_minter_role_reverts(activities, points, committee, activity, owner_a, owner_c, clock):
    points.set_minter(activities, False, sender=committee)
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    with ape.reverts("points: minter only"):
        activities.check_in(activity, [owner_a], sender=owner_c)


# ---------------------------------------------------------------- check-in codes (EIP-712)


def test_code_digest_matches_the_contract(activities, chain, activity, owner_a):
    from eth_account.messages import encode_typed_data

    from tests.activities.conftest import CHECK_IN_TYPES

    message = {
        "domain": {"name": "Linli CommunityActivities", "version": "1", "chainId": chain.chain_id, "verifyingContract": activities.address},
        "types": CHECK_IN_TYPES,
        "primaryType": "CheckIn",
        "message": {"activityId": activity, "attendee": owner_a.address, "deadline": 123},
    }
    signable = encode_typed_data(full_message=message)
    from eth_utils import keccak

    digest = keccak(b"\x19\x01" + signable.header + signable.body)
    assert activities.check_in_digest(activity, owner_a, 123) == digest
    _fields, name, version, chain_id, verifying, *_ = activities.eip712Domain()
    assert (name, version, chain_id, verifying) == ("Linli CommunityActivities", "1", chain.chain_id, activities.address)


def test_check_in_with_good_code(activities, points, chain, activity, owner_a, owner_c, attacker, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    # Anyone may relay the code; the points go to the attendee it names.
    tx = activities.check_in_with_code(activity, owner_a, deadline, code, sender=attacker)
    [log] = tx.decode_logs(activities.CheckedIn)
    assert (log.activity_id, log.attendee, log.checked_in_by, log.points, log.by_code) == (activity, owner_a.address, attacker.address, POINTS, True)
    assert points.balanceOf(owner_a) == POINTS and points.balanceOf(attacker) == 0
    assert activities.activity(activity).checked_in == 1


def test_code_replay_refused(activities, points, chain, activity, owner_a, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)
    with ape.reverts("activities: already checked in"):
        activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)
    # Nor can the organiser check the same attendee in again.
    with ape.reverts("activities: already checked in"):
        activities.check_in(activity, [owner_a], sender=owner_c)
    assert points.balanceOf(owner_a) == POINTS


def test_code_from_wrong_signer_refused(activities, chain, committee, attacker, activity, owner_a, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    for signer in (attacker, owner_a, committee, Account.create()):
        code = sign_code(activities, chain.chain_id, signer, activity, owner_a, deadline)
        with ape.reverts("activities: invalid code"):
            activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)


def test_code_bound_to_attendee_activity_deadline_and_chain(activities, chain, create, activity, owner_a, owner_b, owner_c, clock):
    other = create(owner_c)
    for who in (owner_a, owner_b):
        activities.sign_up(activity, sender=who)
        activities.sign_up(other, sender=who)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    with ape.reverts("activities: invalid code"):
        activities.check_in_with_code(activity, owner_b, deadline, code, sender=owner_b)
    with ape.reverts("activities: invalid code"):
        activities.check_in_with_code(other, owner_a, deadline, code, sender=owner_a)
    with ape.reverts("activities: invalid code"):
        activities.check_in_with_code(activity, owner_a, deadline + 1, code, sender=owner_a)
    wrong_chain = sign_code(activities, chain.chain_id + 1, owner_c, activity, owner_a, deadline)
    with ape.reverts("activities: invalid code"):
        activities.check_in_with_code(activity, owner_a, deadline, wrong_chain, sender=owner_a)


def test_expired_code_refused(activities, chain, activity, owner_a, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + 10
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    clock.at(deadline + 1)
    with ape.reverts("activities: code expired"):
        activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)


def test_code_at_its_deadline_accepted(activities, chain, activity, owner_a, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + 10
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    clock.at(deadline)
    activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)


def test_code_for_someone_not_signed_up_refused(activities, chain, activity, owner_b, owner_c, clock):
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_b, deadline)
    with ape.reverts("activities: not signed up"):
        activities.check_in_with_code(activity, owner_b, deadline, code, sender=owner_b)


def test_code_outside_the_window_refused(activities, chain, activity, owner_a, owner_c, clock):
    activities.sign_up(activity, sender=owner_a)
    deadline = activities.activity(activity).end + 10 * HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    with ape.reverts("activities: check-in not open yet"):
        activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)
    clock.end(activity, GRACE + 1)
    with ape.reverts("activities: check-in closed"):
        activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)


def test_malformed_code_refused(activities, chain, activity, owner_a, clock):
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    with ape.reverts("ecdsa: invalid signature"):
        activities.check_in_with_code(activity, owner_a, deadline, b"\x01" * 65, sender=owner_a)


@pytest.mark.parametrize("compact", [True])
def test_compact_code_accepted(activities, chain, activity, owner_a, owner_c, clock, compact):
    """An EIP-2098 64-byte code works; replay in the other form is still stopped."""
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_c, activity, owner_a, deadline)
    r, s, v = code[:32], int.from_bytes(code[32:64], "big"), code[64]
    vs = (s | ((v - 27) << 255)).to_bytes(32, "big")
    activities.check_in_with_code(activity, owner_a, deadline, r + vs, sender=owner_a)
    with ape.reverts("activities: already checked in"):
        activities.check_in_with_code(activity, owner_a, deadline, code, sender=owner_a)
