"""deploy_community and the manifest the indexer and pages read."""

import json

import ape
import pytest

from backend.chain.accounts import DEPLOYER_KEY_ENV, DeployerError, deployer_account
from backend.chain.deployment import ManifestError, deploy_community, manifest_dict, manifest_path, read_manifest, role_id, write_manifest


def test_deploy_wires_points_to_the_registry(community, registry, points, committee, merchant, roles):
    assert points.registry() == registry.address
    assert registry.points() == points.address
    registry.grantRole(roles["merchant"], merchant, sender=committee)
    assert points.is_merchant(merchant)


def test_separate_committee_gets_every_power(project, chain, accounts, owner_a):
    deployer = accounts[1]
    community = deploy_community(project, chain, deployer, name="二号小区", committee=owner_a)
    registry, points = community.registry, community.points
    assert registry.hasRole(role_id("committee"), owner_a)
    assert not registry.hasRole(role_id("committee"), deployer)
    assert points.owner() == owner_a.address and not points.is_minter(deployer)
    with ape.reverts("registry: committee only"):
        registry.set_points(points, sender=deployer)
    registry.set_points(points, sender=owner_a)


def test_manifest_round_trip(tmp_path, community, chain):
    manifest = manifest_dict(community, "local")
    path = manifest_path(tmp_path, "local", chain.chain_id)
    write_manifest(manifest, path)
    loaded = read_manifest(path)
    assert loaded["chain_id"] == chain.chain_id
    assert loaded["community"] == community.registry.address
    assert loaded["deploy_block"] <= chain.blocks.head.number
    names = {entry["name"] for entry in loaded["contracts"]["HouseholdRegistry"]["abi"] if entry["type"] == "event"}
    assert {"UnitRegistered", "OwnerWeightChanged", "TotalsChanged", "UnitTransferred"} <= names
    assert loaded["contracts"]["CommunityPoints"]["address"] == community.points.address
    assert path.name == f"local-{chain.chain_id}.json"


def test_manifest_errors_are_clear(tmp_path):
    with pytest.raises(ManifestError, match="run the deploy script first"):
        read_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ManifestError, match="not valid JSON"):
        read_manifest(bad)
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"chain_id": 1}))
    with pytest.raises(ManifestError, match="has no 'deploy_block'"):
        read_manifest(partial)


def test_deployer_account_from_environment(monkeypatch, accounts):
    monkeypatch.setenv(DEPLOYER_KEY_ENV, accounts[3].private_key)
    assert deployer_account(4242).address == accounts[3].address
    monkeypatch.setenv(DEPLOYER_KEY_ENV, "not-a-key")
    with pytest.raises(DeployerError, match="not a valid private key"):
        deployer_account(4242)
    monkeypatch.delenv(DEPLOYER_KEY_ENV)
    with pytest.raises(DeployerError, match="set LINLI_DEPLOYER_KEY"):
        deployer_account(4242)
    assert deployer_account(31337).address == accounts[0].address


def test_unknown_role_name():
    with pytest.raises(ValueError, match="unknown role"):
        role_id("mayor")


def test_full_deployment_wires_every_module(project, chain, committee, attacker):
    from backend.chain.deployment import POINTS_MINTERS, deploy_full_community

    community = deploy_full_community(project, chain, committee, name="全量小区", vault_logger=attacker)
    contracts = community.contracts()
    assert set(contracts) == {
        "HouseholdRegistry", "CommunityPoints", "SettlementToken", "PropertyFees", "OwnersAssembly", "AssemblyTimelock",
        "CultureWorks", "CommunityActivities", "MerchantPromotions", "ServiceMarket", "SuggestionBox", "DataConsent",
    }
    fees, timelock = contracts["PropertyFees"], contracts["AssemblyTimelock"]
    for name in POINTS_MINTERS:
        assert community.points.is_minter(contracts[name]), name
    # Only the assembly's timelock moves the maintenance fund.
    assert fees.governance() == timelock.address
    with ape.reverts("fees: governance only"):
        fees.set_maintenance_share(500, sender=committee)
    # Promotions and the market pay into this community's public income, in its token.
    assert contracts["MerchantPromotions"].fees() == fees.address
    assert contracts["ServiceMarket"].fees() == fees.address
    assert contracts["DataConsent"].is_logger(attacker)
    manifest = manifest_dict(community, "local")
    assert set(manifest["contracts"]) == set(contracts)


def test_committee_wiring_lists_every_call_a_separate_committee_makes(project, chain, committee, owner_a):
    from backend.chain.deployment import POINTS_MINTERS, committee_wiring, deploy_full_community

    community = deploy_full_community(project, chain, committee, name="委员会小区", committee=owner_a)
    contracts = community.contracts()
    # The deployer kept no power, so no module can mint until the committee appoints it.
    for name in POINTS_MINTERS:
        assert not community.points.is_minter(contracts[name]), name
    calls = "\n".join(committee_wiring(community))
    for name in POINTS_MINTERS:
        assert f"points.set_minter({contracts[name].address}, True)" in calls
    assert f"fees.set_governance({contracts['AssemblyTimelock'].address})" in calls
    assert f"registry.set_points({community.points.address})" in calls
