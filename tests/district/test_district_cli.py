"""A community is one command on a shared chain, as an operator runs it (subprocesses
against the test chain): `ape run district deploy` with a street office Safe, `ape run
deploy --district … --street …` deploys a whole community and lists it, the units import
finds it by name, a name already listed is refused before anything is sent, and the
street office retires a mistaken entry. With the district's factory: a community in four
transactions, and a build that stopped part way abandoned by its name."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from eth_utils import keccak

from backend.chain.district import district_at
from tests.scripts.test_deploy_cli import ape_run


def test_deploy_list_import_by_name_and_retire(project, chain, tmp_path, committee, owner_a, owner_b, owner_c,
                                               merchant, provider, tenant):
    staff = ",".join(a.address for a in (merchant, provider, tenant))
    office_keys = f"{merchant.private_key},{provider.private_key}"
    done = ape_run(chain, "district", "deploy", "--street-office-members", staff, "--street-office-threshold", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    address = re.search(r"District registry (0x[0-9a-fA-F]{40})", done.stdout).group(1)
    district = district_at(project, address)
    env = {"LINLI_DISTRICT": address, "LINLI_STREET_OFFICE_KEYS": office_keys}

    members = ",".join(a.address for a in (owner_a, owner_b, owner_c))
    manifest = tmp_path / "m.json"
    done = ape_run(chain, "deploy", "--manifest", str(manifest), "--name", " 广中小区 ", "--street", "广中路街道",
                   "--committee-members", members, "--committee-threshold", "2", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Listed as community 1" in done.stdout
    written = json.loads(manifest.read_text())
    assert (written["name"], written["street"], written["district_id"]) == ("广中小区", "广中路街道", 1)
    assert district.community(1).registry == written["community"]

    # The same name again: refused before the deployer sends anything.
    nonce = committee.nonce
    again = ape_run(chain, "deploy", "--manifest", str(tmp_path / "again.json"), "--name", "广中小区",
                    "--street", "广中路街道", "--committee-members", members, **env)
    assert again.returncode != 0 and "already lists a community named '广中小区'" in again.stdout + again.stderr
    assert committee.nonce == nonce and not (tmp_path / "again.json").exists()

    # The units import by the community's name: no manifest file.
    csv = tmp_path / "units.csv"
    csv.write_text("label,area_m2,owner,commitment\n"
                   f"1-1-101,89.50,{owner_a.address},0x{'ab' * 32}\n", encoding="utf-8")
    done = ape_run(chain, "units", "import", str(csv), "--community", "广中小区",
                   LINLI_COMMITTEE_KEYS=f"{owner_a.private_key},{owner_b.private_key}", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    registry = project.HouseholdRegistry.at(written["community"])
    assert registry.unit_count() == 1 and registry.unit_owner(1) == owner_a.address
    unknown = ape_run(chain, "units", "list", "--community", "曲阳小区", **env)
    assert unknown.returncode != 0 and "lists no community named '曲阳小区'" in unknown.stdout + unknown.stderr

    listed = ape_run(chain, "district", "list", **env)
    assert listed.returncode == 0 and f"广中小区  广中路街道  {written['community']}" in listed.stdout

    # A street office member's key alone does not retire; the Safe's threshold does.
    one = ape_run(chain, "district", "retire", "广中小区", "--note", "名称有误", LINLI_DISTRICT=address,
                  LINLI_STREET_OFFICE_KEYS=merchant.private_key)
    assert one.returncode != 0 and "needs 2 members' signatures" in one.stdout + one.stderr
    done = ape_run(chain, "district", "retire", "广中小区", "--note", "名称有误", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert district.community(1).retired and district.community_id("广中小区") == 0


@pytest.fixture(scope="module")
def with_factory(project, chain, committee, merchant, provider, tenant, owner_a, owner_b, owner_c):
    """A district whose street office is a 2-of-3 Safe of three staff, and its factory
    (`committee` its deployer), both made by `ape run district`: {district, factory, env}.
    (The owners too: a session fixture first set up inside a test would break Ape's isolation.)"""
    staff = ",".join(a.address for a in (merchant, provider, tenant))
    done = ape_run(chain, "district", "deploy", "--street-office-members", staff, "--street-office-threshold", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    address = re.search(r"District registry (0x[0-9a-fA-F]{40})", done.stdout).group(1)
    env = {"LINLI_DISTRICT": address, "LINLI_STREET_OFFICE_KEYS": f"{merchant.private_key},{provider.private_key}"}
    done = ape_run(chain, "district", "factory", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    factory = re.search(r"CommunityFactory (0x[0-9a-fA-F]{40})", done.stdout).group(1)
    return SimpleNamespace(district=district_at(project, address), factory=factory, env=env)


def test_the_street_office_makes_a_factory_and_a_community_is_built_in_four_transactions(
        project, chain, tmp_path, committee, owner_a, owner_b, owner_c, with_factory):
    """`ape run district factory` (the blueprints, the factory, its lister role and its
    deployer, as the street office's Safe), then `ape run deploy --factory`: four
    transactions of the deployer's, the community listed, its manifest read back from the
    district; the units import finds it by name; a taken name sends nothing."""
    district, factory, env = with_factory.district, with_factory.factory, with_factory.env
    assert district.is_lister(factory) and project.CommunityFactory.at(factory).is_deployer(committee.address)

    members = ",".join(a.address for a in (owner_a, owner_b, owner_c))
    manifest = tmp_path / "f.json"
    nonce = committee.nonce
    done = ape_run(chain, "deploy", "--manifest", str(manifest), "--name", "江湾小区", "--street", "江湾镇街道",
                   "--committee-members", members, "--committee-threshold", "2", "--factory", factory, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert committee.nonce - nonce == 4 and "in 4 transactions" in done.stdout
    written = json.loads(manifest.read_text())
    assert (written["name"], written["street"], written["district_id"]) == ("江湾小区", "江湾镇街道", 1)
    assert district.community(1).registry == written["community"]
    assert len(written["contracts"]) == 24

    csv = tmp_path / "units.csv"
    csv.write_text(f"label,area_m2,owner,commitment\n1-1-101,89.50,{owner_a.address},0x{'cd' * 32}\n", encoding="utf-8")
    done = ape_run(chain, "units", "import", str(csv), "--community", "江湾小区",
                   LINLI_COMMITTEE_KEYS=f"{owner_a.private_key},{owner_b.private_key}", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.HouseholdRegistry.at(written["community"]).unit_owner(1) == owner_a.address

    nonce = committee.nonce
    again = ape_run(chain, "deploy", "--name", "江湾小区", "--street", "江湾镇街道", "--committee-members", members,
                    "--factory", factory, **env)
    assert again.returncode != 0 and "already lists a community named '江湾小区'" in again.stdout + again.stderr
    assert committee.nonce == nonce


def test_a_stopped_build_is_abandoned_by_name_and_its_name_begins_again(project, committee, chain, with_factory):
    """A build that stopped after its first step (the operator's command ended there)
    holds its name: `ape run district abandon --name` frees it in one transaction of its
    deployer's, a second time is refused with nothing sent, and a new build of the name
    begins."""
    factory = project.CommunityFactory.at(with_factory.factory)
    env = {**with_factory.env, "LINLI_COMMUNITY_FACTORY": with_factory.factory}
    receipt = factory.begin("停建小区", "江湾镇街道", 3 * 86400, sender=committee)
    stopped = int(receipt.decode_logs(factory.CommunityBuildBegun)[0].build_id)
    nonce = committee.nonce
    done = ape_run(chain, "district", "abandon", "--name", "停建小区", **env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Abandoned build {stopped} (停建小区)" in done.stdout and "free again" in done.stdout
    assert committee.nonce == nonce + 1 and factory.build(stopped).step == 5
    assert factory.reserved_by(keccak(text="停建小区")) == 0

    again = ape_run(chain, "district", "abandon", "--name", "停建小区", **env)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert f"build {stopped} ('停建小区') is already abandoned" in again.stdout + again.stderr
    assert committee.nonce == nonce + 1

    receipt = factory.begin("停建小区", "江湾镇街道", 3 * 86400, sender=committee)
    new = int(receipt.decode_logs(factory.CommunityBuildBegun)[0].build_id)
    assert new == stopped + 1 and factory.reserved_by(keccak(text="停建小区")) == new
