"""Creating, proposing, approving and cancelling activities; the committee's maximum."""

from __future__ import annotations

import ape
import pytest

from tests.activities.conftest import DAY, HOUR, MAX_POINTS, POINTS, h
from tests.utils.reverts import assert_deploy_reverts

PROPOSED, OPEN, CANCELLED = 1, 2, 3


def test_deploy_wiring(activities, promotions, registry, points, fees, stack, committee):
    assert activities.registry() == registry.address
    assert activities.points() == points.address
    assert activities.max_points() == MAX_POINTS
    assert activities.activity_count() == 0
    assert points.is_minter(activities)
    assert not points.is_minter(promotions)
    assert promotions.fees() == fees.address
    assert promotions.settlement_token() == stack["SettlementToken"].address
    assert activities.REASON_ACTIVITY() == 5
    assert activities.CHECK_IN_GRACE() == HOUR


ZERO = "0x0000000000000000000000000000000000000000"


@pytest.mark.parametrize(
    "which, reason",
    [
        ("registry", "activities: registry is the zero address"),
        ("points", "activities: points is the zero address"),
        ("max_points", "activities: points out of range"),
    ],
)
def test_constructor_refusals(project, chain, committee, registry, points, which, reason):
    args = {"registry": registry.address, "points": points.address, "max_points": 1}
    args[which] = 2**32 if which == "max_points" else ZERO
    assert_deploy_reverts(chain, project.CommunityActivities, list(args.values()), committee, reason)


def test_committee_creates_open_activity(activities, committee, owner_c, times):
    start, end = times
    tx = activities.create_activity("读书会", h("description"), start, end, 30, POINTS, owner_c, sender=committee)
    [log] = tx.decode_logs(activities.ActivityCreated)
    assert (log.activity_id, log.organiser, log.created_by) == (1, owner_c.address, committee.address)
    assert (log.title, log.description_hash, log.start, log.end) == ("读书会", h("description"), start, end)
    assert (log.capacity, log.points, log.status) == (30, POINTS, OPEN)
    a = activities.activity(1)
    assert (a.start, a.end, a.capacity, a.signed_up, a.checked_in, a.points, a.status) == (start, end, 30, 0, 0, POINTS, OPEN)
    assert (a.organiser, a.feedback_count, a.feedback_sum) == (owner_c.address, 0, 0)
    assert activities.activity_count() == 1


def test_unknown_activity_reads_empty(activities):
    assert activities.activity(7).status == 0


def test_create_refused_to_non_committee(activities, attacker, owner_c, times):
    with ape.reverts("activities: committee only"):
        activities.create_activity("x", h("d"), times[0], times[1], 5, 1, owner_c, sender=attacker)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"title": ""}, "activities: title required"),
        ({"start": -DAY - 10}, "activities: starts in the past"),
        ({"end": -2 * HOUR}, "activities: ends before it starts"),
        ({"end": 2**40}, "activities: time out of range"),
        ({"capacity": 0}, "activities: capacity out of range"),
        ({"capacity": 2**32}, "activities: capacity out of range"),
        ({"points": MAX_POINTS + 1}, "activities: points above the maximum"),
        ({"organiser": "0x0000000000000000000000000000000000000000"}, "activities: organiser is the zero address"),
    ],
)
def test_create_refusals(activities, committee, owner_c, times, change, reason):
    args = {"title": "t", "start": times[0], "end": times[1], "capacity": 5, "points": 1, "organiser": owner_c.address}
    for key, value in change.items():
        if key == "start":
            args["start"] += value
        elif key == "end" and value < 0:
            args["end"] = args["start"] + value
        else:
            args[key] = value
    with ape.reverts(reason):
        activities.create_activity(args["title"], h("d"), args["start"], args["end"], args["capacity"], args["points"], args["organiser"], sender=committee)


def test_create_at_the_boundaries(activities, committee, owner_c, chain):
    start = chain.pending_timestamp + 5
    activities.create_activity("t", h("d"), start, start + 1, 2**32 - 1, MAX_POINTS, owner_c, sender=committee)
    a = activities.activity(1)
    assert (a.capacity, a.points, a.end) == (2**32 - 1, MAX_POINTS, start + 1)


def test_resident_proposes_and_committee_approves(activities, committee, owner_a, times):
    tx = activities.propose_activity("广场舞", h("dance"), times[0], times[1], 20, POINTS, sender=owner_a)
    [log] = tx.decode_logs(activities.ActivityCreated)
    assert (log.activity_id, log.organiser, log.created_by, log.status) == (1, owner_a.address, owner_a.address, PROPOSED)
    with ape.reverts("activities: not open"):
        activities.sign_up(1, sender=owner_a)
    tx = activities.approve_activity(1, sender=committee)
    assert [(e.activity_id, e.committee) for e in tx.decode_logs(activities.ActivityApproved)] == [(1, committee.address)]
    assert activities.activity(1).status == OPEN
    activities.sign_up(1, sender=owner_a)


def test_tenant_may_propose(activities, tenant, times):
    activities.propose_activity("t", h("d"), times[0], times[1], 5, 0, sender=tenant)
    assert activities.activity(1).organiser == tenant.address


def test_propose_refused_to_non_resident(activities, attacker, merchant, times):
    for outsider in (attacker, merchant):
        with ape.reverts("activities: residents only"):
            activities.propose_activity("t", h("d"), times[0], times[1], 5, 1, sender=outsider)


def test_propose_checks_the_same_rules(activities, owner_a, times):
    with ape.reverts("activities: points above the maximum"):
        activities.propose_activity("t", h("d"), times[0], times[1], 5, MAX_POINTS + 1, sender=owner_a)


def test_approve_refusals(activities, committee, owner_a, attacker, activity, times, clock):
    activities.propose_activity("t", h("d"), times[0], times[1], 5, 50, sender=owner_a)
    proposal = activity + 1
    with ape.reverts("activities: committee only"):
        activities.approve_activity(proposal, sender=attacker)
    with ape.reverts("activities: committee only"):
        activities.approve_activity(proposal, sender=owner_a)
    with ape.reverts("activities: unknown activity"):
        activities.approve_activity(99, sender=committee)
    with ape.reverts("activities: not a proposal"):
        activities.approve_activity(activity, sender=committee)
    activities.set_max_points(49, sender=committee)
    with ape.reverts("activities: points above the maximum"):
        activities.approve_activity(proposal, sender=committee)
    activities.set_max_points(50, sender=committee)
    clock.start(proposal)
    with ape.reverts("activities: already started"):
        activities.approve_activity(proposal, sender=committee)


def test_approve_twice_refused(activities, committee, owner_a, times):
    activities.propose_activity("t", h("d"), times[0], times[1], 5, 1, sender=owner_a)
    activities.approve_activity(1, sender=committee)
    with ape.reverts("activities: not a proposal"):
        activities.approve_activity(1, sender=committee)


def test_set_max_points(activities, committee, attacker):
    tx = activities.set_max_points(7, sender=committee)
    assert [(e.max_points, e.committee) for e in tx.decode_logs(activities.MaxPointsChanged)] == [(7, committee.address)]
    assert activities.max_points() == 7
    with ape.reverts("activities: points out of range"):
        activities.set_max_points(2**32, sender=committee)
    with ape.reverts("activities: assembly only"):
        activities.set_max_points(1000, sender=attacker)


@pytest.mark.parametrize("by", ["organiser", "committee"])
def test_cancel_activity(activities, committee, owner_c, owner_a, activity, by):
    activities.sign_up(activity, sender=owner_a)
    who = owner_c if by == "organiser" else committee
    tx = activities.cancel_activity(activity, h("rain"), sender=who)
    [log] = tx.decode_logs(activities.ActivityCancelled)
    assert (log.activity_id, log.cancelled_by, log.reason_hash) == (activity, who.address, h("rain"))
    assert activities.activity(activity).status == CANCELLED
    with ape.reverts("activities: not open"):
        activities.sign_up(activity, sender=owner_c)
    with ape.reverts("activities: not open"):
        activities.cancel_sign_up(activity, sender=owner_a)
    with ape.reverts("activities: already cancelled"):
        activities.cancel_activity(activity, h("again"), sender=committee)


def test_proposer_withdraws_proposal(activities, owner_a, times):
    activities.propose_activity("t", h("d"), times[0], times[1], 5, 1, sender=owner_a)
    activities.cancel_activity(1, h("changed my mind"), sender=owner_a)
    assert activities.activity(1).status == CANCELLED


def test_cancel_refusals(activities, committee, owner_c, owner_a, attacker, activity, clock, chain):
    with ape.reverts("activities: organiser or committee only"):
        activities.cancel_activity(activity, h("x"), sender=attacker)
    with ape.reverts("activities: organiser or committee only"):
        activities.cancel_activity(activity, h("x"), sender=owner_a)
    with ape.reverts("activities: unknown activity"):
        activities.cancel_activity(99, h("x"), sender=committee)
    # Check-in opens an hour before the start: once someone is in, no cancelling.
    activities.sign_up(activity, sender=owner_a)
    clock.start(activity, -HOUR)
    activities.check_in(activity, [owner_a], sender=owner_c)
    with ape.reverts("activities: attendance already recorded"):
        activities.cancel_activity(activity, h("x"), sender=committee)


def test_cancel_refused_after_start(activities, committee, activity, clock):
    clock.start(activity)
    with ape.reverts("activities: already started"):
        activities.cancel_activity(activity, h("x"), sender=committee)
