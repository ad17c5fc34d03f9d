# SPDX-License-Identifier: AGPL-3.0-only
"""`ape run committee propose | queue | execute` as operators run them, in a subprocess
against the test chain: a proposal composed from the menu of actions (a TOML, JSON or CSV
file, or --action options; never calldata), printed decoded with each call's class, its
statute item and what it needs (--dry-run sends nothing); refused before anything is sent
with the composer route's own messages (a bad field, what the chain says of it, a window
the rules forbid, a proposer who is no owner); proposed by an owner, or as the committee
through its 2-of-3 Safe; then voted, queued and executed from the command line with the
calls the chain logged.

One community per module (`hall`): the console's community (tests/safe/console_scene.py,
a 2-of-3 Safe of owner_a, owner_b, owner_c as committee, the deployer still holding the
assembly's powers), with one unit, owner_c's."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from hashlib import sha256
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_abi import decode
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import role_id
from backend.chain.proposal_actions import selector
from backend.core.config import Settings
from tests.backend.conftest import fresh_database_url
from tests.safe.console_scene import console_community

ROOT = Path(__file__).resolve().parents[2]
APE = str(Path(sys.executable).with_name("ape"))
TEXT = "一、联署门槛降为百分之八。\n二、维修资金分摊比例提高到百分之十五。\n"
TOML = """matter = 6
[[actions]]
action = "set_cosign_threshold"
bps = 800

[[actions]]
action = "set_maintenance_share"
bps = 1500
"""


@pytest.fixture(scope="module")
def hall(project, chain, committee, owner_a, owner_b, owner_c, tmp_path_factory):
    town = console_community(project, chain, committee, [owner_a, owner_b, owner_c], name="议事厅小区")
    registry = town.community.registry
    town.safe.call(registry.register_unit, "9-1-101", 90_00, owner_c.address, sha256(b"c1").digest(),
                   signers=[owner_a, owner_b])
    chain.mine()
    folder = tmp_path_factory.mktemp("hall")
    manifest = folder / "m.json"
    manifest.write_text(json.dumps(town.manifest), encoding="utf-8")
    (folder / "text.md").write_text(TEXT, encoding="utf-8")
    (folder / "actions.toml").write_text(TOML, encoding="utf-8")
    return SimpleNamespace(town=town, registry=registry, assembly=town.contracts["OwnersAssembly"],
                           folder=folder, manifest=manifest, text=str(folder / "text.md"),
                           doc_hash="0x" + sha256(TEXT.encode()).hexdigest())


def ape_run(chain, hall, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "APE_FOUNDRY_HOST": chain.provider.uri, **extra_env}
    for name in ("LINLI_DEPLOYER_KEY", "LINLI_COMMITTEE_KEYS"):
        if name not in extra_env:
            env.pop(name, None)
    return subprocess.run([APE, "run", "committee", *args, "--manifest", str(hall.manifest),
                           "--network", "ethereum:local:foundry"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def propose(chain, hall, *args, **env):
    return ape_run(chain, hall, "propose", "--title", "联署门槛与维修资金", "--text", hall.text, *args, **env)


def nonces(chain, *accounts):
    return [chain.provider.get_nonce(getattr(a, "address", a)) for a in accounts]


def write(hall, name, text):
    path = hall.folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_dry_run_prints_the_calls_decoded_their_class_and_what_the_proposal_needs(chain, hall, owner_c):
    assembly = hall.assembly
    before = nonces(chain, owner_c) + [assembly.proposal_nonce(owner_c.address)]
    run = propose(chain, hall, "--actions", str(hall.folder / "actions.toml"), "--dry-run",
                  LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    # Decoded, with the chain's classes: the co-signer threshold ordinary, the share major.
    assert f"call 1 [ordinary] set_cosign_threshold (item 1): OwnersAssembly {assembly.address}." \
           "set_cosign_threshold(800)" in out
    assert "call 2 [major] set_maintenance_share (item 6): PropertyFees" in out and "set_maintenance_share(1500)" in out
    assert "第(六)项 — item 6: raising the maintenance fund" in out
    assert "at least 3/4 of the area and of the owners taking part agree" in out
    assert "PropertyFees.set_maintenance_share is a major call" in out
    assert f"SHA-256 {hall.doc_hash}" in out and "an owner's motion" in out
    assert "notice: the proposal's notice" in out and "nothing sent" in out
    assert nonces(chain, owner_c) + [assembly.proposal_nonce(owner_c.address)] == before


@pytest.fixture
def compose_client(hall, chain, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(hall.town.manifest), encoding="utf-8")
    settings = Settings(environment="test", database_url=fresh_database_url("sqlite", tmp_path),
                        rpc_url=chain.provider.uri, manifest=manifest,
                        vault_database_url=f"sqlite:///{tmp_path / 'vault.db'}", vault_key_file=tmp_path / "vault.key",
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode())
    with TestClient(create_app(settings)) as client:
        yield client


def test_bad_input_is_refused_with_the_routes_messages_and_nothing_is_sent(chain, hall, compose_client, owner_a,
                                                                            owner_c, tenant):
    """The same actions to the route and to the CLI: every message the route answers (422)
    is in the CLI's refusal; a window the rules forbid and a proposer who is no owner are
    refused by the CLI before sending."""
    assembly, safe = hall.assembly, hall.town.safe
    url = f"/api/v1/communities/{hall.registry.address.lower()}/assembly/compose"
    bad = [{"action": "set_cosign_threshold", "bps": "2001"},
           {"action": "pay_by_decision", "payee": "0x1234", "amount_yuan": "1.234", "doc_hash": "0x" + "ab" * 32},
           {"action": "raw_call", "target": assembly.address, "calldata": "0xdeadbeef"}]
    answer = compose_client.post(url, json={"actions": bad})
    assert answer.status_code == 422
    messages = [d["msg"] for d in answer.json()["detail"]]
    assert len(messages) >= 4
    csv_file = write(hall, "bad.csv", "action,bps,payee,amount_yuan,doc_hash,target,calldata\n"
                                      "set_cosign_threshold,2001,,,,,\n"
                                      f"pay_by_decision,,0x1234,1.234,0x{'ab' * 32},,\n"
                                      f"raw_call,,,,,{assembly.address},0xdeadbeef\n")
    before = nonces(chain, owner_c, tenant, owner_a) + [safe.nonce()]
    refused = propose(chain, hall, "--actions", csv_file, LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and f"{len(messages)} problem(s), nothing sent" in out, out[-2000:]
    for message in messages:  # (the API shortens a long message: "… (317 characters)")
        assert message.split("…")[0] in out
    assert "action 1 (set_cosign_threshold), bps: Input should be less than or equal to 2000" in out
    assert "action 2 (pay_by_decision), payee: String should match pattern" in out

    # What the chain says of a field: the route's 422 and the CLI's refusal, the same words.
    answer = compose_client.post(url, json={"actions": [{"action": "remove_committee_member",
                                                          "member": tenant.address}]})
    assert answer.status_code == 422 and answer.json()["detail"][0]["msg"] == "not a member of the committee"
    refused = propose(chain, hall, "--action", f"remove_committee_member member={tenant.address}",
                      LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "action 1 (remove_committee_member), member: not a member of the committee" in out

    # A vote too soon and too short; a proposer who owns nothing; no action at all.
    refused = propose(chain, hall, "--action", "set_cosign_threshold bps=800", "--start", "2000-01-01 09:00",
                      "--voting-days", "0", LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "2 problem(s), nothing sent" in out
    assert "--start 2000-01-01 09:00 北京时间: the vote may open at the earliest" in out
    assert "--voting-days 0: the rules allow 1 to 30 days" in out
    refused = propose(chain, hall, "--action", "set_cosign_threshold bps=800", LINLI_DEPLOYER_KEY=tenant.private_key)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and f"the chain refuses it from {tenant.address}: assembly: committee or " \
                                       "owners only" in out
    refused = propose(chain, hall, LINLI_DEPLOYER_KEY=owner_c.private_key)
    assert refused.returncode != 0 and "no action" in refused.stdout + refused.stderr
    # As the committee with one member's signature of the two needed: refused before sending.
    refused = propose(chain, hall, "--action", "set_cosign_threshold bps=800", "--as-committee", "--signer", "TEST::2",
                      LINLI_DEPLOYER_KEY=owner_a.private_key)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "needs 2 members' signatures" in out and "nothing sent" in out
    assert nonces(chain, owner_c, tenant, owner_a) + [safe.nonce()] == before


def test_an_owner_proposes_and_the_committee_proposes_through_its_safe(chain, hall, owner_a, owner_c, merchant):
    assembly, safe = hall.assembly, hall.town.safe
    # An owner's motion from a JSON file; the payment's document is the full text's hash.
    actions = write(hall, "pay.json", json.dumps([{"action": "pay_by_decision", "payee": merchant.address,
                                                    "amount_yuan": "1250.50"}]))
    done = propose(chain, hall, "--actions", actions, LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    proposal_id = int(re.search(r"proposed: proposal (\d+), tx 0x[0-9a-f]{64}", out).group(1))
    assert assembly.proposer(proposal_id) == owner_c.address
    assert f"full text: publish {hall.text} in the community's document library" in out
    receipt = chain.provider.get_receipt(re.search(r"tx (0x[0-9a-f]{64})", out).group(1))
    [created] = receipt.decode_logs(assembly.ProposalCreated)
    [details] = receipt.decode_logs(assembly.ProposalDetails)
    assert "0x" + bytes(details.doc_hash).hex() == hall.doc_hash and details.matter == 9 and not details.major
    data = bytes(created.calldatas[0])
    assert data[:4] == selector("pay_by_decision(uint8,address,uint256,bytes32)")
    assert decode(["uint8", "address", "uint256", "bytes32"], data[4:]) == (
        1, merchant.address.lower(), 125_050, bytes.fromhex(hall.doc_hash[2:]))

    # As the committee: one SafeTx signed by two members, sent by a third party's key.
    safe_nonce = safe.nonce()
    done = propose(chain, hall, "--action", "set_cosign_threshold bps=800", "--as-committee",
                   "--signer", "TEST::2", "--signer", "TEST::3", LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    proposal_id = int(re.search(r"proposed: proposal (\d+)", out).group(1))
    assert assembly.proposer(proposal_id) == safe.address and safe.nonce() == safe_nonce + 1
    assert f"the committee's Safe {safe.address}, signed by {owner_a.address}" in out
    assert "an owner's motion" not in out
    assert assembly.state(proposal_id) == 0  # the committee's proposal waits for its vote, no co-signers


def test_a_passed_proposal_is_queued_and_executed_from_the_command_line(chain, hall, committee, owner_a, owner_b,
                                                                        owner_c, project):
    assembly, registry, safe = hall.assembly, hall.registry, hall.town.safe
    timelock = hall.town.contracts["AssemblyTimelock"]
    registry.grantRole(role_id("assembly"), timelock.address, sender=committee)
    done = propose(chain, hall, "--action", "set_cosign_threshold bps=700", LINLI_DEPLOYER_KEY=owner_c.private_key)
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"proposed: proposal (\d+), tx (0x[0-9a-f]{64})", done.stdout)
    proposal_id = int(found.group(1))
    [created] = chain.provider.get_receipt(found.group(2)).decode_logs(assembly.ProposalCreated)
    start, end = created.voteStart, created.voteEnd
    refused = ape_run(chain, hall, "queue", str(proposal_id))
    assert refused.returncode != 0 and "assembly: voting not over" in refused.stdout + refused.stderr
    chain.pending_timestamp = start
    chain.mine()
    assembly.castVote(proposal_id, 1, sender=owner_c)
    paper = project.PaperBallots.at(assembly.paper_ballots())
    chain.pending_timestamp = end
    chain.mine()
    safe.call(paper.publish_preliminary, proposal_id, signers=[owner_a, owner_b])
    chain.pending_timestamp = paper.objection_ends(proposal_id)
    chain.mine()
    safe.call(paper.publish_final, proposal_id, signers=[owner_a, owner_b])
    assert assembly.state(proposal_id) == 4

    sender = ("--sender", "TEST::5")  # anyone may queue and execute
    dry = ape_run(chain, hall, "queue", str(proposal_id), "--dry-run", *sender)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"call 1: {assembly.address}.set_cosign_threshold(700)" in dry.stdout and "nothing sent" in dry.stdout
    assert assembly.state(proposal_id) == 4
    done = ape_run(chain, hall, "queue", str(proposal_id), *sender)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(rf"queued: proposal {proposal_id}, executable from .*, tx 0x[0-9a-f]{{64}}", done.stdout)
    assert assembly.state(proposal_id) == 5
    early = ape_run(chain, hall, "execute", str(proposal_id), *sender)
    assert early.returncode != 0 and "assembly: timelock delay not over" in early.stdout + early.stderr
    assert assembly.state(proposal_id) == 5
    chain.pending_timestamp = chain.blocks.head.timestamp + timelock.get_minimum_delay() + 1
    chain.mine()
    done = ape_run(chain, hall, "execute", str(proposal_id), *sender)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"executed: proposal {proposal_id}, tx 0x" in done.stdout
    assert assembly.state(proposal_id) == 7 and assembly.cosign_threshold_bps() == 700
    missing = ape_run(chain, hall, "execute", "12345")
    assert missing.returncode != 0 and "no proposal 12345" in missing.stdout + missing.stderr


def test_the_full_text_is_stored_in_the_document_library_before_proposing(chain, hall, accounts, owner_c,
                                                                           tmp_path_factory):
    """--api: the full text goes to the backend's document library first, signed in to its
    vault with the proposer's key as the page signs in; the proposal names what is stored.
    A library that cannot be reached: nothing sent."""
    import httpx

    from tests.e2e.conftest import serving, site_settings

    assembly = hall.assembly
    before = nonces(chain, owner_c)
    unreachable = propose(chain, hall, "--action", "set_cosign_threshold bps=600", "--api", "http://127.0.0.1:9",
                          LINLI_DEPLOYER_KEY=owner_c.private_key)
    out = unreachable.stdout + unreachable.stderr
    assert unreachable.returncode != 0 and "cannot be reached" in out and "nothing sent" in out
    assert nonces(chain, owner_c) == before
    settings, port, origin = site_settings(tmp_path_factory.mktemp("library"), hall.town.manifest, chain, accounts[8])
    with serving(settings, port, "propose-cli-api"):
        done = propose(chain, hall, "--action", "set_cosign_threshold bps=600", "--api", origin,
                       LINLI_DEPLOYER_KEY=owner_c.private_key)
        out = done.stdout
        assert done.returncode == 0, out + done.stderr
        assert f"full text stored in the document library at {origin} under {hall.doc_hash}, by {owner_c.address}" \
               in out
        stored = httpx.get(f"{origin}/api/v1/documents/{hall.doc_hash}", timeout=10)
        assert stored.status_code == 200 and stored.content == TEXT.encode()
    proposal_id = int(re.search(r"proposed: proposal (\d+)", out).group(1))
    assert assembly.proposer(proposal_id) == owner_c.address


def test_an_owner_publishes_the_proposals_notice_after_it_with_publish_notice(chain, hall, accounts, owner_c,
                                                                              tmp_path_factory):
    """--publish-notice: an owner's proposal, then its notice from the same key as the pages
    send it (its text public under its hash first, then NoticeBoard.publish_notice); without
    --api, or as the committee, refused before anything is sent."""
    import httpx

    from tests.e2e.conftest import serving, site_settings

    assembly = hall.assembly
    board = hall.town.contracts["NoticeBoard"]
    before = nonces(chain, owner_c)
    for extra in ([], ["--as-committee", "--signer", "TEST::2", "--signer", "TEST::3", "--api", "http://127.0.0.1:9"]):
        refused = propose(chain, hall, "--action", "set_cosign_threshold bps=500", "--publish-notice", *extra,
                          LINLI_DEPLOYER_KEY=owner_c.private_key)
        assert refused.returncode != 0 and "--publish-notice" in refused.stdout + refused.stderr
    assert nonces(chain, owner_c) == before

    settings, port, origin = site_settings(tmp_path_factory.mktemp("notice"), hall.town.manifest, chain, accounts[8])
    with serving(settings, port, "propose-cli-notice"):
        done = propose(chain, hall, "--action", "set_cosign_threshold bps=500", "--api", origin, "--publish-notice",
                       LINLI_DEPLOYER_KEY=owner_c.private_key)
        out = done.stdout
        assert done.returncode == 0, out + done.stderr
        proposal_id = int(re.search(r"proposed: proposal (\d+)", out).group(1))
        notice_id = board.proposal_notice(proposal_id)
        assert notice_id > 0 and f"notice published: notice {notice_id} for proposal {proposal_id}" in out
        content = "0x" + bytes(board.notice_content(notice_id)).hex()
        text = httpx.get(f"{origin}/api/v1/texts/{content}", timeout=10).json()["text"]
    assert "0x" + sha256(text.encode()).hexdigest() == content
    for words in ("联署门槛与维修资金", "表决时间：", "第二百七十八条", hall.doc_hash):
        assert words in text, words
    assert assembly.proposer(proposal_id) == owner_c.address
