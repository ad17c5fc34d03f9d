"""HouseholdRegistry with the committee's Safe as its committee: the Safe registers
units and grants roles; a member's own key does nothing."""

from __future__ import annotations

import pytest
from ape.exceptions import ContractLogicError

from backend.chain.deployment import deploy_community, role_id
from backend.chain.safe import SafeCallReverted
from tests.utils.identity import commitment_for


@pytest.fixture(scope="module")
def safe_registry(project, chain, committee, committee_safe):
    return deploy_community(project, chain, committee, name="safe-committee", committee=committee_safe).registry


def test_the_safe_registers_a_unit_and_grants_a_role(safe_registry, safe_committee, owner_a, owner_b, tenant, manager):
    receipt = safe_committee.call(
        safe_registry.register_unit, "1-1-101", 8_950, tenant, commitment_for("safe-unit"), signers=[owner_a, owner_b]
    )
    [registered] = receipt.decode_logs(safe_registry.UnitRegistered)
    assert registered.unit_id == 1
    assert safe_registry.unit_owner(1) == tenant.address

    # The committee hands out the roles the assembly left to it (the manager is the assembly's).
    safe_committee.call(safe_registry.grantRole, role_id("merchant"), manager, signers=[owner_b, owner_a])
    assert safe_registry.hasRole(role_id("merchant"), manager)


def test_a_member_alone_is_not_the_committee(safe_registry, owner_a, tenant):
    with pytest.raises(ContractLogicError, match="registry: committee only"):
        safe_registry.register_unit("1-1-101", 8_950, tenant, commitment_for("safe-unit"), sender=owner_a)
    with pytest.raises(ContractLogicError, match="registry: caller is not the role's admin"):
        safe_registry.grantRole(role_id("manager"), owner_a, sender=owner_a)


def test_the_registrys_reason_reaches_the_committee(safe_registry, safe_committee, owner_a, owner_b, tenant):
    safe_committee.call(safe_registry.register_unit, "1-1-101", 8_950, tenant, commitment_for("safe-unit"), signers=[owner_a, owner_b])
    with pytest.raises(SafeCallReverted, match="registry: label already registered"):
        safe_committee.call(safe_registry.register_unit, "1-1-101", 100, tenant, commitment_for("safe-unit"), signers=[owner_a, owner_b])
