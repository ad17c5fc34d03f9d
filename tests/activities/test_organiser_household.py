"""An organiser earns no attendance points at its own activity (issue 16, attack 5): an
organiser signed up and checked itself in for points. Now the organiser and its
household (its units' residents, its alt wallets) are checked in but earn nothing there,
by the organiser's batch or by a code it signed."""

from __future__ import annotations

from tests.activities.conftest import HOUR, POINTS, sign_code
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for



def test_an_organiser_checks_itself_in_for_nothing(activities, points, create, owner_b, owner_a, tenant, clock):
    activity = create(owner_b)
    for who in (owner_b, tenant, owner_a):  # the organiser, its tenant, a neighbour
        activities.sign_up(activity, sender=who)
    clock.start(activity)
    tx = activities.check_in(activity, [owner_b, tenant, owner_a], sender=owner_b)
    assert [(e.attendee, e.points) for e in tx.decode_logs(activities.CheckedIn)] == [
        (owner_b.address, 0), (tenant.address, 0), (owner_a.address, POINTS)]
    assert [(e.to, e.amount) for e in tx.decode_logs(points.PointsMinted)] == [(owner_a.address, POINTS)]
    assert points.balanceOf(owner_b) == points.balanceOf(tenant) == 0
    # Attendance is recorded all the same: they came, and may leave feedback.
    assert activities.activity(activity).checked_in == 3
    assert activities.seat(activity, owner_b)[:2] == (True, True)


def test_nor_its_alt_wallet_with_a_code(activities, points, chain, create, registry, owner_a, accounts, clock):
    alt = accounts.generate_test_account()
    chain.set_balance(alt.address, 10**20)
    link_resident(registry, 1, alt, commitment_for("owner_a-alt"), owner_a)
    activity = create(owner_a)
    activities.sign_up(activity, sender=alt)
    clock.start(activity)
    deadline = chain.pending_timestamp + HOUR
    code = sign_code(activities, chain.chain_id, owner_a, activity, alt, deadline)
    tx = activities.check_in_with_code(activity, alt, deadline, code, sender=alt)
    assert tx.decode_logs(activities.CheckedIn)[0].points == 0
    assert not tx.decode_logs(points.PointsMinted)
    assert points.balanceOf(alt) == 0
