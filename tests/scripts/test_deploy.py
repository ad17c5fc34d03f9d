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


def test_a_separate_committee_gets_the_committee_role_and_the_deployer_the_assemblys_until_hand_over(
        project, chain, accounts, owner_a):
    deployer = accounts[1]
    community = deploy_community(project, chain, deployer, name="二号小区", committee=owner_a)
    registry, points = community.registry, community.points
    assert registry.hasRole(role_id("committee"), owner_a)
    assert not registry.hasRole(role_id("committee"), deployer)
    # The deployer wires the community as the assembly until it hands over.
    assert registry.hasRole(role_id("assembly"), deployer) and registry.assembly_holders() == 1
    assert points.owner() == deployer.address
    with ape.reverts("registry: assembly only"):
        registry.set_points(points, sender=owner_a)
    registry.set_points(points, sender=deployer)


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


def test_full_deployment_wires_every_module_and_hands_over(project, chain, committee, attacker):
    from backend.chain.deployment import ASSEMBLY_ROLE, POINTS_MINTERS, deploy_full_community

    community = deploy_full_community(project, chain, committee, name="全量小区", vault_logger=attacker)
    contracts = community.contracts()
    assert set(contracts) == {
        "HouseholdRegistry", "CommunityPoints", "SettlementToken", "PropertyFees", "CommunityTreasury", "OwnersAssembly",
        "AssemblyTimelock", "Constitution", "CultureWorks", "CommunityActivities", "MerchantPromotions", "ServiceMarket",
        "SuggestionBox", "DataConsent", "NoticeBoard", "PaperBallots", "PasskeyAccount", "PasskeyAccountFactory",
    }
    # The passkey factory runs the implementation named beside it (the relayer checks
    # accounts against that implementation's proxy code).
    assert contracts["PasskeyAccountFactory"].IMPLEMENTATION() == contracts["PasskeyAccount"].address
    fees, timelock, registry = contracts["PropertyFees"], contracts["AssemblyTimelock"], community.registry
    for name in POINTS_MINTERS:
        assert community.points.is_minter(contracts[name]), name
    # The assembly is the timelock alone; the deployer (the committee in this test) keeps
    # only its committee role.
    assert registry.hasRole(ASSEMBLY_ROLE, timelock.address) and registry.assembly_holders() == 1
    assert not registry.hasRole(ASSEMBLY_ROLE, committee.address)
    assert community.points.owner() == timelock.address
    assert registry.hasRole(role_id("committee"), committee.address)
    with ape.reverts("fees: assembly only"):
        fees.set_maintenance_share(500, sender=committee)
    # The treasury module was named at deploy, for good.
    assert fees.treasury() == contracts["CommunityTreasury"].address
    # The constitution knows every power the assembly may exercise.
    assert contracts["OwnersAssembly"].call_class(fees, fees.set_maintenance_share.encode_input(1)) == 2
    # Promotions and the market pay into this community's public income, in its token.
    assert contracts["MerchantPromotions"].fees() == fees.address
    assert contracts["ServiceMarket"].fees() == fees.address
    assert contracts["DataConsent"].is_logger(attacker)
    # The vault's account anchors owners' receipts of notices; the board reads this assembly.
    assert contracts["NoticeBoard"].is_anchorer(attacker)
    assert contracts["NoticeBoard"].assembly() == contracts["OwnersAssembly"].address
    # Paper ballots count in this assembly only, and it takes them from these alone.
    assert contracts["PaperBallots"].assembly() == contracts["OwnersAssembly"].address
    assert contracts["OwnersAssembly"].paper_ballots() == contracts["PaperBallots"].address
    manifest = manifest_dict(community, "local")
    assert set(manifest["contracts"]) == set(contracts)


def test_an_existing_safe_is_accepted_and_an_ordinary_account_refused(project, chain, committee, owner_a, owner_b,
                                                                      owner_c):
    """The private-chain path: the committee is named by address; it must be a Safe.
    The wiring its members do once (module and guard) is printed."""
    from backend.chain.deployment import committee_wiring, deploy_full_community
    from backend.chain.safe import SafeError, create_safe, deploy_safe_infrastructure

    infra = deploy_safe_infrastructure(chain, committee)
    safe = create_safe(infra, [owner_a, owner_b, owner_c], 2, sender=committee)
    community = deploy_full_community(project, chain, committee, name="委员会小区", committee=safe.address)
    assert community.registry.hasRole(role_id("committee"), safe.address)
    assert not community.registry.hasRole(role_id("committee"), committee.address)
    calls = "\n".join(committee_wiring(community))
    assert f"safe.enableModule({community.extra['AssemblyTimelock'].address})" in calls
    assert "safe.setGuard(" in calls
    with pytest.raises(SafeError, match="has no code"):
        from backend.chain.committee_safe import check_committee_safe

        check_committee_safe(project, chain, owner_a.address)


def test_a_second_community_reuses_the_chains_passkey_factory(project, chain, committee):
    from backend.chain.deploy_passkeys import deploy_passkeys
    from backend.chain.deployment import deploy_full_community

    chain_wide = deploy_passkeys(project, chain, committee)
    community = deploy_full_community(project, chain, committee, name="第二个小区",
                                      passkey_factory=chain_wide["PasskeyAccountFactory"].address)
    contracts = community.contracts()
    assert contracts["PasskeyAccountFactory"].address == chain_wide["PasskeyAccountFactory"].address
    assert contracts["PasskeyAccount"].address == chain_wide["PasskeyAccount"].address
