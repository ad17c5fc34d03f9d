"""Feedback after the activity: attendees only, once, score 1-5, public aggregates."""

from __future__ import annotations

import ape

from tests.activities.conftest import h


def attended(activities, activity, organiser, clock, *who):
    for resident in who:
        activities.sign_up(activity, sender=resident)
    clock.start(activity)
    activities.check_in(activity, list(who), sender=organiser)


def test_feedback_recorded_and_aggregated(activities, activity, owner_a, tenant, owner_c, clock):
    attended(activities, activity, owner_c, clock, owner_a, tenant)
    clock.end(activity)
    tx = activities.leave_feedback(activity, 5, h("great"), sender=owner_a)
    [log] = tx.decode_logs(activities.FeedbackGiven)
    assert (log.activity_id, log.attendee, log.score, log.text_hash) == (activity, owner_a.address, 5, h("great"))
    activities.leave_feedback(activity, 2, b"\x00" * 32, sender=tenant)
    a = activities.activity(activity)
    assert (a.feedback_count, a.feedback_sum) == (2, 7)
    assert a.organiser == owner_c.address  # the organiser shares the feedback word
    assert tuple(activities.seat(activity, owner_a)) == (True, True, True, 5)
    assert tuple(activities.seat(activity, tenant)) == (True, True, True, 2)


def test_feedback_once(activities, activity, owner_a, owner_c, clock):
    attended(activities, activity, owner_c, clock, owner_a)
    clock.end(activity)
    activities.leave_feedback(activity, 4, h("ok"), sender=owner_a)
    with ape.reverts("activities: feedback already given"):
        activities.leave_feedback(activity, 1, h("changed"), sender=owner_a)
    assert activities.activity(activity).feedback_sum == 4


def test_feedback_refusals(activities, activity, owner_a, owner_b, owner_c, attacker, clock):
    attended(activities, activity, owner_c, clock, owner_a)
    with ape.reverts("activities: not ended yet"):
        activities.leave_feedback(activity, 3, h("x"), sender=owner_a)
    clock.end(activity)
    for score in (0, 6):
        with ape.reverts("activities: score out of range"):
            activities.leave_feedback(activity, score, h("x"), sender=owner_a)
    for outsider in (owner_b, owner_c, attacker):
        with ape.reverts("activities: did not attend"):
            activities.leave_feedback(activity, 3, h("x"), sender=outsider)
    with ape.reverts("activities: unknown activity"):
        activities.leave_feedback(99, 3, h("x"), sender=owner_a)


def test_signed_up_but_absent_cannot_rate(activities, activity, owner_a, owner_b, owner_c, clock):
    activities.sign_up(activity, sender=owner_b)
    attended(activities, activity, owner_c, clock, owner_a)
    clock.end(activity)
    with ape.reverts("activities: did not attend"):
        activities.leave_feedback(activity, 1, h("x"), sender=owner_b)


def test_feedback_at_the_end_second(activities, activity, owner_a, owner_c, clock):
    attended(activities, activity, owner_c, clock, owner_a)
    clock.end(activity)
    activities.leave_feedback(activity, 1, h("x"), sender=owner_a)
    assert activities.activity(activity).feedback_count == 1
