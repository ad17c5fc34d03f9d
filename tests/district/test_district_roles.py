"""Every privileged function of DistrictRegistry, called by each party that may not call
it, is refused with its reason; the street office's Safe gets through. The street
office's staff acting alone (one key, not the Safe) are refused like anyone else, and so
is the deployer of the communities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import ape
import pytest

PARTIES = ("street_office", "staff_member", "community_deployer", "stranger")
REASON = b"\x22" * 32


@dataclass
class Privileged:
    name: str
    reason: str
    call: Callable  # (district, send) -> receipt; send(method, *args) acts as a party
    setup: Callable | None = None  # (district) -> None, as the street office


def _listed(d):
    d.send(d.registry.add_community, *d.entry(d.jiaxing))


PRIVILEGED = [
    Privileged("add_community", "district: street office only",
               lambda d, send: send(d.registry.add_community, *d.entry(d.liangcheng))),
    Privileged("retire_community", "district: street office only",
               lambda d, send: send(d.registry.retire_community, 1, REASON), setup=_listed),
    Privileged("set_lister", "district: street office only",
               lambda d, send: send(d.registry.set_lister, d.office.address, True)),
    Privileged("transfer_ownership", "ownable: caller is not the owner",
               lambda d, send: send(d.registry.transfer_ownership, d.office.address)),
]


@pytest.mark.parametrize("entry", PRIVILEGED, ids=[entry.name for entry in PRIVILEGED])
def test_each_wrong_party_is_refused(district, committee, owner_a, attacker, entry):
    if entry.setup is not None:
        entry.setup(district)
    actors = {"staff_member": owner_a, "community_deployer": committee, "stranger": attacker}
    for party in PARTIES[1:]:
        who = actors[party]
        with ape.reverts(entry.reason):
            entry.call(district, lambda method, *args, who=who: method(*args, sender=who))
    assert not entry.call(district, district.send).failed


def test_the_table_covers_every_state_changing_function(district):
    found = {abi.name for abi in district.registry.contract_type.abi
             if abi.type == "function" and abi.stateMutability not in ("view", "pure")}
    assert found == {entry.name for entry in PRIVILEGED}


def test_a_new_street_office_takes_over(district, owner_a, owner_b, attacker):
    """transfer_ownership hands the registry to another Safe (a new street office); the
    old one can list nothing more."""
    registry = district.registry
    district.send(registry.transfer_ownership, attacker.address)
    assert registry.owner() == attacker.address
    with ape.reverts("district: street office only"):
        registry.add_community(*district.entry(district.jiaxing), sender=owner_a)
    from backend.chain.safe import SafeCallReverted

    with pytest.raises(SafeCallReverted):
        district.send(registry.add_community, *district.entry(district.jiaxing))
    assert not registry.add_community(*district.entry(district.jiaxing), sender=attacker).failed
