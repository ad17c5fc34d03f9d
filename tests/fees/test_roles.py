"""Every privileged function of PropertyFees and CommunityTreasury, called by each role
that may not call it, is refused with its reason; the role that may call it gets
through (or, where the call cannot succeed again, past the role check to the next
rule). On a community whose committee is not the assembly."""

from dataclasses import dataclass
from typing import Callable

import ape
import pytest

from tests.fees.conftest import FEE_INCOME, PUBLIC_INCOME, h
from tests.utils.identity import commitment_for

ROLES = ("assembly", "committee", "manager", "cashier", "owner", "stranger")
CLEANING = 1


@dataclass
class Privileged:
    name: str
    allowed: tuple[str, ...]
    reason: str
    call: Callable  # (split, who) -> tx
    setup: Callable | None = None  # (split, provider) -> None
    # The allowed role cannot succeed (the call was made once for good): the reason it gets instead.
    allowed_reason: str | None = None


def _budget(s, fund=PUBLIC_INCOME):
    s.treasury.approve_annual_budget(s.year, fund, 100_000, h("budget"), sender=s.assembly)
    s.treasury.allocate_budget(s.year, fund, CLEANING, 100_000, sender=s.committee)


def _expense(s, provider):
    _budget(s, FEE_INCOME)
    s.treasury.record_expense(CLEANING, provider, 50_000, h("invoice"), FEE_INCOME, sender=s.manager)


def _project(s, provider):
    s.treasury.approve_maintenance_project(provider, [1_000, 1_000], h("works"), sender=s.assembly)


def _propose(s, provider):
    now = s.fees.current_month()
    s.fees.propose_service_contract(h("next"), s.manager, now + 1, now + 13, 300, [], 1, 0, sender=s.manager)


def _unit(s, provider):
    s.registry.register_unit("2-1-201", 8_000, provider.address, commitment_for("provider"), sender=s.committee)


def _cash(s, unit_id, reference):
    # Units 1 and 2 are prepaid 12 months in `split`: one more month is within the limit.
    quote = s.fees.quote(unit_id, 1)
    return (unit_id, quote[0], 1, quote[4], 1, h(reference))


def _recorded(s, provider):
    s.fees.record_payment(*_cash(s, 1, "wx-1"), sender=s.cashier)


def _disputed(s, provider):
    # One open dispute for each role that may answer (unit 1 is owner_a's, unit 2 owner_b's).
    s.fees.record_payment(*_cash(s, 1, "wx-1"), sender=s.cashier)
    s.fees.record_payment(*_cash(s, 2, "wx-2"), sender=s.cashier)
    s.fees.dispute_record(h("wx-1"), h("why"), sender=s.owner_a)
    s.fees.dispute_record(h("wx-2"), h("why"), sender=s.owner_b)


def _caps(s, provider):
    s.treasury.set_emergency_caps(10_000, 20_000, sender=s.assembly)


PRIVILEGED = [
    # PropertyFees: the assembly's.
    Privileged("fees.set_treasury", ("assembly",), "fees: assembly only",
               lambda s, who: s.fees.set_treasury(who, sender=who), allowed_reason="fees: treasury already set"),
    Privileged("fees.approve_service_contract", ("assembly",), "fees: assembly only",
               lambda s, who: s.fees.approve_service_contract(2, sender=who), setup=_propose),
    Privileged("fees.set_late_fee", ("assembly",), "fees: assembly only",
               lambda s, who: s.fees.set_late_fee(10, 100, sender=who)),
    Privileged("fees.set_prepay_limit", ("assembly",), "fees: assembly only",
               lambda s, who: s.fees.set_prepay_limit(3, sender=who)),
    Privileged("fees.set_points_rate", ("assembly",), "fees: assembly only",
               lambda s, who: s.fees.set_points_rate(1, sender=who)),
    Privileged("fees.set_maintenance_share", ("assembly",), "fees: assembly only",
               lambda s, who: s.fees.set_maintenance_share(2_000, sender=who)),
    # PropertyFees: the committee's.
    Privileged("fees.set_billing_start", ("committee",), "fees: committee only",
               lambda s, who: s.fees.set_billing_start(s.month, sender=who)),
    Privileged("fees.set_unit_billing_start", ("committee",), "fees: committee only",
               lambda s, who: s.fees.set_unit_billing_start(3, s.month + 1, sender=who), setup=_unit),
    # PropertyFees: the manager, the committee or the assembly.
    Privileged("fees.propose_service_contract", ("assembly", "committee", "manager"),
               "fees: manager, committee or assembly only",
               lambda s, who: s.fees.propose_service_contract(h("c"), s.manager, s.month + 1, s.month + 2, 1, [], 1, 0,
                                                              sender=who)),
    # PropertyFees: the cashier's (a paid role the committee cannot hold).
    Privileged("fees.record_payment", ("cashier",), "fees: cashier only",
               lambda s, who: s.fees.record_payment(*_cash(s, 1, "wx-1"), sender=who)),
    Privileged("fees.record_payments", ("cashier",), "fees: cashier only",
               lambda s, who: s.fees.record_payments([_cash(s, 1, "wx-1")], sender=who)),
    # PropertyFees: the unit's owner disputes a record; the committee or the manager answers.
    Privileged("fees.dispute_record", ("owner",), "fees: not the unit's owner",
               lambda s, who: s.fees.dispute_record(h("wx-1"), h("why"), sender=who), setup=_recorded),
    Privileged("fees.answer_dispute", ("committee", "manager"), "fees: committee or manager only",
               lambda s, who: s.fees.answer_dispute(h("wx-2") if who.address == s.manager.address else h("wx-1"), True, h("answer"),
                                                    sender=who), setup=_disputed),
    # PropertyFees: the treasury module's only.
    Privileged("fees.disburse", (), "fees: treasury module only",
               lambda s, who: s.fees.disburse(PUBLIC_INCOME, who, 1, sender=who)),
    # PropertyFees: the settlement token's only (a payment by ERC-1363 transferAndCall).
    Privileged("fees.onTransferReceived", (), "fees: only the settlement token pays in",
               lambda s, who: s.fees.onTransferReceived(who, who, 1, b"\x00" * 64, sender=who)),
    # CommunityTreasury: the assembly's.
    Privileged("treasury.approve_annual_budget", ("assembly",), "treasury: assembly only",
               lambda s, who: s.treasury.approve_annual_budget(s.year, PUBLIC_INCOME, 1, h("b"), sender=who)),
    Privileged("treasury.pay_by_decision", ("assembly",), "treasury: assembly only",
               lambda s, who: s.treasury.pay_by_decision(PUBLIC_INCOME, who, 1, h("d"), sender=who)),
    Privileged("treasury.approve_maintenance_project", ("assembly",), "treasury: assembly only",
               lambda s, who: s.treasury.approve_maintenance_project(who, [1], h("p"), sender=who)),
    Privileged("treasury.release_milestone", ("assembly",), "treasury: assembly only",
               lambda s, who: s.treasury.release_milestone(1, sender=who), setup=_project),
    Privileged("treasury.close_maintenance_project", ("assembly",), "treasury: assembly only",
               lambda s, who: s.treasury.close_maintenance_project(1, sender=who), setup=_project),
    Privileged("treasury.set_emergency_caps", ("assembly",), "treasury: assembly only",
               lambda s, who: s.treasury.set_emergency_caps(1, 2, sender=who)),
    # CommunityTreasury: the committee's.
    Privileged("treasury.allocate_budget", ("committee",), "treasury: committee only",
               lambda s, who: s.treasury.allocate_budget(s.year, PUBLIC_INCOME, CLEANING, 50_000, sender=who),
               setup=lambda s, p: _budget(s)),
    Privileged("treasury.pay_emergency_repair", ("committee",), "treasury: committee only",
               lambda s, who: s.treasury.pay_emergency_repair(1, s.extra_payee, 1, h("a"), sender=who), setup=_caps),
    # CommunityTreasury: the manager's.
    Privileged("treasury.record_expense", ("manager",), "treasury: manager only",
               lambda s, who: s.treasury.record_expense(CLEANING, s.extra_payee, 1, h("i"), PUBLIC_INCOME, sender=who),
               setup=lambda s, p: _budget(s)),
    Privileged("treasury.pay_commission", ("manager",), "treasury: manager only",
               lambda s, who: s.treasury.pay_commission(1, 1, sender=who), setup=_expense),
    Privileged("treasury.pay_lump_sum", ("manager",), "treasury: manager only",
               lambda s, who: s.treasury.pay_lump_sum(1, sender=who),
               allowed_reason="treasury: no lump-sum contract in force"),
]


@pytest.mark.parametrize("entry", PRIVILEGED, ids=[entry.name for entry in PRIVILEGED])
def test_each_wrong_role_is_refused(split, owner_a, owner_b, attacker, provider, entry):
    s = split
    s.extra_payee = provider
    s.owner_a, s.owner_b = owner_a, owner_b
    actors = {"assembly": s.assembly, "committee": s.committee, "manager": s.manager, "cashier": s.cashier,
              "owner": owner_a, "stranger": attacker}
    if entry.setup is not None:
        entry.setup(s, provider)
    for role in ROLES:
        if role in entry.allowed:
            continue
        with ape.reverts(entry.reason):
            entry.call(s, actors[role])
    for role in entry.allowed:
        if entry.allowed_reason is not None:
            with ape.reverts(entry.allowed_reason):
                entry.call(s, actors[role])
        else:
            assert not entry.call(s, actors[role]).failed


def test_the_table_covers_every_state_changing_function(split):
    """A new function of either contract must get a row above (or be on the list of
    functions anyone may call)."""
    # Anyone pays and pays in; a unit's household claims its points; owners rate the service.
    anyone = {"fees.pay", "fees.pay_with_permit", "fees.claim_points", "fees.receive_public_income",
              "fees.deposit_maintenance", "fees.rate_service"}
    covered = {entry.name for entry in PRIVILEGED} | anyone
    found = set()
    for prefix, contract in (("fees", split.fees), ("treasury", split.treasury)):
        for abi in contract.contract_type.abi:
            if abi.type == "function" and abi.stateMutability not in ("view", "pure"):
                found.add(f"{prefix}.{abi.name}")
    assert found == covered
