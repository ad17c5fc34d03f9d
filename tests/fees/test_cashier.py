"""Payments received off chain and recorded by a cashier: they count exactly like token
payments (statement, receipt, late fee, points) without moving a token; a reference is
recorded once, months once; the unit's owner disputes within the period and the
committee or the manager answers.

One community for the module (Ape's isolation undoes each test): units owe three
overdue months, so late fees and on-time points both show."""

from __future__ import annotations

from types import SimpleNamespace

import ape
import pytest

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deployment import deploy_community
from tests.fees.conftest import FUNDS, h, propose_contract, role_id
from tests.utils.identity import commitment_for

WECHAT, ALIPAY, BANK, CASH = 1, 2, 3, 4
DISPUTE_PERIOD = 30 * 86_400
OVERDUE = 3  # months each unit owes before the current one


@pytest.fixture(scope="module")
def desk(project, chain, accounts, committee, manager, owner_a, owner_b, owner_c, attacker):
    """A community whose committee is not the assembly, with a cashier, four units of
    equal area (owner_a: 1 and 4, owner_b: 2, owner_c: 3) owing OVERDUE months."""
    assembly = committee
    board = accounts.generate_test_account()
    cashier = accounts.generate_test_account()
    for who in (board, cashier):
        assembly.transfer(who, 10**19)
    community = deploy_community(project, chain, assembly, name="收银小区", committee=board)
    registry = community.registry
    if not registry.hasRole(role_id("committee"), board):
        registry.grantRole(role_id("committee"), board, sender=assembly)
    if registry.hasRole(role_id("committee"), assembly):
        registry.revokeRole(role_id("committee"), assembly, sender=assembly)
    registry.register_units(
        [
            ("3-1-101", 9_000, owner_a.address, commitment_for("owner_a")),
            ("3-1-102", 9_000, owner_b.address, commitment_for("owner_b")),
            ("3-1-201", 9_000, owner_c.address, commitment_for("owner_c")),
            ("3-1-202", 9_000, owner_a.address, commitment_for("owner_a")),
        ],
        sender=board,
    )
    registry.grantRole(role_id("manager"), manager, sender=assembly)
    registry.grantRole(role_id("cashier"), cashier, sender=board)
    stack = deploy_fees(project, chain, assembly, community)
    fees, token = stack["PropertyFees"], stack["SettlementToken"]
    now = fees.current_month()
    fees.set_billing_start(now - OVERDUE, sender=board)
    propose_contract(fees, manager, manager, now - OVERDUE, doc=h("cashier-contract"))
    fees.approve_service_contract(1, sender=assembly)
    for who in (owner_a, owner_b, owner_c, attacker):
        token.mint(who, FUNDS, sender=assembly)
        token.approve(fees, 2**256 - 1, sender=who)
    return SimpleNamespace(assembly=assembly, committee=board, manager=manager, cashier=cashier, registry=registry,
                           points=community.points, fees=fees, token=token, month=now)


def record(s, unit_id, months, reference, channel=WECHAT, sender=None, from_month=None):
    """Record `months` of a unit at the amount due now."""
    quote = s.fees.quote(unit_id, months)
    first = quote[0] if from_month is None else from_month
    return s.fees.record_payment(unit_id, first, months, quote[4], channel, h(reference), sender=sender or s.cashier)


def test_a_record_counts_like_a_token_payment_without_moving_tokens(desk, owner_a):
    s = desk
    first, last, dues, late, total = s.fees.quote(1, OVERDUE + 2)
    held = s.token.balanceOf(s.fees)
    balances = (s.fees.fee_income(), s.fees.public_income(), s.fees.maintenance_fund())
    tx = s.fees.record_payment(1, first, OVERDUE + 2, total, ALIPAY, h("alipay-2026-001"), sender=s.cashier)
    [paid] = tx.decode_logs(s.fees.FeePaid)
    [recorded] = tx.decode_logs(s.fees.FeeRecorded)
    # The receipt is the owner's, as if they had paid: the points are theirs.
    assert paid.payer == owner_a.address and paid.amount == total and (paid.dues, paid.late_fee) == (dues, late)
    assert (paid.from_month, paid.to_month) == (first, last) == (s.month - OVERDUE, s.month + 1)
    assert paid.to_maintenance == 0  # the money is in the company's account, not here
    assert paid.points > 0 and late > 0
    assert recorded.cashier == s.cashier.address and recorded.channel == ALIPAY
    assert recorded.reference == h("alipay-2026-001") and recorded.amount == total
    assert recorded.day_total == total == s.fees.cashier_total(s.cashier, recorded.day)
    assert s.token.balanceOf(s.fees) == held
    assert (s.fees.fee_income(), s.fees.public_income(), s.fees.maintenance_fund()) == balances
    assert s.fees.first_unpaid_month(1) == s.month + 2
    assert s.fees.points_payer(1) == owner_a.address
    unit_id, from_month, months, recorded_at, status, points = s.fees.payment_record(h("alipay-2026-001"))
    assert (unit_id, from_month, months, status, points) == (1, first, OVERDUE + 2, 0, paid.points)
    assert (recorded_at + 8 * 3600) // 86_400 == recorded.day


def test_a_unit_paid_by_record_ends_like_a_unit_paid_by_token(desk, owner_a):
    s = desk
    # Units 1 and 4 are owner_a's, of the same area, owing the same months.
    assert s.fees.statement(1) == s.fees.statement(4)
    tx_token = s.fees.pay(1, OVERDUE + 1, 10**12, sender=owner_a)
    tx_record = record(s, 4, OVERDUE + 1, "bank-77")
    [by_token] = tx_token.decode_logs(s.fees.FeePaid)
    [by_record] = tx_record.decode_logs(s.fees.FeePaid)
    fields = ("payer", "from_month", "to_month", "dues", "late_fee", "amount", "points")
    assert [getattr(by_token, f) for f in fields] == [getattr(by_record, f) for f in fields]
    assert s.fees.statement(1) == s.fees.statement(4)
    assert s.fees.claimable_points(1) == s.fees.claimable_points(4) > 0
    assert s.fees.first_unpaid_month(1) == s.fees.first_unpaid_month(4)
    s.fees.claim_points([1, 4], sender=owner_a)
    assert s.points.balanceOf(owner_a) == 2 * by_token.points


def test_a_batch_records_several_units_and_the_day_total(desk):
    s = desk
    payments = []
    for unit_id, ref in ((1, "b-1"), (2, "b-2"), (3, "b-3")):
        quote = s.fees.quote(unit_id, 2)
        payments.append((unit_id, quote[0], 2, quote[4], BANK, h(ref)))
    tx = s.fees.record_payments(payments, sender=s.cashier)
    logs = tx.decode_logs(s.fees.FeeRecorded)
    assert [log.unit_id for log in logs] == [1, 2, 3]
    assert logs[-1].day_total == sum(p[3] for p in payments) == s.fees.cashier_total(s.cashier, logs[0].day)
    # A second record of the day adds to the same total.
    tx = record(s, 4, 1, "cash-1", CASH)
    [log] = tx.decode_logs(s.fees.FeeRecorded)
    assert log.day_total == sum(p[3] for p in payments) + log.amount


def test_a_batch_is_all_or_nothing(desk):
    s = desk
    good = s.fees.quote(1, 1)
    payments = [(1, good[0], 1, good[4], BANK, h("x-1")), (99, good[0], 1, good[4], BANK, h("x-2"))]
    with ape.reverts("fees: unit not registered"):
        s.fees.record_payments(payments, sender=s.cashier)
    assert s.fees.payment_record(h("x-1"))[0] == 0


# ---------------------------------------------------------------- attacks


def test_a_non_cashier_cannot_record(desk, owner_a, attacker):
    s = desk
    for who in (owner_a, attacker, s.manager, s.assembly):
        with ape.reverts("fees: cashier only"):
            record(s, 1, 1, "fake", sender=who)
        with ape.reverts("fees: cashier only"):
            s.fees.record_payments([], sender=who)


def test_the_committee_cannot_record_nor_become_a_cashier(desk):
    s = desk
    with ape.reverts("fees: cashier only"):
        record(s, 1, 1, "committee", sender=s.committee)
    # A paid role: the committee cannot hold it (the registry refuses).
    with ape.reverts():
        s.registry.grantRole(role_id("cashier"), s.committee, sender=s.committee)
    assert not s.registry.hasRole(role_id("cashier"), s.committee)


def test_a_reference_is_recorded_once(desk):
    s = desk
    record(s, 1, 1, "wx-1")
    with ape.reverts("fees: reference already recorded"):
        record(s, 2, 1, "wx-1")
    with ape.reverts("fees: reference already recorded"):
        s.fees.record_payments([(2, s.fees.quote(2, 1)[0], 1, s.fees.quote(2, 1)[4], WECHAT, h("wx-1"))],
                               sender=s.cashier)
    # The same reference twice in one batch too.
    q1, q2 = s.fees.quote(2, 1), s.fees.quote(3, 1)
    with ape.reverts("fees: reference already recorded"):
        s.fees.record_payments([(2, q1[0], 1, q1[4], WECHAT, h("wx-2")), (3, q2[0], 1, q2[4], WECHAT, h("wx-2"))],
                               sender=s.cashier)
    with ape.reverts("fees: empty reference"):
        s.fees.record_payment(2, q1[0], 1, q1[4], WECHAT, b"\x00" * 32, sender=s.cashier)


def test_the_same_months_are_recorded_once(desk):
    s = desk
    first = s.fees.first_unpaid_month(1)
    record(s, 1, 2, "cash-a", CASH)
    # The same cash payment again under another receipt: its months are paid already.
    amount = s.fees.quote(1, 2)[4]
    with ape.reverts("fees: months already recorded"):
        s.fees.record_payment(1, first, 2, amount, CASH, h("cash-b"), sender=s.cashier)
    # Twice in one batch likewise.
    q = s.fees.quote(2, 1)
    with ape.reverts("fees: months already recorded"):
        s.fees.record_payments([(2, q[0], 1, q[4], BANK, h("d-1")), (2, q[0], 1, q[4], BANK, h("d-2"))],
                               sender=s.cashier)


def test_a_record_must_be_the_amount_due_on_a_known_channel(desk):
    s = desk
    q = s.fees.quote(1, 1)
    with ape.reverts("fees: payment differs from the amount due"):
        s.fees.record_payment(1, q[0], 1, q[4] - 1, WECHAT, h("short"), sender=s.cashier)
    for channel in (0, 5):
        with ape.reverts("fees: unknown payment channel"):
            s.fees.record_payment(1, q[0], 1, q[4], channel, h("chan"), sender=s.cashier)
    with ape.reverts("fees: over the prepayment limit"):
        s.fees.record_payment(1, q[0], OVERDUE + 14, 1, WECHAT, h("far"), sender=s.cashier)


def test_a_record_for_an_unregistered_unit_is_refused(desk):
    s = desk
    for unit_id in (0, 5, 2**64, 2**255):
        with ape.reverts("fees: unit not registered"):
            s.fees.record_payment(unit_id, s.month, 1, 1, WECHAT, h(f"u-{unit_id}"), sender=s.cashier)


# ---------------------------------------------------------------- disputes


def test_an_upheld_dispute_voids_the_record(desk, owner_a):
    s = desk
    before = s.fees.statement(1)
    tx = record(s, 1, 2, "wrong")
    [paid] = tx.decode_logs(s.fees.FeePaid)
    tx = s.fees.dispute_record(h("wrong"), h("I paid nothing that day"), sender=owner_a)
    [log] = tx.decode_logs(s.fees.RecordDisputed)
    assert (log.unit_id, log.owner, log.reason) == (1, owner_a.address, h("I paid nothing that day"))
    assert s.fees.payment_record(h("wrong"))[4] == 1
    tx = s.fees.answer_dispute(h("wrong"), True, h("cashier's mistake"), sender=s.manager)
    [answer] = tx.decode_logs(s.fees.DisputeAnswered)
    assert answer.upheld and answer.answered_by == s.manager.address
    assert answer.first_unpaid_month == before.first_unpaid_month
    assert answer.points_taken_back == paid.points
    assert s.fees.statement(1) == before
    assert s.fees.claimable_points(1) == 0
    assert s.fees.payment_record(h("wrong"))[4] == 2
    # The reference stays used; the months can be recorded again (rightly).
    with ape.reverts("fees: reference already recorded"):
        record(s, 1, 1, "wrong")
    record(s, 1, 1, "right")


def test_a_void_keeps_later_payments_months(desk, owner_a):
    s = desk
    start = s.fees.first_unpaid_month(1)
    record(s, 1, 1, "first")
    s.fees.pay(1, 2, 10**12, sender=owner_a)
    s.fees.dispute_record(h("first"), h("not mine"), sender=owner_a)
    s.fees.answer_dispute(h("first"), True, h("ok"), sender=s.committee)
    # Two months stay paid, the token payment's.
    assert s.fees.first_unpaid_month(1) == start + 2


def test_a_rejected_dispute_leaves_the_record(desk, owner_b):
    s = desk
    record(s, 2, 1, "fine")
    after = s.fees.statement(2)
    s.fees.dispute_record(h("fine"), h("?"), sender=owner_b)
    tx = s.fees.answer_dispute(h("fine"), False, h("bank shows it"), sender=s.committee)
    [answer] = tx.decode_logs(s.fees.DisputeAnswered)
    assert not answer.upheld and answer.points_taken_back == 0
    assert s.fees.statement(2) == after
    assert s.fees.payment_record(h("fine"))[4] == 3
    with ape.reverts("fees: already disputed"):
        s.fees.dispute_record(h("fine"), h("again"), sender=owner_b)
    with ape.reverts("fees: no open dispute"):
        s.fees.answer_dispute(h("fine"), True, h("again"), sender=s.committee)


def test_a_dispute_by_anyone_but_the_owner_is_refused(desk, owner_b, attacker):
    s = desk
    record(s, 1, 1, "a-1")
    for who in (owner_b, attacker, s.cashier, s.committee, s.manager):
        with ape.reverts("fees: not the unit's owner"):
            s.fees.dispute_record(h("a-1"), h("x"), sender=who)
    with ape.reverts("fees: no such record"):
        s.fees.dispute_record(h("never"), h("x"), sender=owner_b)


def test_a_dispute_after_the_period_or_twice_is_refused(desk, chain, owner_a):
    s = desk
    record(s, 1, 1, "late-1")
    record(s, 4, 1, "late-2")
    s.fees.dispute_record(h("late-1"), h("x"), sender=owner_a)
    with ape.reverts("fees: already disputed"):
        s.fees.dispute_record(h("late-1"), h("x"), sender=owner_a)
    recorded_at = s.fees.payment_record(h("late-2"))[3]
    chain.mine(timestamp=recorded_at + DISPUTE_PERIOD + 1)
    with ape.reverts("fees: dispute period over"):
        s.fees.dispute_record(h("late-2"), h("x"), sender=owner_a)


def test_a_dispute_is_answered_by_the_committee_or_the_manager_only(desk, owner_a, attacker):
    s = desk
    record(s, 1, 1, "ans")
    s.fees.dispute_record(h("ans"), h("x"), sender=owner_a)
    for who in (owner_a, attacker, s.cashier, s.assembly):
        with ape.reverts("fees: committee or manager only"):
            s.fees.answer_dispute(h("ans"), True, h("x"), sender=who)
    s.fees.answer_dispute(h("ans"), False, h("x"), sender=s.committee)


def test_the_channels_and_limits_are_public(desk):
    s = desk
    channels = (s.fees.CHANNEL_TOKEN(), s.fees.CHANNEL_WECHAT(), s.fees.CHANNEL_ALIPAY(), s.fees.CHANNEL_BANK(),
                s.fees.CHANNEL_CASH())
    assert channels == (0, WECHAT, ALIPAY, BANK, CASH)
    assert s.fees.DISPUTE_PERIOD() == DISPUTE_PERIOD
    assert s.fees.MAX_RECORD_BATCH() == 100
    quote = s.fees.quote(1, 1)
    too_many = [(1, quote[0], 1, quote[4], BANK, h(f"many-{i}")) for i in range(101)]
    with ape.reverts():
        s.fees.record_payments(too_many, sender=s.cashier)
