"""`ape run deploy` as an operator runs it, in a subprocess against the test chain: a
committee that is a new Safe of three owners, the hand-over at the end, the refusal of
an ordinary account as committee (nothing sent), and the demo's deferred hand-over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from backend.chain.committee_safe import committee_safe_status
from backend.chain.deployment import ASSEMBLY_ROLE, role_id

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).with_name("ape"))


def ape_run(chain, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "APE_FOUNDRY_HOST": chain.provider.uri, **extra_env}
    env.pop("LINLI_DEPLOYER_KEY", None)
    return subprocess.run([APE, "run", *args, "--network", "ethereum:local:foundry"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_deploy_with_a_safe_committee_leaves_the_deployer_nothing(project, chain, tmp_path, committee, owner_a,
                                                                   owner_b, owner_c):
    manifest = tmp_path / "m.json"
    members = ",".join(a.address for a in (owner_a, owner_b, owner_c))
    done = ape_run(chain, "deploy", "--manifest", str(manifest), "--new-community", "--name", "命令行小区",
                   "--committee-members", members, "--committee-threshold", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "keeps none" in done.stdout
    contracts = json.loads(manifest.read_text())["contracts"]
    assert {"CommitteeSafe", "CommitteeGuard", "Constitution", "SafeL2", "MultiSendCallOnly"} <= set(contracts)
    registry = project.HouseholdRegistry.at(contracts["HouseholdRegistry"]["address"])
    timelock = project.AssemblyTimelock.at(contracts["AssemblyTimelock"]["address"])
    safe_address = contracts["CommitteeSafe"]["address"]
    for name in ("assembly", "committee"):
        assert not registry.hasRole(role_id(name), committee.address), name
    assert registry.hasRole(ASSEMBLY_ROLE, timelock.address) and registry.assembly_holders() == 1
    assert registry.hasRole(role_id("committee"), safe_address)
    assert project.CommunityPoints.at(contracts["CommunityPoints"]["address"]).owner() == timelock.address
    from backend.chain.safe import safe_at

    status = committee_safe_status(chain, safe_at(safe_address), timelock)
    assert status["module_enabled"] and status["guard"] == contracts["CommitteeGuard"]["address"].lower()
    assert (status["threshold"], set(status["members"])) == (2, {owner_a.address, owner_b.address, owner_c.address})

    # The units go in as the committee: one Safe transaction per batch, signed by two members.
    csv = tmp_path / "units.csv"
    csv.write_text("label,area_m2,owner,commitment\n"
                   f"1-1-101,89.50,{owner_a.address},0x{'ab' * 32}\n"
                   f"1-1-102,120.00,{owner_b.address},0x{'cd' * 32}\n", encoding="utf-8")
    one_key = ape_run(chain, "units", "import", str(csv), "--manifest", str(manifest),
                      LINLI_COMMITTEE_KEYS=owner_a.private_key)
    assert one_key.returncode != 0 and "needs 2 members' signatures" in one_key.stdout + one_key.stderr
    assert registry.unit_count() == 0
    done = ape_run(chain, "units", "import", str(csv), "--manifest", str(manifest),
                   LINLI_COMMITTEE_KEYS=f"{owner_a.private_key},{owner_b.private_key}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert registry.unit_count() == 2 and registry.unit_owner(2) == owner_b.address


def test_an_ordinary_account_is_refused_as_committee_and_nothing_is_sent(chain, tmp_path, committee, owner_a):
    nonce = committee.nonce
    done = ape_run(chain, "deploy", "--manifest", str(tmp_path / "m.json"), "--new-community",
                   "--committee", owner_a.address)
    assert done.returncode != 0
    assert "the committee must be a Safe" in done.stdout + done.stderr
    assert committee.nonce == nonce
    assert not (tmp_path / "m.json").exists()


def test_the_demo_keeps_the_powers_until_it_hands_them_over(project, chain, tmp_path, committee):
    manifest = tmp_path / "m.json"
    done = ape_run(chain, "deploy", "--manifest", str(manifest), "--new-community", "--keep-powers")
    assert done.returncode == 0, done.stdout + done.stderr
    registry = project.HouseholdRegistry.at(json.loads(manifest.read_text())["community"])
    assert registry.hasRole(ASSEMBLY_ROLE, committee.address) and registry.hasRole(role_id("committee"), committee.address)
    done = ape_run(chain, "committee", "hand-over", "--manifest", str(manifest))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not registry.hasRole(ASSEMBLY_ROLE, committee.address)
    assert not registry.hasRole(role_id("committee"), committee.address)
    again = ape_run(chain, "committee", "hand-over", "--manifest", str(manifest))
    assert again.returncode != 0 and "nothing to hand over" in again.stdout + again.stderr
