"""A community deployed the way production runs it: every contract, the constitution
table, a committee that is a 2-of-3 Safe of three owners (born with the assembly's
timelock as its module and CommitteeGuard as its guard), and the hand-over, after
which the deployer holds nothing and the timelock is the owners' assembly.

One deployment per module; Ape reverts the chain after each test.

Four owners of equal area (100 m² each): a vote of three for and one against is 3/4;
two for, one against and one absent (3/4 turnout) is 2/3 for: enough for an ordinary
matter, not for a major one.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.chain.deployment import deploy_full_community, role_id
from backend.chain.safe import SafeCommittee, safe_infrastructure_at
from tests.assembly.helpers import DAY
from tests.utils.identity import commitment_for

POWER_ASSEMBLY = {
    "timelock_delay": 2 * DAY,
    "min_notice": DAY,
    "min_voting_period": DAY,
    "max_voting_period": 30 * DAY,
    "objection_window": 3 * DAY,
    "queue_window": 10 * DAY,
}
AREA = 10_000


@pytest.fixture(scope="module")
def town(project, chain, committee, manager, owner_a, owner_b, owner_c, developer, merchant, provider, tenant,
         attacker):
    """The sovereign community: {community, contracts, safe (SafeCommittee), members,
    owners, deployer}."""
    members = [owner_a, owner_b, owner_c]

    def founding(community):
        # What the owners decided before the community came on chain: the property company.
        community.registry.grantRole(role_id("manager"), manager.address, sender=committee)

    community = deploy_full_community(
        project, chain, committee, name="主权小区", committee_members=members, committee_threshold=2,
        assembly_params=POWER_ASSEMBLY, founding=founding,
    )
    contracts = community.contracts()
    infra = safe_infrastructure_at(chain, {name: contracts[name].address for name in
                                           ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler",
                                            "MultiSendCallOnly")})
    safe = SafeCommittee(contracts["CommitteeSafe"], chain, infra)
    owners = [owner_a, owner_b, owner_c, developer]
    units = [(f"1-1-{101 + i}", AREA, o.address, commitment_for(f"power-{i}")) for i, o in enumerate(owners)]
    safe.call(community.registry.register_units, units, signers=[owner_a, owner_b])
    safe.call(community.registry.grantRole, role_id("merchant"), merchant.address, signers=[owner_a, owner_b])
    chain.mine()
    return SimpleNamespace(community=community, contracts=contracts, safe=safe, members=members, owners=owners,
                           deployer=committee, registry=community.registry, points=community.points,
                           assembly=contracts["OwnersAssembly"], timelock=contracts["AssemblyTimelock"],
                           constitution=contracts["Constitution"], fees=contracts["PropertyFees"])
