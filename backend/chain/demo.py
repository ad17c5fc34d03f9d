"""The demo community: ~200 units with realistic labels and areas.

Everything is derived from fixed seeds so two runs make the same community. The
wallets beyond anvil's ten test accounts come from keys derived from a public demo
phrase: they are for a local demo chain only and must never hold real value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from eth_account import Account
from eth_utils import keccak

from backend.identity import identity_commitment

BUILDINGS = 5
ENTRANCES = 2  # 单元
FLOORS = 10
ROOMS = 2
DEVELOPER_UNITS = 20
OWNERS_WITH_TWO_UNITS = 10
TENANTS = 15
DEMO_SEED = 2026

# Sizes of the two flat types per floor, in m² (exclusive area), with survey noise.
FLAT_TYPES = {1: (89.0, 4.0), 2: (126.0, 8.0)}


@dataclass(frozen=True)
class DemoPerson:
    role: str
    address: str
    private_key: str
    commitment: bytes


def demo_key(tag: str) -> str:
    """A deterministic demo-only private key."""
    return "0x" + keccak(text=f"linli demo only, never for real value: {tag}").hex()


def demo_person(role: str, tag: str, key: str | None = None) -> DemoPerson:
    key = key or demo_key(tag)
    address = Account.from_key(key).address
    salt = keccak(text=f"salt:{tag}")[:16]
    return DemoPerson(role, address, key, identity_commitment(f"DEMO-{tag}", salt))


def unit_labels() -> list[str]:
    """'1-1-101' … '5-2-1002': building-entrance-floor+room."""
    return [
        f"{b}-{e}-{floor}{room:02d}"
        for b in range(1, BUILDINGS + 1)
        for e in range(1, ENTRANCES + 1)
        for floor in range(1, FLOORS + 1)
        for room in range(1, ROOMS + 1)
    ]


def demo_community(anvil_keys: list[str]) -> dict:
    """Units (label, area in 0.01 m², owner person), tenants, merchants and providers.

    anvil_keys: private keys of the local chain's funded test accounts; 1 is the
    property manager, 2-4 owners, 5 a tenant, 6 a merchant, 7 a provider, 9 the developer.
    """
    rng = random.Random(DEMO_SEED)
    labels = unit_labels()
    developer = demo_person("developer", "developer", anvil_keys[9])
    named_owners = [demo_person("owner", f"owner-{i}", anvil_keys[i]) for i in (2, 3, 4)]
    units = []
    # The developer still holds the top floors of building 5 (unsold): one head together.
    unsold = set(labels[-DEVELOPER_UNITS:])
    owner_pool: list[DemoPerson] = list(named_owners)
    next_owner = 0
    for label in labels:
        room = int(label[-2:])
        mean, spread = FLAT_TYPES[room]
        area = round((mean + rng.uniform(-spread, spread)) * 100)
        if label in unsold:
            units.append((label, area, developer))
            continue
        if next_owner < len(owner_pool):
            person = owner_pool[next_owner]
        else:
            person = demo_person("owner", f"resident-owner-{next_owner}")
            owner_pool.append(person)
        units.append((label, area, person))
        next_owner += 1
    # Some owners bought a second flat: give them the next units of the list instead.
    second_buyers = [owner_pool[i] for i in range(0, OWNERS_WITH_TWO_UNITS * 7, 7)]
    for n, buyer in enumerate(second_buyers):
        index = 20 + n * 13
        label, area, _ = units[index]
        units[index] = (label, area, buyer)
    tenants = [demo_person("tenant", "tenant-0", anvil_keys[5])] + [
        demo_person("tenant", f"tenant-{i}") for i in range(1, TENANTS)
    ]
    merchants = [demo_person("merchant", "merchant-0", anvil_keys[6])] + [
        demo_person("merchant", f"merchant-{i}") for i in (1, 2)
    ]
    providers = [demo_person("provider", "provider-0", anvil_keys[7])] + [
        demo_person("provider", f"provider-{i}") for i in (1, 2)
    ]
    manager = demo_person("manager", "manager", anvil_keys[1])
    return {
        "units": units,
        "developer": developer,
        "tenants": tenants,
        "merchants": merchants,
        "providers": providers,
        "manager": manager,
    }


def units_csv(units) -> str:
    """The demo units as an import CSV (the same path the committee uses)."""
    lines = ["label,area_m2,owner,commitment"]
    for label, area, person in units:
        lines.append(f"{label},{area // 100}.{area % 100:02d},{person.address},0x{person.commitment.hex()}")
    return "\n".join(lines) + "\n"
