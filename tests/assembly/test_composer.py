# SPDX-License-Identifier: AGPL-3.0-only
"""The proposal composer's encoder (backend/chain/proposal_actions.py) through its route
`POST /communities/{c}/assembly/compose`, on a community whose committee is a 2-of-3 Safe:
each typed action's calldata decodes back to its fields, carries the class the chain
gives it, and run as the assembly's timelock runs it, does what the fields say; a
proposal made of composed calls is counted by the majority the route announced; bad
input is refused with the field's place (422), never encoded."""

from __future__ import annotations

import base64
import json
import secrets
from hashlib import sha256

import pytest
from eth_abi import decode
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import role_id
from backend.chain.proposal_actions import DAY, SENTINEL, selector
from backend.core.config import Settings
from tests.backend.conftest import fresh_database_url
from tests.safe.console_scene import console_community

CLASSES = {1: "ordinary", 2: "major", 3: "forbidden"}
DOC = "0x" + sha256("议案全文".encode()).hexdigest()


@pytest.fixture(scope="module")
def composer_town(project, chain, committee, owner_a, owner_b, owner_c, manager):
    town = console_community(project, chain, committee, [owner_a, owner_b, owner_c], name="议案小区")
    fees = town.fees
    # A service contract the manager would propose (the assembly, still the deployer here, may too).
    town.community.registry.grantRole(role_id("manager"), manager.address, sender=committee)
    month = fees.current_month()
    fees.propose_service_contract(sha256(b"contract").digest(), manager.address, month + 2, month + 26, 250, [],
                                  1, 0, sender=committee)
    return town


@pytest.fixture
def composer_client(composer_town, chain, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(composer_town.manifest), encoding="utf-8")
    # SQLite only: the composer writes nothing; the console's store (one test) is tested on both in tests/safe.
    settings = Settings(environment="test", database_url=fresh_database_url("sqlite", tmp_path),
                        rpc_url=chain.provider.uri, manifest=manifest,
                        vault_database_url=f"sqlite:///{tmp_path / 'vault.db'}", vault_key_file=tmp_path / "vault.key",
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode())
    with TestClient(create_app(settings)) as client:
        yield client


def url(town) -> str:
    return f"/api/v1/communities/{town.community.registry.address.lower()}/assembly/compose"


def compose(client, town, *actions, matter=None):
    body = {"actions": list(actions)}
    if matter is not None:
        body["matter"] = matter
    return client.post(url(town), json=body)


def args_of(call: dict) -> tuple:
    """The calldata decoded by the function's own signature (selector checked)."""
    data = bytes.fromhex(call["calldata"][2:])
    assert data[:4] == selector(call["signature"])
    types = call["signature"][call["signature"].index("(") + 1:-1].split(",")
    return decode(types, data[4:])


def as_timelock(chain, town, call: dict) -> None:
    """Run one composed call as the assembly's timelock runs a passed proposal's call."""
    timelock = town.contracts["AssemblyTimelock"].address
    chain.set_balance(timelock, 10**18)
    web3 = chain.provider.web3
    chain.provider.make_request("anvil_impersonateAccount", [timelock])
    try:
        tx = web3.eth.send_transaction({"from": timelock, "to": call["target"], "data": call["calldata"],
                                        "value": 0, "gas": 2_000_000})
        receipt = web3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"{call['contract']}.{call['function']} reverted"
    finally:
        chain.provider.make_request("anvil_stopImpersonatingAccount", [timelock])


def chain_class(town, call: dict) -> str:
    return CLASSES[town.contracts["OwnersAssembly"].call_class(call["target"], call["calldata"])]


def test_rules_of_procedure_decode_to_their_fields_with_the_chains_class_and_take_effect(
        composer_client, composer_town, chain):
    town, assembly = composer_town, composer_town.contracts["OwnersAssembly"]
    answer = compose(composer_client, town,
                     {"action": "set_voting_rules", "min_notice_days": 2, "min_voting_days": 3, "max_voting_days": 20,
                      "objection_days": 5, "queue_days": 40},
                     {"action": "set_cosign_threshold", "bps": 1_000})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    rules, threshold = out["calls"]
    assert args_of(rules) == (2 * DAY, 3 * DAY, 20 * DAY, 5 * DAY, 40 * DAY)
    assert args_of(threshold) == (1_000,)
    assert {c["target"] for c in out["calls"]} == {assembly.address}
    # The chain's classes: the voting rules are major, the co-signer threshold ordinary.
    assert [c["call_class"] for c in out["calls"]] == [chain_class(town, c) for c in out["calls"]] == ["major", "ordinary"]
    assert out["matter"] == 1 and out["major"] and out["approval"] == "3/4"
    assert out["major_call"] == {"contract": "OwnersAssembly", "function": "set_voting_rules"}
    assert out["targets"] == [c["target"] for c in out["calls"]] and out["calldatas"] == [c["calldata"] for c in out["calls"]]
    for call in out["calls"]:
        as_timelock(chain, town, call)
    assert (assembly.min_notice(), assembly.min_voting_period(), assembly.max_voting_period(),
            assembly.objection_window(), assembly.queue_window()) == (2 * DAY, 3 * DAY, 20 * DAY, 5 * DAY, 40 * DAY)
    assert assembly.cosign_threshold_bps() == 1_000


def test_fees_actions_decode_and_take_effect(composer_client, composer_town, chain):
    town, fees = composer_town, composer_town.fees
    contract_id = fees.service_contract_count()
    answer = compose(composer_client, town,
                     {"action": "approve_service_contract", "contract_id": contract_id},
                     {"action": "set_maintenance_share", "bps": 1_500},
                     {"action": "set_late_fee", "rate_bps": 30, "cap_bps": 1_000})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    approve, share, late = out["calls"]
    assert (args_of(approve), args_of(share), args_of(late)) == ((contract_id,), (1_500,), (30, 1_000))
    assert [c["call_class"] for c in out["calls"]] == [chain_class(town, c) for c in out["calls"]] == \
        ["ordinary", "major", "major"]
    # Raising the maintenance fund is the statute's item 6 (3/4), whatever else is in it.
    assert out["suggested_matter"] == out["matter"] == 6 and out["matter_major"]
    for call in out["calls"]:
        as_timelock(chain, town, call)
    assert fees.service_contracts(contract_id).approved
    assert fees.maintenance_share() == 1_500


def test_committee_changes_go_through_the_safes_module_and_change_its_members(
        composer_client, composer_town, chain, owner_a, owner_b, owner_c, tenant, merchant):
    town = composer_town
    safe = town.contracts["CommitteeSafe"]
    answer = compose(composer_client, town,
                     {"action": "replace_committee_member", "member": owner_b.address, "new_member": tenant.address},
                     {"action": "add_committee_member", "member": merchant.address, "threshold": 3},
                     {"action": "remove_committee_member", "member": owner_a.address, "threshold": 2})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["matter"] == 3 and out["major"]
    for call in out["calls"]:
        assert call["contract"] == "CommitteeSafe" and call["target"] == safe.address
        assert call["call_class"] == chain_class(town, call) == "major"
        to, value, inner, operation = args_of(call)
        assert (to_checksum_address(to), value, operation) == (safe.address, 0, 0)
        call["inner"] = inner
    swap, add, remove = (c["inner"] for c in out["calls"])
    # The list the Safe keeps: owner_b follows owner_a, owner_a is first (after the sentinel).
    owners = list(safe.getOwners())
    assert swap[:4] == selector("swapOwner(address,address,address)")
    assert [to_checksum_address(a) for a in decode(["address", "address", "address"], swap[4:])] == \
        [owners[owners.index(owner_b.address) - 1], owner_b.address, tenant.address]
    assert add[:4] == selector("addOwnerWithThreshold(address,uint256)")
    assert decode(["address", "uint256"], add[4:]) == (merchant.address.lower(), 3)
    # Safe puts an added owner first: the removal names the owner before owner_a as the
    # proposal's earlier calls leave the list (the merchant), not as it is today (the
    # sentinel); a module call whose inner call fails returns false, it does not revert.
    assert remove[:4] == selector("removeOwner(address,address,uint256)")
    assert owners.index(owner_a.address) == 0
    assert decode(["address", "address", "uint256"], remove[4:]) == (merchant.address.lower(),
                                                                      owner_a.address.lower(), 2)
    alone = compose(composer_client, town, {"action": "remove_committee_member", "member": owner_a.address}).json()
    assert decode(["address", "address", "uint256"], args_of(alone["calls"][0])[2][4:]) == \
        (SENTINEL, owner_a.address.lower(), 2)
    for call in out["calls"]:
        as_timelock(chain, town, call)
    assert set(safe.getOwners()) == {tenant.address, merchant.address, owner_c.address}
    assert safe.getThreshold() == 2


def test_spending_public_income_and_a_budget_decode_to_fen_and_the_decision(composer_client, composer_town, merchant):
    town = composer_town
    answer = compose(composer_client, town,
                     {"action": "pay_by_decision", "fund": "public_income", "payee": merchant.address,
                      "amount_yuan": "1234.5", "doc_hash": DOC},
                     {"action": "approve_annual_budget", "year": town.year + 1, "fund": "fee_income",
                      "amount_yuan": "80000", "doc_hash": DOC})
    assert answer.status_code == 200, answer.text
    pay, budget = answer.json()["calls"]
    assert args_of(pay) == (1, merchant.address.lower(), 123_450, bytes.fromhex(DOC[2:]))
    assert args_of(budget) == (town.year + 1, 0, 8_000_000, bytes.fromhex(DOC[2:]))
    assert pay["call_class"] == chain_class(town, pay) == "ordinary" == budget["call_class"] == chain_class(town, budget)
    assert answer.json()["matter"] == 9 and not answer.json()["major"]


def test_a_proposal_of_composed_calls_is_counted_as_announced(composer_client, composer_town, chain, accounts,
                                                             owner_c):
    town, assembly, registry = composer_town, composer_town.contracts["OwnersAssembly"], composer_town.community.registry
    chain.set_balance(town.safe.safe.address, 10**18)
    registry.register_unit("8-8-808", 90_00, owner_c.address, sha256(b"salted owner").digest(),
                           sender=accounts[town.safe.safe.address])
    chain.mine()
    for actions, expected in (([{"action": "set_cosign_threshold", "bps": 500}], False),
                              ([{"action": "set_cosign_threshold", "bps": 500},
                                {"action": "set_maintenance_share", "bps": 900}], True)):
        out = compose(composer_client, town, *actions, matter=1).json()
        assert out["major"] is expected and out["matter"] == 1
        start = chain.pending_timestamp + assembly.min_notice() + 3600
        tx = assembly.propose(out["targets"], [int(v) for v in out["values"]],
                              [bytes.fromhex(c[2:]) for c in out["calldatas"]], out["matter"], "议事规则", DOC, start,
                              start + assembly.min_voting_period(), sender=owner_c)
        details = tx.decode_logs(assembly.ProposalDetails)[0]
        assert bool(details.major) is expected


@pytest.mark.parametrize("action, field", [
    ({"action": "set_cosign_threshold", "bps": 2_001}, "bps"),
    ({"action": "set_cosign_threshold", "bps": 0}, "bps"),
    ({"action": "set_maintenance_share", "bps": 10_001}, "bps"),
    ({"action": "pay_by_decision", "payee": "0x1234", "amount_yuan": "1", "doc_hash": DOC}, "payee"),
    ({"action": "pay_by_decision", "payee": "0x" + "11" * 20, "amount_yuan": "1.234", "doc_hash": DOC}, "amount_yuan"),
    ({"action": "pay_by_decision", "payee": "0x" + "11" * 20, "amount_yuan": "1", "doc_hash": "0x12"}, "doc_hash"),
    ({"action": "set_voting_rules", "min_notice_days": 1, "min_voting_days": 0, "max_voting_days": 3,
      "objection_days": 1, "queue_days": 30}, "min_voting_days"),
    ({"action": "approve_service_contract", "contract_id": 0}, "contract_id"),
    ({"action": "set_late_fee", "rate_bps": 10, "cap_bps": 10, "calldata": "0xdeadbeef"}, "calldata"),
])
def test_a_bad_field_is_refused_with_its_place(composer_client, composer_town, action, field):
    answer = compose(composer_client, composer_town, action)
    assert answer.status_code == 422, answer.text
    places = [d["loc"] for d in answer.json()["detail"]]
    assert any(field in loc for loc in places), places


def test_refusals_of_what_no_form_offers_and_of_what_the_chain_denies(composer_client, composer_town, owner_a,
                                                                       tenant):
    town = composer_town

    def refused(*actions, status=422, **extra):
        answer = composer_client.post(url(town), json={"actions": list(actions), **extra})
        assert answer.status_code == status, answer.text
        return answer.json()["detail"]

    # An action no form offers (raw calldata, a forbidden call): refused, naming the discriminator.
    detail = refused({"action": "raw_call", "target": town.contracts["PropertyFees"].address, "calldata": "0x"})
    assert "raw_call" in json.dumps(detail)
    refused()  # no action at all
    refused({"action": "set_cosign_threshold", "bps": 10}, matter=10)
    # max below min: named in the message.
    detail = refused({"action": "set_voting_rules", "min_notice_days": 1, "min_voting_days": 5, "max_voting_days": 3,
                      "objection_days": 1, "queue_days": 30})
    assert "max_voting_days" in json.dumps(detail)
    # What the chain says: not a member, a member already, the Safe's last-but-one count.
    detail = refused({"action": "remove_committee_member", "member": tenant.address})
    assert detail[0]["loc"] == ["body", "actions", 0, "member"] and "not a member" in detail[0]["msg"]
    detail = refused({"action": "set_cosign_threshold", "bps": 5},
                     {"action": "add_committee_member", "member": owner_a.address})
    assert detail[0]["loc"] == ["body", "actions", 1, "member"]
    detail = refused({"action": "add_committee_member", "member": tenant.address, "threshold": 5})
    assert detail[0]["loc"][-1] == "threshold"
    detail = refused({"action": "replace_committee_member", "member": owner_a.address, "new_member": "0x" + "00" * 20})
    assert detail[0]["loc"][-1] == "new_member"
    # A service contract never proposed, and one approved already.
    detail = refused({"action": "approve_service_contract", "contract_id": 999})
    assert detail[0]["loc"][-1] == "contract_id" and "999" in detail[0]["msg"]
    # Another community than the one this backend serves.
    answer = composer_client.post(url(town).replace(town.community.registry.address.lower()[2:], "ab" * 20),
                                  json={"actions": [{"action": "set_cosign_threshold", "bps": 10}]})
    assert answer.status_code == 404
    # More than a proposal may carry: nine calls.
    refused(*[{"action": "set_cosign_threshold", "bps": 10}] * 9)


def test_a_dismissed_approval_is_not_offered_again(composer_client, composer_town, chain):
    town, fees = composer_town, composer_town.fees
    contract_id = fees.service_contract_count()
    out = compose(composer_client, town, {"action": "approve_service_contract", "contract_id": contract_id}).json()
    as_timelock(chain, town, out["calls"][0])
    answer = compose(composer_client, town, {"action": "approve_service_contract", "contract_id": contract_id})
    assert answer.status_code == 422 and "approved already" in answer.json()["detail"][0]["msg"]


def test_the_committees_safe_proposes_a_composed_proposal_through_its_console_and_nothing_else(
        composer_client, composer_town, chain, owner_a):
    """The committee's console store (backend/committee) takes OwnersAssembly.propose only with
    calls the composer makes: a composed proposal is kept for the members to sign, one with a
    call no action makes (raw calldata) or ether is refused with the reason (422)."""
    from backend.chain.safe import sign_safe_tx

    town, assembly = composer_town, composer_town.contracts["OwnersAssembly"]
    out = compose(composer_client, town, {"action": "set_cosign_threshold", "bps": 800}).json()
    start = chain.pending_timestamp + assembly.min_notice() + DAY
    end = start + assembly.min_voting_period()

    def offer(targets, values, calldatas):
        tx = town.safe.propose_call(assembly.propose, targets, values, calldatas, 1, "联署门槛", bytes.fromhex(DOC[2:]),
                                    start, end)
        fields = tx.to_json()
        for key in ("safeTxHash", "note"):
            fields.pop(key)
        body = {**fields, "signer": owner_a.address, "signature": "0x" + sign_safe_tx(tx, owner_a).hex()}
        return composer_client.post(f"/api/v1/communities/{town.community.registry.address.lower()}"
                                    "/committee/transactions", json=body)

    calldata = bytes.fromhex(out["calldatas"][0][2:])
    kept = offer(out["targets"], [0], [calldata])
    assert kept.status_code == 201, kept.text
    assert kept.json()["action"]["calls"][0]["function"] == "propose"
    # A call the composer does not make (a points limit, major, typed as raw calldata): refused.
    raw = town.contracts["CommunityPoints"].set_household_cap.encode_input(1)
    refused = offer([town.contracts["CommunityPoints"].address], [0], [raw])
    assert refused.status_code == 422 and "composer" in refused.json()["detail"]
    refused = offer(out["targets"], [1], [calldata])
    assert refused.status_code == 422 and "ether" in refused.json()["detail"]


def test_a_node_that_does_not_answer_is_a_503_not_a_server_error(composer_town, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(composer_town.manifest), encoding="utf-8")
    settings = Settings(environment="test", database_url=fresh_database_url("sqlite", tmp_path),
                        rpc_url="http://127.0.0.1:9", rpc_timeout_s=2, manifest=manifest,
                        vault_database_url=f"sqlite:///{tmp_path / 'vault.db'}", vault_key_file=tmp_path / "vault.key",
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode())
    with TestClient(create_app(settings)) as client:
        answer = compose(client, composer_town, {"action": "set_cosign_threshold", "bps": 100})
    assert answer.status_code == 503 and "node" in answer.json()["detail"]


def test_the_committees_proposal_and_its_notice_go_in_one_safe_batch_through_its_console(
        composer_client, composer_town, chain, accounts, owner_a, owner_b, tenant):
    """The composer's committee path: OwnersAssembly.propose and the proposal's notice
    (NoticeBoard.publish_notice, which only the proposer or the committee may publish) in one
    SafeTx through MultiSendCallOnly, the proposal's id known before it exists (its proposer,
    the Safe, and the Safe's proposal nonce). The console keeps it; run at the threshold, the
    proposal and its notice are on chain together. Another kind of notice is not offered."""
    from backend.chain.deploy_assembly import proposal_id as id_of
    from backend.chain.safe import sign_safe_tx

    town, assembly, board = composer_town, composer_town.contracts["OwnersAssembly"], composer_town.contracts["NoticeBoard"]
    safe = town.safe
    chain.set_balance(safe.address, 10**18)  # an owner on the roll (the committee registers them)
    town.community.registry.register_unit("8-8-809", 90_00, tenant.address, sha256(b"salted tenant").digest(),
                                          sender=accounts[safe.address])
    chain.mine()
    out = compose(composer_client, town, {"action": "set_cosign_threshold", "bps": 900}).json()
    calldatas = [bytes.fromhex(c[2:]) for c in out["calldatas"]]
    start = chain.pending_timestamp + assembly.min_notice() + DAY
    end = start + assembly.min_voting_period()
    doc = bytes.fromhex(DOC[2:])
    expected = id_of(out["targets"], [0], calldatas, doc, safe.address, assembly.proposal_nonce(safe.address))
    notice = sha256("业主大会会议公告：联署门槛".encode()).digest()
    base = f"/api/v1/communities/{town.community.registry.address.lower()}/committee"

    def offered(kind, audience, proposal):
        tx = safe.propose_batch([(assembly.propose, (out["targets"], [0], calldatas, 1, "联署门槛", doc, start, end)),
                                 (board.publish_notice, (notice, kind, audience, "", "会议公告", proposal, [doc]))])
        fields = tx.to_json()
        for key in ("safeTxHash", "note"):
            fields.pop(key)
        answer = composer_client.post(f"{base}/transactions", json={
            **fields, "signer": owner_a.address, "signature": "0x" + sign_safe_tx(tx, owner_a).hex()})
        return tx, answer

    for kind, audience, proposal in ((5, 1, 0), (1, 1, expected), (1, 3, 0)):
        _tx, refused = offered(kind, audience, proposal)
        assert refused.status_code == 422 and "only a proposal's notice" in refused.json()["detail"], refused.text
    tx, kept = offered(1, 3, expected)
    assert kept.status_code == 201, kept.text
    assert [c["function"] for c in kept.json()["action"]["calls"]] == ["propose", "publish_notice"]
    safe.execute(tx, {owner_a.address: sign_safe_tx(tx, owner_a), owner_b.address: sign_safe_tx(tx, owner_b)},
                 sender=owner_b)
    assert assembly.proposer(expected) == safe.address
    notice_id = board.proposal_notice(expected)
    assert notice_id != 0 and bytes(board.notice_content(notice_id)) == notice
