# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's store of proposed SafeTx (backend/committee) through its routes, on
SQLite and PostgreSQL, against a 2-of-3 committee Safe on anvil: what it keeps, what it
refuses and why (each with its 4xx), and how an executed SafeTx leaves the pending list.

Signatures are made as a member's wallet makes them (EIP-712 SafeTx, r ‖ s ‖ v)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deployment import role_id
from backend.chain.safe import DELEGATECALL, SafeTx, encode_multisend, module_call_data, sign_safe_tx
from backend.core.config import Settings
from tests.backend.conftest import DATABASES, fresh_database_url
from tests.safe.console_scene import GRANT_ALLOWANCE, PUBLIC_INCOME, console_community, units_csv

CATEGORY = 3


@pytest.fixture(scope="module")
def town(project, chain, committee, owner_a, owner_b, owner_c):
    return console_community(project, chain, committee, [owner_a, owner_b, owner_c])


@pytest.fixture(params=DATABASES)
def client(request, town, chain, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(town.manifest), encoding="utf-8")
    settings = Settings(environment="test", database_url=fresh_database_url(request.param, tmp_path),
                        rpc_url=chain.provider.uri, manifest=manifest,
                        vault_database_url=f"sqlite:///{tmp_path / 'vault.db'}", vault_key_file=tmp_path / "vault.key",
                        vault_key=base64.b64encode(secrets.token_bytes(32)).decode())
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def base(town) -> str:
    return f"/api/v1/communities/{town.community.registry.address.lower()}/committee"


def allocation(town, amount=12_000_00, nonce=None) -> SafeTx:
    return town.safe.propose_call(town.treasury.allocate_budget, town.year, PUBLIC_INCOME, CATEGORY, amount,
                                  nonce=nonce)


def body(tx: SafeTx, member, signature: bytes | None = None) -> dict:
    fields = tx.to_json()
    for key in ("safeTxHash", "note"):
        fields.pop(key)
    return {**fields, "signer": member.address, "signature": "0x" + (signature or sign_safe_tx(tx, member)).hex()}


def sign_body(tx: SafeTx, member, signature: bytes | None = None) -> dict:
    return {"signer": member.address, "signature": "0x" + (signature or sign_safe_tx(tx, member)).hex()}


def propose(client, town, tx, member, signature=None):
    return client.post(f"{base(town)}/transactions", json=body(tx, member, signature))


def add(client, town, tx, member, signature=None, safe_tx_hash=None):
    return client.post(f"{base(town)}/transactions/{safe_tx_hash or '0x' + tx.hash.hex()}/signatures",
                       json=sign_body(tx, member, signature))


def test_a_proposal_signed_to_the_threshold_executes_and_leaves_the_pending_list(client, town, chain, owner_a,
                                                                                  owner_b):
    tx = allocation(town)
    answer = propose(client, town, tx, owner_a)
    assert answer.status_code == 201, answer.text
    proposal = answer.json()
    assert proposal["safeTxHash"] == "0x" + tx.hash.hex()
    [call] = proposal["action"]["calls"]
    assert (call["contract"], call["function"]) == ("CommunityTreasury", "allocate_budget")
    assert {a["name"]: a["value"] for a in call["args"]} == {
        "year": str(town.year), "fund": str(PUBLIC_INCOME), "category": str(CATEGORY), "amount": str(12_000_00)}
    assert (proposal["confirmations"], proposal["threshold"], proposal["executable"]) == (1, 2, False)

    signed = add(client, town, tx, owner_b)
    assert signed.status_code == 201, signed.text
    assert signed.json()["executable"] is True
    overview = client.get(base(town)).json()
    [pending] = overview["pending"]
    assert [s["signer"] for s in pending["signatures"]] == [owner_a.address, owner_b.address]

    # Executed with the stored signatures, as a page does (sorted by owner inside pack).
    town.safe.execute(tx, {s["signer"]: bytes.fromhex(s["signature"][2:]) for s in pending["signatures"]},
                      sender=owner_b)
    assert town.treasury.budget(town.year, PUBLIC_INCOME, CATEGORY)[0] == 12_000_00
    overview = client.get(base(town)).json()
    assert overview["pending"] == [] and overview["nonce"] == 1
    [done] = overview["done"]
    assert done["safeTxHash"] == "0x" + tx.hash.hex() and done["status"] == "executed" and done["tx_hash"]
    # No further signature for a SafeTx that ran, and its nonce is used for a new one.
    late = add(client, town, tx, owner_a)
    assert late.status_code == 409 and "no longer pending" in late.json()["detail"]
    stale = propose(client, town, allocation(town, 1_00, nonce=0), owner_a)
    assert stale.status_code == 409 and "nonce 0 is used" in stale.json()["detail"]


def test_a_batch_through_multisend_is_decoded_call_by_call(client, town, owner_c):
    tx = town.safe.propose_batch([(town.treasury.allocate_budget, (town.year, PUBLIC_INCOME, c, 1_000_00))
                                  for c in (1, 2)])
    answer = propose(client, town, tx, owner_c)
    assert answer.status_code == 201, answer.text
    assert answer.json()["action"]["batch"] is True
    assert [c["args"][2]["value"] for c in answer.json()["action"]["calls"]] == ["1", "2"]


def test_duplicates_are_refused(client, town, owner_a, owner_b):
    tx = allocation(town)
    assert propose(client, town, tx, owner_a).status_code == 201
    again = propose(client, town, tx, owner_b)
    assert again.status_code == 409 and "already proposed" in again.json()["detail"]
    assert add(client, town, tx, owner_b).status_code == 201
    twice = add(client, town, tx, owner_b)
    assert twice.status_code == 409 and "already signed" in twice.json()["detail"]
    assert client.get(base(town)).json()["pending"][0]["confirmations"] == 2


def test_a_non_members_signature_is_refused(client, town, owner_a, tenant, committee):
    tx = allocation(town)
    for stranger in (tenant, committee):  # a resident; the deployer, who holds the assembly's powers
        refused = propose(client, town, tx, stranger)
        assert refused.status_code == 403 and "not a member" in refused.json()["detail"]
    assert propose(client, town, tx, owner_a).status_code == 201
    refused = add(client, town, tx, tenant)
    assert refused.status_code == 403
    assert client.get(base(town)).json()["pending"][0]["confirmations"] == 1


def test_forged_signatures_are_refused(client, town, owner_a, owner_b, tenant):
    tx = allocation(town)
    # A stranger's signature filed under a member's name; bytes that recover to nobody in particular.
    for signature in (sign_safe_tx(tx, tenant), sign_safe_tx(tx, owner_a)[:64] + b"\x1c",
                      bytes(64) + b"\x1b", secrets.token_bytes(64) + b"\x1b"):
        refused = propose(client, town, tx, owner_b, signature)
        assert refused.status_code == 422, refused.text
    # A signature type Safe reads differently (v = 1, "approved"): not what a member's wallet gives.
    approved = bytes(12) + bytes.fromhex(owner_b.address[2:]) + bytes(32) + b"\x01"
    assert propose(client, town, tx, owner_b, approved).status_code == 422
    assert client.get(base(town)).json()["pending"] == []


def test_a_signature_for_another_safe_chain_or_nonce_is_refused(client, town, owner_a, owner_b, owner_c):
    tx = allocation(town)
    assert propose(client, town, tx, owner_a).status_code == 201
    for other in (replace(tx, safe=town.contracts["CommunityTreasury"].address), replace(tx, chain_id=tx.chain_id + 1),
                  replace(tx, nonce=tx.nonce + 1)):
        refused = add(client, town, tx, owner_b, sign_safe_tx(other, owner_b))
        assert refused.status_code == 422 and "is not" in refused.json()["detail"], refused.text
    # A proposal naming another Safe or chain is refused before any signature is read.
    named = body(tx, owner_c)
    for field, value in (("safe", town.contracts["CommunityTreasury"].address), ("chainId", tx.chain_id + 1)):
        refused = client.post(f"{base(town)}/transactions", json={**named, field: value})
        assert refused.status_code == 422 and "this SafeTx is for" in refused.json()["detail"]


def test_calls_the_console_does_not_offer_are_refused(client, town, owner_a):
    treasury, registry = town.treasury, town.community.registry
    multi_send = town.safe.infrastructure.multi_send.address
    not_offered = "is not an action the console offers"
    cases = [
        # A contract of the community, but a function the console does not offer (the assembly's).
        (not_offered, town.safe.propose_call(treasury.approve_annual_budget, town.year, PUBLIC_INCOME, 10**9,
                                             bytes(32))),
        (not_offered, town.safe.propose_call(town.community.points.set_household_cap, 10)),
        # The Safe itself (its members: the assembly's business), and an address outside the community.
        (not_offered, town.safe.propose_add_member("0x" + "ab" * 20)),
        ("is not one of this community's contracts", replace(allocation(town), to="0x" + "cd" * 20)),
        ("send no ether", replace(allocation(town), value=1)),
        ("pay no gas refunds", replace(allocation(town), gas_price=1)),
        ("only to Safe's MultiSendCallOnly", replace(allocation(town), operation=DELEGATECALL)),
        # A batch with one call the console does not offer (the assembly's role to grant).
        ("not offered with these arguments", town.safe.propose(multi_send, encode_multisend([
            (treasury.address, 0, treasury.allocate_budget.encode_input(town.year, PUBLIC_INCOME, 1, 1)),
            (registry.address, 0, registry.grantRole.encode_input(role_id("committee"), owner_a.address))]),
            operation=DELEGATECALL)),
        ("cannot be decoded", replace(allocation(town), data=allocation(town).data[:40])),
        ("cannot be decoded", replace(allocation(town), data=allocation(town).data + bytes(32))),
    ]
    for reason, tx in cases:
        refused = propose(client, town, tx, owner_a)
        assert refused.status_code == 422 and reason in refused.json()["detail"], (reason, refused.text)
    assert client.get(base(town)).json()["pending"] == []


def test_a_nonce_far_ahead_is_refused_and_an_unknown_proposal_is_404(client, town, owner_a):
    refused = propose(client, town, allocation(town, nonce=21), owner_a)
    assert refused.status_code == 422 and "ahead" in refused.json()["detail"]
    assert propose(client, town, allocation(town, nonce=20), owner_a).status_code == 201
    tx = allocation(town, 5_00)
    assert add(client, town, tx, owner_a).status_code == 404


def test_a_removed_members_signature_is_refused_and_no_longer_counts(client, town, chain, accounts, owner_a,
                                                                     owner_b, owner_c):
    tx = allocation(town)
    assert propose(client, town, tx, owner_c).status_code == 201
    # The assembly's timelock (the Safe's module) removes owner_c; anvil lets the test act as it.
    timelock = town.contracts["AssemblyTimelock"]
    chain.set_balance(timelock.address, 10**18)
    assembly = accounts[timelock.address]
    safe = town.safe.safe
    remove = safe.removeOwner.encode_input(owner_b.address, owner_c.address, 2)
    assembly.transfer(safe, 0, data=module_call_data(safe, remove))
    assert owner_c.address not in town.safe.owners()

    [pending] = client.get(base(town)).json()["pending"]
    assert pending["signatures"][0]["counts"] is False and pending["confirmations"] == 0
    late = allocation(town, 7_00)
    refused = propose(client, town, late, owner_c)
    assert refused.status_code == 403 and "not a member" in refused.json()["detail"]
    assert add(client, town, tx, owner_c).status_code == 403  # no longer a member, whatever they signed before
    assert add(client, town, tx, owner_a).json()["confirmations"] == 1


def test_writes_are_limited_per_client(client, town, owner_a):
    """A flood of bogus proposals is cut off at the limit (429 with Retry-After), before any
    check; a member's real proposal from that client then waits too."""
    from backend.api.routes.committee import WRITES_PER_MINUTE

    bogus = replace(allocation(town), to="0x" + "cd" * 20)
    for _ in range(WRITES_PER_MINUTE):
        assert propose(client, town, bogus, owner_a).status_code == 422
    flooded = propose(client, town, allocation(town), owner_a)
    assert flooded.status_code == 429 and int(flooded.headers["retry-after"]) >= 1
    assert client.get(base(town)).json()["pending"] == []


def execute_with(town, client, tx, members):
    """Sign `tx` by `members` through the store and execute it as a page does."""
    assert propose(client, town, tx, members[0]).status_code == 201
    for member in members[1:]:
        assert add(client, town, tx, member).status_code == 201
    [pending] = [p for p in client.get(base(town)).json()["pending"] if p["safeTxHash"] == "0x" + tx.hash.hex()]
    town.safe.execute(tx, {s["signer"]: bytes.fromhex(s["signature"][2:]) for s in pending["signatures"]},
                      sender=members[-1])
    return pending


def refusal_on_chain(chain, safe_address, tx) -> str:
    """What the contract says to this call made by the committee's Safe (eth_call, nothing kept)."""
    from web3.exceptions import ContractLogicError

    try:
        chain.provider.web3.eth.call({"from": safe_address, "to": tx.to, "data": "0x" + tx.data.hex()})
    except ContractLogicError as exc:
        return str(exc)
    return ""


def test_the_committee_grants_and_revokes_the_roles_it_administers(client, town, chain, owner_a, owner_b, tenant):
    registry = town.community.registry
    merchant = role_id("merchant")
    tx = town.safe.propose_call(registry.grantRole, merchant, tenant.address)
    pending = execute_with(town, client, tx, [owner_a, owner_b])
    [call] = pending["action"]["calls"]
    assert call["function"] == "grantRole" and call["args"][0]["label"] == "merchant"
    assert registry.hasRole(merchant, tenant.address)
    assert town.community.points.is_merchant(tenant.address)  # the registry told the points
    revoke = town.safe.propose_call(registry.revokeRole, merchant, tenant.address)
    execute_with(town, client, revoke, [owner_b, owner_a])
    assert not registry.hasRole(merchant, tenant.address)


def test_a_role_the_committee_cannot_grant_is_refused_by_the_store_and_by_the_registry(client, town, chain,
                                                                                       owner_a, tenant):
    registry, safe = town.community.registry, town.safe.safe.address
    for name in ("assembly", "committee", "manager", "auditor"):
        for function in (registry.grantRole, registry.revokeRole):
            tx = town.safe.propose_call(function, role_id(name), tenant.address)
            refused = propose(client, town, tx, owner_a)
            assert refused.status_code == 422, refused.text
            assert f"the {name} role is not one the committee may grant" in refused.json()["detail"]
            # Had a member sent it with Safe's own tools: the registry refuses the Safe.
            assert "registry: caller is not the role's admin" in refusal_on_chain(chain, safe, tx)
    # An unknown role id, the zero address, the Safe itself (which may hold no paid role).
    cases = [(town.safe.propose_call(registry.grantRole, bytes(32), tenant.address), "role is not one", None),
             (town.safe.propose_call(registry.grantRole, role_id("cashier"), "0x" + "00" * 20),
              "a role for the zero address", "registry: role for the zero address"),
             (town.safe.propose_call(registry.grantRole, role_id("provider"), safe), "own Safe holds no paid role",
              "registry: the committee cannot hold a paid role")]
    for tx, reason, on_chain in cases:
        refused = propose(client, town, tx, owner_a)
        assert refused.status_code == 422 and reason in refused.json()["detail"], refused.text
        if on_chain:
            assert on_chain in refusal_on_chain(chain, safe, tx)
    assert client.get(base(town)).json()["pending"] == []


def test_points_are_granted_within_the_allowance_and_only_as_a_grant(client, town, chain, owner_a, owner_c, tenant):
    points = town.community.points
    before = points.balanceOf(tenant.address)
    tx = town.safe.propose_call(points.mint, tenant.address, 300, 1)
    execute_with(town, client, tx, [owner_c, owner_a])
    assert points.balanceOf(tenant.address) - before == 300
    safe = town.safe.safe.address
    # Beyond the allowance: the store keeps it (it reads no balance), the contract refuses it.
    over = town.safe.propose_call(points.mint, tenant.address, GRANT_ALLOWANCE, 1)
    assert "points: over the committee's yearly grant allowance" in refusal_on_chain(chain, safe, over)
    # Siblings: another reason (a participation mint: minters only), the zero address, zero
    # points, and the household cap and allowance (the assembly's limits).
    cases = [(town.safe.propose_call(points.mint, tenant.address, 10, reason), "reason") for reason in (0, 2, 5, 7)]
    cases += [(town.safe.propose_call(points.mint, "0x" + "00" * 20, 10, 1), "the zero address"),
              (town.safe.propose_call(points.mint, tenant.address, 0, 1), "zero points"),
              (town.safe.propose_call(points.set_household_cap, 10**6), "not an action the console offers"),
              (town.safe.propose_call(points.set_grant_allowance, 10**6), "not an action the console offers"),
              (town.safe.propose_call(points.set_minter, safe, True), "not an action the console offers")]
    for tx, reason in cases:
        refused = propose(client, town, tx, owner_a)
        assert refused.status_code == 422 and reason in refused.json()["detail"], refused.text
    assert "points: minter only" in refusal_on_chain(chain, safe, cases[1][0])
    assert client.get(base(town)).json()["pending"] == []


def test_culture_activities_and_disputes_are_offered_and_the_assemblys_limits_are_not(client, town, owner_a):
    culture, activities, market = (town.contracts[name] for name in
                                   ("CultureWorks", "CommunityActivities", "ServiceMarket"))
    reason = bytes.fromhex("11" * 32)
    offered = [town.safe.propose_call(culture.hide_work, 7, reason, nonce=0),
               town.safe.propose_call(culture.unhide_work, 7, reason, nonce=1),
               town.safe.propose_call(culture.create_exhibition, "春节", nonce=2),
               town.safe.propose_call(culture.add_to_exhibition, 1, 7, nonce=3),
               town.safe.propose_call(culture.remove_from_exhibition, 1, 7, nonce=4),
               town.safe.propose_call(activities.approve_activity, 3, nonce=5),
               town.safe.propose_call(activities.cancel_activity, 3, reason, nonce=6),
               town.safe.propose_call(market.resolve, 9, 150_00, reason, nonce=7)]
    for tx in offered:
        answer = propose(client, town, tx, owner_a)
        assert answer.status_code == 201, answer.text
    decoded = [(p["action"]["calls"][0]["function"], p["action"]["calls"][0]["args"][0]["value"])
               for p in client.get(base(town)).json()["pending"]]
    assert decoded == [("hide_work", "7"), ("unhide_work", "7"), ("create_exhibition", "春节"),
                       ("add_to_exhibition", "1"), ("remove_from_exhibition", "1"), ("approve_activity", "3"),
                       ("cancel_activity", "3"), ("resolve", "9")]
    for tx in (town.safe.propose_call(culture.set_like_reward, 1, 10**6),
               town.safe.propose_call(activities.set_max_points, 10**6),
               town.safe.propose_call(market.set_fee, 0),
               town.safe.propose_call(market.set_release_delay, 0)):
        refused = propose(client, town, tx, owner_a)
        assert refused.status_code == 422 and "not an action the console offers" in refused.json()["detail"]


def test_a_work_is_hidden_and_an_activity_approved_in_one_batch_through_the_safe(client, town, chain, accounts,
                                                                                 owner_a, owner_b, tenant):
    """A resident's work and proposed activity, then the committee hides the one and approves
    the other in one SafeTx (MultiSendCallOnly), decoded call by call."""
    from hashlib import sha256

    culture, activities = town.contracts["CultureWorks"], town.contracts["CommunityActivities"]
    registry = town.community.registry
    # The committee (its Safe, impersonated on anvil) registers the resident's unit.
    chain.set_balance(town.safe.safe.address, 10**18)
    registry.register_unit("9-9-909", 80_00, tenant.address, sha256(b"salted identity").digest(),
                           sender=accounts[town.safe.safe.address])
    content = sha256(b"couplet").digest()
    culture.mint_work("春联", 0, content, "ipfs://work", sender=tenant)
    work_id = int.from_bytes(content, "big")  # a work's id is its content hash
    start = chain.pending_timestamp + 7 * 86400
    activities.propose_activity("包饺子", sha256(b"dumplings").digest(), start, start + 3600, 20, 0, sender=tenant)
    activity_id = activities.activity_count()
    assert activities.activity(activity_id).status == 1  # proposed
    reason = sha256("违反社区规约第三条".encode()).digest()
    tx = town.safe.propose_batch([(culture.hide_work, (work_id, reason)),
                                  (activities.approve_activity, (activity_id,))])
    pending = execute_with(town, client, tx, [owner_a, owner_b])
    assert [c["function"] for c in pending["action"]["calls"]] == ["hide_work", "approve_activity"]
    assert culture.is_hidden(work_id)
    assert activities.activity(activity_id).status == 2  # open for sign-up


def test_a_disputed_job_is_settled_through_the_safe(client, town, chain, accounts, owner_a, owner_c, tenant,
                                                   provider):
    """A resident disputes a job; the committee awards the provider part of the escrow
    (ServiceMarket.resolve) and the rest goes back to the resident."""
    from hashlib import sha256

    market, registry, token = town.contracts["ServiceMarket"], town.community.registry, town.token
    committee_safe = accounts[town.safe.safe.address]
    chain.set_balance(committee_safe.address, 10**18)
    registry.register_unit("8-8-808", 90_00, tenant.address, sha256(b"salted identity 8").digest(),
                           sender=committee_safe)
    registry.grantRole(role_id("provider"), provider.address, sender=committee_safe)
    token.mint(tenant, 500_00, sender=town.deployer)
    token.approve(market.address, 500_00, sender=tenant)
    now = chain.pending_timestamp
    market.post_request(1, sha256(b"fix the tap").digest(), 500_00, now + 30 * 86400, sender=tenant)
    request_id = market.request_count()
    market.make_offer(request_id, 400_00, now + 10 * 86400, sender=provider)
    market.accept_offer(request_id, provider.address, 400_00, now + 10 * 86400, sender=tenant)
    market.dispute(request_id, sha256(b"the tap still drips").digest(), sender=tenant)
    paid_before, refunded_before = token.balanceOf(provider.address), token.balanceOf(tenant.address)

    decision = sha256("业委会裁决：服务商得 100 元".encode()).digest()
    # More than the escrow: the store keeps what decodes, the market refuses it before signing.
    assert "services: share exceeds escrow" in refusal_on_chain(
        chain, town.safe.safe.address, town.safe.propose_call(market.resolve, request_id, 10**9, decision))
    tx = town.safe.propose_call(market.resolve, request_id, 100_00, decision)
    pending = execute_with(town, client, tx, [owner_c, owner_a])
    [call] = pending["action"]["calls"]
    assert [a["value"] for a in call["args"]] == [str(request_id), str(100_00), "0x" + decision.hex()]
    to_provider = token.balanceOf(provider.address) - paid_before
    assert 0 < to_provider <= 100_00  # less the platform fee on the share, if any
    assert token.balanceOf(tenant.address) - refunded_before == 300_00


# ---------------------------------------------------------------- units from a CSV


def check(client, town, text):
    return client.post(f"{base(town)}/units-check", json={"csv": text})


def register_batch(town, batch, nonce=None) -> SafeTx:
    registry = town.community.registry
    units = [(u["label"], int(u["area"]), u["owner"], bytes.fromhex(u["commitment"][2:])) for u in batch["units"]]
    return town.safe.propose_call(registry.register_units, units, nonce=nonce)


def test_a_units_csv_is_checked_line_by_line_as_the_cli_checks_it(client, town):
    good = units_csv(3).splitlines()
    bad = "\n".join([good[0], good[1], "5-1-002,-4,0xnot,0x12", good[1], good[3][:-1] + "Z"]) + "\n"
    refused = check(client, town, bad)
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    lines = sorted({e["line"] for e in detail["errors"]})
    assert lines == [3, 4, 5], detail  # the good line 2 is not listed; every bad one is, by number
    assert any("duplicates line 2" in e["message"] for e in detail["errors"] if e["line"] == 4)
    # With a code and parameters for the pages' translation.
    assert {"line": 4, "message": "label '5-1-001' duplicates line 2", "code": "label_duplicate",
            "params": {"label": "5-1-001", "line": 2}} in detail["errors"]
    assert client.get(base(town)).json()["pending"] == []
    # A header that is not the CLI's: line 1.
    assert check(client, town, "name,area\nx,1\n").json()["detail"]["errors"][0]["line"] == 1


def test_a_good_csv_comes_back_as_batches_that_execute_through_the_safe(client, town, owner_a, owner_b):
    registry = town.community.registry
    answer = check(client, town, units_csv(61))
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["units"] == 61 and [len(b["units"]) for b in plan["batches"]] == [60, 1]
    assert [(b["first_line"], b["last_line"]) for b in plan["batches"]] == [(2, 61), (62, 62)]
    before = registry.unit_count()
    txs = [register_batch(town, batch, nonce=n) for n, batch in enumerate(plan["batches"])]
    for tx in txs:
        pending = execute_with(town, client, tx, [owner_a, owner_b])
        [call] = pending["action"]["calls"]
        assert call["function"] == "register_units"
        assert call["args"][0]["value"][0]["label"] == plan["batches"][txs.index(tx)]["units"][0]["label"]
    assert registry.unit_count() - before == 61
    assert registry.unit_id_of("5-1-061") == before + 61
    # The same file again: every line is now on chain, each refused by its number; and a new
    # label whose commitment the chain binds to another wallet (the registry's views, read in batches).
    first = units_csv(1).splitlines()[1].split(",")
    stolen = f"9-9-999,70.00,{owner_a.address},{first[3]}"
    again = check(client, town, units_csv(2))
    assert again.status_code == 422
    errors = again.json()["detail"]["errors"]
    assert [e["line"] for e in errors] == [2, 3] and "already registered" in errors[0]["message"]
    taken = check(client, town, "label,area_m2,owner,commitment\n" + stolen + "\n").json()["detail"]["errors"]
    assert taken == [{"line": 2, "message": f"commitment is bound on chain to wallet {first[2]}",
                      "code": "commitment_bound", "params": {"wallet": first[2]}}]


def test_the_same_units_file_is_not_proposed_again_while_its_batches_are_pending(client, town, owner_a, owner_b):
    """Uploading a file again while its batches wait for signatures would propose them at
    new nonces (each signed, the second to fail only when it runs): 409 naming the pending
    nonces, at the upload and at the proposal; another file, and a replacement at the same
    nonce, stay possible."""
    plan = check(client, town, units_csv(61, prefix="7-2-")).json()
    nonce = town.safe.nonce()
    first, second = (register_batch(town, batch, nonce=nonce + n) for n, batch in enumerate(plan["batches"]))
    assert propose(client, town, first, owner_a).status_code == 201
    assert propose(client, town, second, owner_a).status_code == 201
    again = check(client, town, units_csv(61, prefix="7-2-"))
    assert again.status_code == 409, again.text
    assert f"pending SafeTx at nonce(s) {nonce}, {nonce + 1}" in again.json()["detail"]
    assert "7-2-001" in again.json()["detail"]
    # One line of the file is enough (the last batch's unit alone).
    last = "label,area_m2,owner,commitment\n" + units_csv(61, prefix="7-2-").splitlines()[-1] + "\n"
    one = check(client, town, last)
    assert one.status_code == 409 and f"nonce(s) {nonce + 1}:" in one.json()["detail"]
    # Another file is checked as usual.
    assert check(client, town, units_csv(2, prefix="7-3-")).status_code == 200
    # The same batch proposed at a new nonce: refused; at its own nonce, a replacement is kept.
    [batch] = [b for b in plan["batches"] if b["number"] == 2]
    refused = propose(client, town, register_batch(town, batch, nonce=nonce + 2), owner_b)
    assert refused.status_code == 409 and f"nonce(s) {nonce + 1}:" in refused.json()["detail"]
    replacement = dict(batch, units=batch["units"] + check(client, town, units_csv(1, prefix="7-4-")).json()[
        "batches"][0]["units"])
    assert propose(client, town, register_batch(town, replacement, nonce=nonce + 1), owner_b).status_code == 201
    assert [int(p["nonce"]) for p in client.get(base(town)).json()["pending"]] == [nonce, nonce + 1, nonce + 1]


def test_a_units_batch_the_registry_would_refuse_is_refused_by_the_store(client, town, chain, owner_a):
    from hashlib import sha256

    registry, safe = town.community.registry, town.safe.safe.address
    multi_send = town.safe.infrastructure.multi_send.address
    unit = ("9-1-001", 90_00, owner_a.address, sha256(b"identity 9-1-001").digest())

    def batch(*units):
        return town.safe.propose_call(registry.register_units, list(units))

    cases = [
        (batch(*[(f"9-2-{n:03d}", 1_00, owner_a.address, unit[3]) for n in range(61)]), "1 to 60 units"),
        (batch(unit, unit), "is also unit 1"),
        (batch((unit[0], 0, unit[2], unit[3])), "area must be above 0"),
        (batch((unit[0], unit[1], "0x" + "00" * 20, unit[3])), "the zero address"),
        (batch((unit[0], unit[1], safe, unit[3])), "own Safe owns no unit"),
        (batch((unit[0], unit[1], unit[2], bytes(32))), "commitment is empty"),
        (batch(("", unit[1], unit[2], unit[3])), "label of 1 to 32 bytes"),
        # Two batches in one SafeTx would pass the transaction gas cap.
        (town.safe.propose(multi_send, encode_multisend([
            (registry.address, 0, registry.register_units.encode_input(
                [(f"9-3-{n:03d}{k}", 1_00, owner_a.address, unit[3]) for n in range(40)])) for k in "ab"]),
            operation=DELEGATECALL), "at most 60 units"),
        # The registry's other committee calls stay unoffered (one unit at a time, areas, removal).
        (town.safe.propose_call(registry.register_unit, *unit), "not an action the console offers"),
    ]
    for tx, reason in cases:
        refused = propose(client, town, tx, owner_a)
        assert refused.status_code == 422 and reason in refused.json()["detail"], (reason, refused.text)
    assert "registry: empty commitment" in refusal_on_chain(chain, safe, cases[5][0])
    assert client.get(base(town)).json()["pending"] == []


def test_maintenance_projects_and_milestones_are_the_assemblys_and_not_offered(client, town, chain, owner_a,
                                                                              provider):
    """Each maintenance-project action (approve, release a milestone, close) is the assembly's
    (CommunityTreasury._only_assembly, the constitution's table): the store refuses each from
    the committee, and had a member sent it with Safe's own tools, the treasury refuses the Safe."""
    from hashlib import sha256

    treasury, safe = town.treasury, town.safe.safe.address
    # A real project to release and close, approved with the assembly's powers (the deployer here).
    treasury.approve_maintenance_project(provider.address, [3_000_00, 2_000_00], sha256(b"elevator").digest(),
                                         sender=town.deployer)
    project = treasury.maintenance_project_count()
    for tx in (town.safe.propose_call(treasury.approve_maintenance_project, provider.address, [1_000_00],
                                      sha256(b"roof").digest()),
               town.safe.propose_call(treasury.release_milestone, project),
               town.safe.propose_call(treasury.close_maintenance_project, project)):
        refused = propose(client, town, tx, owner_a)
        assert refused.status_code == 422 and "not an action the console offers" in refused.json()["detail"]
        assert "treasury: assembly only" in refusal_on_chain(chain, safe, tx)
    assert client.get(base(town)).json()["pending"] == []
    assert treasury.maintenance_projects(project).released == 0
