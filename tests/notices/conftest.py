"""Fixtures for the NoticeBoard: one full community per module (the deployer acts as
committee and assembly), its units registered, an anchorer account funded."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.chain.deployment import deploy_full_community
from tests.utils.households import link_resident
from tests.utils.identity import commitment_for

DAY = 86400
BOARD_ASSEMBLY = {"timelock_delay": 2 * DAY, "min_notice": 15 * DAY, "min_voting_period": DAY,
                  "max_voting_period": 30 * DAY, "objection_window": 3 * DAY}


@pytest.fixture(scope="session")
def board_anchorer(accounts):
    return accounts.generate_test_account()


@pytest.fixture(scope="module")
def board_town(project, chain, committee, owner_a, owner_b, owner_c, tenant, developer, board_anchorer):
    community = deploy_full_community(project, chain, committee, name="公告测试小区", assembly_params=BOARD_ASSEMBLY,
                                      hand_over_powers=False, vault_logger=board_anchorer)
    committee.transfer(board_anchorer, 10**19)
    registry = community.registry
    registry.register_units([
        ("1-1-101", 8_950, owner_a.address, commitment_for("owner_a")),
        ("1-1-201", 9_000, owner_b.address, commitment_for("owner_b")),
        ("2-1-101", 11_050, owner_c.address, commitment_for("owner_c")),
        ("2-1-102", 10_000, developer.address, commitment_for("developer")),
    ], sender=committee)
    link_resident(registry, 2, tenant, commitment_for("tenant"), owner=owner_b)
    contracts = community.contracts()
    return SimpleNamespace(community=community, registry=registry, board=contracts["NoticeBoard"],
                           assembly=contracts["OwnersAssembly"], contracts=contracts)
