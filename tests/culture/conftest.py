"""Fixtures for CultureWorks: a populated community with culture works deployed,
content hashes, a helper that mints a work, and the re-entering receiver contract."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from backend.chain.deploy_culture import deploy_culture
from tests.utils.identity import commitment_for

HOUR = 3600
DAY = 86400
BEIJING = 8 * HOUR
# A typical pinned metadata file (CIDv0): 53 bytes with the scheme.
URI = "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
ATTACKER_SOURCE = Path(__file__).parent / "contracts" / "CultureReceiverAttacker.vy"


def sha(text: str) -> bytes:
    """The sha256 of a work's file (here: of a short text)."""
    return hashlib.sha256(text.encode()).digest()


def beijing_day(timestamp: int) -> int:
    """Day index since 1970-01-01 in Beijing time (UTC+8)."""
    return (timestamp + BEIJING) // DAY


@pytest.fixture
def culture(project, chain, committee, populated):
    return deploy_culture(project, chain, committee, populated)["CultureWorks"]


@pytest.fixture
def mint(culture):
    """Mint a work whose file is `text`; returns the token id."""

    def _mint(who, text, kind=1, title="春联", uri=URI):
        tx = culture.mint_work(title, kind, sha(text), uri, sender=who)
        return int.from_bytes(sha(text), "big"), tx

    return _mint


@pytest.fixture
def housemate(registry, committee, provider):
    """A second resident linked to owner_b's unit 3: same household as the tenant."""
    registry.link_resident(3, provider.address, commitment_for("provider-housemate"), sender=committee)
    return provider


@pytest.fixture(scope="session")
def attacker_container():
    from ape import compilers

    return compilers.compile_source("vyper", ATTACKER_SOURCE.read_text(), contractName="CultureReceiverAttacker")


@pytest.fixture
def receiver(attacker_container, culture, registry, committee, attacker):
    """A contract resident (linked to owner_c's unit 4) that re-enters from onERC721Received."""
    contract = attacker.deploy(attacker_container, culture.address)
    registry.link_resident(4, contract.address, commitment_for("receiver-contract"), sender=committee)
    return contract


@pytest.fixture
def actors(committee, manager, owner_a, owner_b, merchant, attacker):
    """Actors by name, for parametrised tests (instead of request.getfixturevalue)."""
    return {
        "committee": committee,
        "manager": manager,
        "owner_a": owner_a,
        "owner_b": owner_b,
        "merchant": merchant,
        "attacker": attacker,
    }
