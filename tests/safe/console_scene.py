# SPDX-License-Identifier: AGPL-3.0-only
"""A community whose committee is a 2-of-3 Safe (born with the timelock as module and
CommitteeGuard as guard, as production deploys it), with what the committee's console
acts on: this year's public-income budget the assembly approved (the deployer keeps the
assembly's powers here, standing in for passed proposals), emergency caps, and money in
the maintenance fund, a yearly allowance of points grants. Shared by the store's tests (tests/safe/test_console_store.py) and
the browser's (tests/e2e/test_committee_console.py)."""

from __future__ import annotations

from hashlib import sha256
from types import SimpleNamespace

from eth_utils import to_checksum_address

from backend.chain.deployment import deploy_full_community, manifest_dict
from backend.chain.safe import SafeCommittee, safe_infrastructure_at

PUBLIC_INCOME = 1
ANNUAL_BUDGET = 50_000_00  # fen: 50,000 yuan of public income for the year
EMERGENCY_PER_USE, EMERGENCY_PER_YEAR = 20_000_00, 60_000_00
MAINTENANCE_DEPOSIT = 100_000_00
GRANT_ALLOWANCE = 5_000  # points the committee may grant a year (the assembly's limit)
DAY = 86400
ASSEMBLY_PARAMS = {"timelock_delay": 2 * DAY, "min_notice": DAY, "min_voting_period": DAY,
                   "max_voting_period": 30 * DAY, "objection_window": 3 * DAY}
INFRA = ("SafeL2", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSendCallOnly")


def console_community(project, chain, deployer, members, *, vault_logger=None, name="议事小区"):
    community = deploy_full_community(project, chain, deployer, name=name, committee_members=members,
                                      committee_threshold=2, assembly_params=ASSEMBLY_PARAMS,
                                      hand_over_powers=False, vault_logger=vault_logger)
    contracts = community.contracts()
    fees, treasury, token = contracts["PropertyFees"], contracts["CommunityTreasury"], contracts["SettlementToken"]
    year = fees.current_month() // 12
    treasury.approve_annual_budget(year, PUBLIC_INCOME, ANNUAL_BUDGET, sha256(f"budget {year}".encode()).digest(),
                                   sender=deployer)
    treasury.set_emergency_caps(EMERGENCY_PER_USE, EMERGENCY_PER_YEAR, sender=deployer)
    token.mint(deployer, MAINTENANCE_DEPOSIT, sender=deployer)
    token.approve(fees.address, MAINTENANCE_DEPOSIT, sender=deployer)
    fees.deposit_maintenance(MAINTENANCE_DEPOSIT, sha256(b"initial deposits").digest(), sender=deployer)
    community.points.set_grant_allowance(GRANT_ALLOWANCE, sender=deployer)
    infra = safe_infrastructure_at(chain, {name: contracts[name].address for name in INFRA})
    safe = SafeCommittee(contracts["CommitteeSafe"], chain, infra)
    return SimpleNamespace(community=community, contracts=contracts, safe=safe, treasury=treasury, fees=fees,
                           token=token, year=year, manifest=manifest_dict(community, "local"), deployer=deployer)


def units_csv(count: int, start: int = 1, prefix: str = "5-1-") -> str:
    """A good units CSV of `count` units, each its own owner and commitment."""
    lines = ["label,area_m2,owner,commitment"]
    for n in range(start, start + count):
        owner = to_checksum_address(sha256(f"owner {prefix}{n}".encode()).digest()[:20])
        lines.append(f"{prefix}{n:03d},{80 + n % 40}.50,{owner},0x{sha256(f'identity {prefix}{n}'.encode()).hexdigest()}")
    return "\n".join(lines) + "\n"
