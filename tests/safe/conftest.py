"""Fixtures for the committee's Safe: Safe 1.4.1's infrastructure deployed once per
module from npm's artifacts, a 2-of-3 committee Safe of owner_a, owner_b and owner_c,
its SafeCommittee helper, and CommitteeTarget, a contract only that Safe may call.

Ape snapshots the chain around every test, so each test starts from the same Safe
(nonce 0, the same three members)."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.chain.safe import SafeCommittee, create_safe, deploy_safe_infrastructure

TARGET_SOURCE = Path(__file__).parent / "contracts" / "CommitteeTarget.vy"


@pytest.fixture(scope="session")
def committee_target_container():
    from ape import compilers

    return compilers.compile_source("vyper", TARGET_SOURCE.read_text(), contractName="CommitteeTarget")


@pytest.fixture(scope="module")
def safe_infra(chain, committee):
    return deploy_safe_infrastructure(chain, committee)


@pytest.fixture(scope="session")
def safe_members(owner_a, owner_b, owner_c):
    return [owner_a, owner_b, owner_c]


@pytest.fixture(scope="module")
def committee_safe(safe_infra, safe_members, committee):
    return create_safe(safe_infra, safe_members, 2, sender=committee)


@pytest.fixture(scope="module")
def safe_committee(committee_safe, chain, safe_infra):
    return SafeCommittee(committee_safe, chain, safe_infra)


@pytest.fixture(scope="module")
def committee_target(committee_target_container, committee_safe, committee):
    return committee.deploy(committee_target_container, committee_safe.address)


@pytest.fixture(scope="session")
def members_by_address(safe_members):
    """The members in Safe's signature order (ascending address)."""
    return sorted(safe_members, key=lambda member: int(member.address, 16))
