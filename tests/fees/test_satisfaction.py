"""Satisfaction: one rating 1-5 per owner identity per closed month."""

import ape


def test_owners_rate_a_closed_month(in_force, owner_a, owner_b, owner_c, registry, clock):
    fees = in_force
    month = clock.month()
    clock.advance(1)
    tx = fees.rate_service(month, 4, sender=owner_a)
    [log] = tx.decode_logs(fees.ServiceRated)
    _, identity_a = registry.identity_of(owner_a)
    assert (log.period, log.identity, log.rater, log.score, log.count, log.total) == (month, identity_a, owner_a.address, 4, 1, 4)
    fees.rate_service(month, 2, sender=owner_b)
    fees.rate_service(month, 5, sender=owner_c)
    assert fees.satisfaction(month) == (3, 11)
    assert fees.has_rated(month, identity_a) is True
    assert fees.satisfaction(month + 1) == (0, 0)


def test_one_rating_per_identity(in_force, owner_a, clock):
    fees = in_force
    month = clock.month()
    clock.advance(1)
    fees.rate_service(month, 3, sender=owner_a)
    # owner_a owns two units but is one identity: one rating.
    with ape.reverts("fees: already rated"):
        fees.rate_service(month, 5, sender=owner_a)
    # The next month is a new period once it closes.
    clock.advance(1)
    fees.rate_service(month + 1, 5, sender=owner_a)
    assert fees.satisfaction(month) == (1, 3)
    assert fees.satisfaction(month + 1) == (1, 5)


def test_rating_refusals(in_force, owner_a, tenant, attacker, manager, clock):
    fees = in_force
    month = clock.month()
    with ape.reverts("fees: period not closed"):
        fees.rate_service(month, 3, sender=owner_a)
    clock.advance(1)
    for score in (0, 6):
        with ape.reverts("fees: score out of range"):
            fees.rate_service(month, score, sender=owner_a)
    for who in (tenant, attacker, manager):
        with ape.reverts("fees: owners only"):
            fees.rate_service(month, 3, sender=who)
    clock.advance(3)
    # Three closed months back is still open; four is not.
    fees.rate_service(month + 1, 3, sender=owner_a)
    with ape.reverts("fees: rating window closed"):
        fees.rate_service(month, 3, sender=owner_a)
