"""A resident with no wallet takes part with a passkey (issue 18): Chromium's virtual
authenticator (CDP WebAuthn, ctap2, internal transport, user verification) creates the
passkey in the page, the relayer creates the account, and the resident votes: the
browser's own WebAuthn assertion is what PasskeyAccount verifies on chain.

Then the passkey relay endpoint is attacked with assertions made in Python
(tests/utils/webauthn.py): a foreign contract, a call off the allow-list, an account that
is not the factory's proxy, a replayed assertion, and the per-account limit.

The page is opened at http://localhost:<port>: WebAuthn refuses an IP address as the
relying party's id, and localhost is a secure context like 127.0.0.1."""

from __future__ import annotations

import base64
import threading

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key
from eth_utils import to_checksum_address

from backend.chain import demo_activity
from backend.chain.deploy_culture import deploy_culture
from backend.chain.deploy_passkeys import deploy_passkeys
from backend.chain.deployment import deploy_community
from backend.chain.relayer import BallotRelayer
from backend.indexer.rpc import RpcClient
from backend.relayer.passkeys import Assertion, PasskeyRefused, PasskeyRelayer
from tests.e2e.conftest import DAY, PHONE, fetch_json, screenshot, wait_indexed
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

# One relayed call per passkey account per window: the limit test meets it on its second.
SITE_SETTINGS = {"relayer_limit_per_passkey_account": 1}
FOR = 1
AREA = 9_500  # 95.00 m²


def _local(site) -> str:
    return site["url"].replace("127.0.0.1", "localhost")


def _api(site) -> str:
    return f"{site['url']}/api/v1/communities/{site['community'].registry.address.lower()}"


@pytest.fixture
def phone_page(browser, site):
    """A page in a browser with no wallet at all, and a platform authenticator (a phone's)."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})["authenticatorId"]
    page.goto(f"{_local(site)}/#/connect")
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#view[aria-busy=false]")
    yield page, cdp, authenticator, problems
    context.close()


def _key_of(cdp, authenticator) -> tuple[int, int]:
    """The public key of the passkey the virtual authenticator holds (from its private key)."""
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    private = load_der_private_key(base64.b64decode(credential["privateKey"]), password=None)
    numbers = private.public_key().public_numbers()
    return numbers.x, numbers.y


def test_a_resident_without_a_wallet_creates_a_passkey_and_votes(phone_page, site, chain, committee):
    page, cdp, authenticator, problems = phone_page
    contracts = site["contracts"]
    factory, assembly, registry = (contracts["PasskeyAccountFactory"], contracts["OwnersAssembly"],
                                   site["community"].registry)
    assert page.evaluate("window.ethereum === undefined")
    screenshot(page, "passkey-connect")
    page.click("[data-testid=passkey-create]")
    account = to_checksum_address(page.wait_for_selector("[data-testid=passkey-account]").inner_text().strip())
    screenshot(page, "passkey-account")
    # The account is the one the factory derives from the key the authenticator made, and it
    # exists: the relayer created it.
    assert account == factory.account_address(*_key_of(cdp, authenticator))
    assert chain.provider.get_code(account), "the relayer did not create the account"
    assert chain.provider.get_balance(account) == 0

    # The committee registers the account as the owner of a unit (after the real-name check
    # off chain), then a proposal opens.
    registry.register_units([("2-1-101", AREA, account, commitment_for("passkey-resident"))], sender=committee)
    proposal = demo_activity.open_proposal(assembly, committee, chain, title="关于加装电梯的议案", length=20 * DAY)
    wait_indexed(site, chain)

    relayed = []
    page.on("response", lambda r: relayed.append(r.json()) if r.url.endswith("/passkeys/calls") and r.ok else None)
    page.evaluate(f"location.hash = '#/assembly/{proposal.id}'")
    page.wait_for_selector("[data-testid=vote-passkey]")
    screenshot(page, "passkey-vote")
    page.click("[data-testid=vote-passkey]")
    page.wait_for_selector("[data-testid=voted]", timeout=30_000)

    assert assembly.hasVoted(proposal.id, account)
    assert tuple(assembly.tally(proposal.id, FOR)) == (AREA, 1)
    votes = fetch_json(site, f"/api/v1/communities/{registry.address.lower()}/assembly/proposals/{proposal.id}/votes",
                       voter=account.lower())
    assert [(v["voter"], v["choice"], v["area"]) for v in votes["items"]] == [(account.lower(), "for", AREA)]
    [call] = relayed
    receipt = chain.provider.get_receipt(call["tx_hash"])
    assert receipt.sender.lower() == call["relayer"] and receipt.gas_used == call["gas_used"]
    print(f"\nrelayed passkey castVote (browser assertion, precompile): {call['gas_used']:,} gas")
    assert chain.provider.get_balance(account) == 0

    # A vote the contract would refuse (the vote closed while the page was open) is refused
    # by the relay's simulation, and the page says why in the resident's words.
    later = demo_activity.open_proposal(assembly, committee, chain, title="关于修缮屋顶的议案", length=DAY)
    wait_indexed(site, chain)
    page.evaluate(f"location.hash = '#/assembly/{later.id}'")
    page.wait_for_selector("[data-testid=vote-passkey]")
    chain.pending_timestamp = later.end + 1
    chain.mine()
    page.click("[data-testid=vote-passkey]")
    failed = page.wait_for_selector(".toast[data-state=failed]", timeout=30_000)
    assert "投票已经截止。" in failed.inner_text()
    assert not assembly.hasVoted(later.id, account)
    assert not problems, problems


# ---------------------------------------------------------------------- the relay endpoint under attack

def _register(site, key: Passkey) -> str:
    reply = httpx.post(f"{_api(site)}/passkeys", json={"x": hex(key.x), "y": hex(key.y)}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["account"]


def _body(account, target, value, data, nonce, assertion) -> dict:
    a = assertion
    return {"account": account, "target": target, "value": str(value), "data": "0x" + bytes(data).hex(),
            "nonce": str(nonce),
            "assertion": {"authenticator_data": "0x" + a[0].hex(), "client_data_json": "0x" + a[1].hex(),
                          "challenge_index": a[2], "type_index": a[3], "r": hex(a[4]), "s": hex(a[5]),
                          "x": hex(a[6]), "y": hex(a[7])}}


def _relay(site, body):
    return httpx.post(f"{_api(site)}/passkeys/calls", json=body, timeout=30)


def _refused(reply, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == code and detail["message"], detail
    return detail


def _owner_account(site, project, committee, seed: int, label: str):
    key = Passkey(seed=seed)
    account = project.PasskeyAccount.at(_register(site, key))
    site["community"].registry.register_units([(label, AREA, account.address, commitment_for(label))],
                                              sender=committee)
    return account, key


def _relayer_nonce(chain, site):
    return chain.provider.get_nonce(to_checksum_address(
        httpx.get(f"{site['url']}/api/v1/pages/config").json()["relayer"]["address"]))


def test_relay_refuses_a_call_to_a_contract_outside_the_community(site, project, chain, committee):
    key = Passkey(seed=0xF0E1)
    account = project.PasskeyAccount.at(_register(site, key))
    # Another community's registry: the same contract and an allowed selector, but not ours.
    elsewhere = deploy_community(project, chain, committee, name="别的小区").registry
    args = sign_call(account, key, chain.chain_id, elsewhere, data=elsewhere.accept_residence.encode_input(1, b"\1" * 32))
    before = _relayer_nonce(chain, site)
    detail = _refused(_relay(site, _body(account.address, *args)), 403, "foreign_contract")
    assert detail["reason"] == "relayer: contract outside the community"
    assert _relayer_nonce(chain, site) == before and account.next_nonce() == 0


def test_relay_refuses_a_selector_off_the_allow_list(site, project, chain, committee):
    key = Passkey(seed=0xF0E2)
    account = project.PasskeyAccount.at(_register(site, key))
    assembly, registry = site["contracts"]["OwnersAssembly"], site["community"].registry
    # Proposing (delegating is an owner's own act the relayer pays for since issue 18's flows).
    for target, data in ((assembly, assembly.propose.encode_input([], [], [], 0, "x", b"\3" * 32, 1, 2)),
                         (registry, registry.invite_resident.encode_input(1, account.address, b"\2" * 32))):
        args = sign_call(account, key, chain.chain_id, target, data=data)
        detail = _refused(_relay(site, _body(account.address, *args)), 403, "call_not_allowed")
        assert detail["reason"] == "relayer: call not allowed"
    # Ether out of the account is not the relayer's business either.
    args = sign_call(account, key, chain.chain_id, assembly, value=1,
                     data=assembly.castVote.encode_input(site["proposal"].id, FOR))
    _refused(_relay(site, _body(account.address, *args)), 403, "value_not_allowed")


def test_relay_refuses_an_account_that_is_not_the_factorys_proxy(site, project, chain, committee, owner_a):
    assembly = site["contracts"]["OwnersAssembly"]
    key = Passkey(seed=0xF0E3)
    # A genuine PasskeyAccount, with a valid assertion, but from another factory (another
    # implementation): the relayer would pay for an account nobody of this community vetted.
    other = deploy_passkeys(project, chain, committee)["PasskeyAccountFactory"]
    other.create_account(*key.public_key, sender=committee)
    stranger = project.PasskeyAccount.at(other.account_address(*key.public_key))
    data = assembly.castVote.encode_input(site["proposal"].id, FOR)
    args = sign_call(stranger, key, chain.chain_id, assembly, data=data)
    detail = _refused(_relay(site, _body(stranger.address, *args)), 403, "not_a_passkey_account")
    assert detail["reason"] == "relayer: not a passkey account"
    # A wallet (no code) and a community contract are not accounts either.
    for address in (owner_a.address, assembly.address):
        _refused(_relay(site, _body(address, *args)), 403, "not_a_passkey_account")


def test_relay_refuses_a_replayed_assertion(site, project, chain, committee):
    account, key = _owner_account(site, project, committee, 0xF0E4, "2-1-201")
    assembly = site["contracts"]["OwnersAssembly"]
    proposal = demo_activity.open_proposal(assembly, committee, chain, title="关于重铺路面的议案", length=20 * DAY)
    body = _body(account.address, *sign_call(account, key, chain.chain_id, assembly,
                                             data=assembly.castVote.encode_input(proposal.id, FOR)))
    first = _relay(site, body)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "confirmed" and assembly.hasVoted(proposal.id, account.address)
    before = _relayer_nonce(chain, site)
    detail = _refused(_relay(site, body), 409, "replayed")
    assert detail["reason"] == "passkey: wrong nonce"
    # A forged signature over the next nonce: refused by the account's own check, before sending.
    forged = body | {"nonce": "1"}
    detail = _refused(_relay(site, forged), 400, "bad_assertion")
    assert detail["reason"] == "passkey: wrong challenge"
    assert _relayer_nonce(chain, site) == before and account.next_nonce() == 1


def test_relay_limits_calls_per_account_with_retry_after(site, project, chain, committee):
    account, key = _owner_account(site, project, committee, 0xF0E5, "2-1-301")
    assembly = site["contracts"]["OwnersAssembly"]
    first = demo_activity.open_proposal(assembly, committee, chain, title="关于增设快递柜的议案", length=20 * DAY)
    second = demo_activity.open_proposal(assembly, committee, chain, title="关于更换路灯的议案", length=20 * DAY)
    vote = lambda proposal: _body(account.address, *sign_call(  # noqa: E731
        account, key, chain.chain_id, assembly, data=assembly.castVote.encode_input(proposal.id, FOR)))
    assert _relay(site, vote(first)).status_code == 200
    reply = _relay(site, vote(second))
    _refused(reply, 429, "rate_limited")
    assert 1 <= int(reply.headers["retry-after"]) <= 601
    assert not assembly.hasVoted(second.id, account.address)


def test_relay_simulates_first_and_answers_the_contracts_reason(site, project, chain):
    # A passkey account that owns nothing votes: the assembly would refuse, so nothing is sent
    # and the answer carries the contract's reason (the page translates it from reverts.json).
    key = Passkey(seed=0xF0E6)
    account = project.PasskeyAccount.at(_register(site, key))
    assembly = site["contracts"]["OwnersAssembly"]
    args = sign_call(account, key, chain.chain_id, assembly, data=assembly.castVote.encode_input(site["proposal"].id, FOR))
    before = _relayer_nonce(chain, site)
    detail = _refused(_relay(site, _body(account.address, *args)), 409, "would_revert")
    assert detail["reason"] == "registry: not an owner wallet"
    assert _relayer_nonce(chain, site) == before and account.next_nonce() == 0


def test_register_refuses_a_key_off_the_curve_and_creates_an_account_once(site):
    reply = httpx.post(f"{_api(site)}/passkeys", json={"x": "0x1", "y": "0x2"}, timeout=30)
    assert _refused(reply, 400, "bad_key")["reason"] == "passkey: not a P-256 point"
    key = Passkey(seed=0xF0E7)
    first = httpx.post(f"{_api(site)}/passkeys", json={"x": hex(key.x), "y": hex(key.y)}, timeout=30).json()
    again = httpx.post(f"{_api(site)}/passkeys", json={"x": hex(key.x), "y": hex(key.y)}, timeout=30).json()
    assert first["created"] and first["tx_hash"] and first["next_nonce"] == 0
    assert (again["account"], again["created"], again["tx_hash"]) == (first["account"], False, None)
    state = httpx.get(f"{_api(site)}/passkeys/{first['account']}", timeout=30).json()
    assert (state["passkey_account"], state["next_nonce"]) == (True, 0)
    stranger = httpx.get(f"{_api(site)}/passkeys/{site['community'].registry.address}", timeout=30).json()
    assert (stranger["passkey_account"], stranger["next_nonce"]) == (False, None)


def test_the_same_signed_call_posted_at_once_is_sent_once(site, project, chain, committee):
    # No per-account limit here (the relayer itself, as a route with a larger limit uses it):
    # three threads relay the same signed ballot at the same moment; one is sent, the others
    # are refused before sending, so the relayer pays for one transaction, not three.
    account, key = _owner_account(site, project, committee, 0xF0E8, "2-1-401")
    assembly = site["contracts"]["OwnersAssembly"]
    proposal = demo_activity.open_proposal(assembly, committee, chain, title="关于清洗外墙的议案", length=20 * DAY)
    target, value, data, nonce, assertion = sign_call(account, key, chain.chain_id, assembly,
                                                      data=assembly.castVote.encode_input(proposal.id, FOR))
    contracts = {name: c.address for name, c in site["community"].contracts().items()}
    rpc = RpcClient(site["settings"].rpc_url, timeout_s=10)
    relayer = PasskeyRelayer(BallotRelayer(rpc, site["settings"].relayer_private_key(chain.chain_id)))
    before = chain.provider.get_nonce(relayer.address)
    start, outcomes = threading.Barrier(3), []

    def relay():
        start.wait()
        try:
            outcomes.append(relayer.execute(contracts, account.address, target, value, data, nonce,
                                            Assertion(*assertion)).status)
        except PasskeyRefused as refusal:
            outcomes.append(refusal.code)

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    rpc.close()
    assert sorted(outcomes)[0] == "confirmed" and outcomes.count("confirmed") == 1, outcomes
    assert set(outcomes) - {"confirmed"} <= {"in_flight", "replayed"}, outcomes
    assert chain.provider.get_nonce(relayer.address) == before + 1
    assert assembly.hasVoted(proposal.id, account.address)


# ---------------------------------------------------------------------- more of a resident's acts, attacked

def test_relay_refuses_a_like_for_another_communitys_works(site, project, chain, committee, owner_a):
    account, key = _owner_account(site, project, committee, 0xF0E9, "2-1-501")
    elsewhere = deploy_community(project, chain, committee, name="别的小区")
    foreign = deploy_culture(project, chain, committee, elsewhere)["CultureWorks"]
    args = sign_call(account, key, chain.chain_id, foreign, data=foreign.like.encode_input(1))
    before = _relayer_nonce(chain, site)
    detail = _refused(_relay(site, _body(account.address, *args)), 403, "foreign_contract")
    assert detail["reason"] == "relayer: contract outside the community"
    assert _relayer_nonce(chain, site) == before and account.next_nonce() == 0


def test_relay_refuses_privileged_functions_of_the_allowed_contracts(site, project, chain, committee):
    """The policy refuses them itself (403 call_not_allowed), before any simulation: not
    because the account lacks the role (that would be the contract's 409 would_revert)."""
    account, key = _owner_account(site, project, committee, 0xF0EA, "2-1-601")
    culture, activities = site["contracts"]["CultureWorks"], site["contracts"]["CommunityActivities"]
    fees = site["contracts"]["PropertyFees"]
    privileged = [
        (culture, culture.hide_work.encode_input(1, b"\3" * 32)),
        (culture, culture.set_like_reward.encode_input(100, 1000)),
        (culture, culture.gift.encode_input(committee.address, 1)),
        (activities, activities.approve_activity.encode_input(1)),
        (activities, activities.cancel_activity.encode_input(1, b"\4" * 32)),
        (activities, activities.check_in.encode_input(1, [account.address])),
        (fees, fees.record_payment.encode_input(1, 0, 1, 100, 0, b"\5" * 32)),
        (fees, fees.disburse.encode_input(0, account.address, 1)),
    ]
    before = _relayer_nonce(chain, site)
    for target, data in privileged:
        args = sign_call(account, key, chain.chain_id, target, data=data)
        detail = _refused(_relay(site, _body(account.address, *args)), 403, "call_not_allowed")
        assert detail["reason"] == "relayer: call not allowed"
    # Allowed functions with ether attached: still refused.
    for target, data in ((culture, culture.like.encode_input(1)), (activities, activities.sign_up.encode_input(1))):
        args = sign_call(account, key, chain.chain_id, target, value=1, data=data)
        _refused(_relay(site, _body(account.address, *args)), 403, "value_not_allowed")
    assert _relayer_nonce(chain, site) == before and account.next_nonce() == 0


def test_relay_refuses_key_changes_of_another_account_and_other_calls_to_itself(site, project, chain):
    """An account may have only its own add_passkey / remove_passkey relayed to itself (a new
    phone, test_passkey_acts.py); adding a key to another account, or any other call to
    itself, is refused before anything is sent."""
    key, other_key, thief = Passkey(seed=0xF0EB), Passkey(seed=0xF0EC), Passkey(seed=0xF0ED)
    account = project.PasskeyAccount.at(_register(site, key))
    other = project.PasskeyAccount.at(_register(site, other_key))
    before = _relayer_nonce(chain, site)
    args = sign_call(account, key, chain.chain_id, other, data=other.add_passkey.encode_input(*thief.public_key))
    _refused(_relay(site, _body(account.address, *args)), 403, "foreign_contract")
    for data in (account.initialize.encode_input(*thief.public_key),
                 account.execute.encode_input(other.address, 0, b"", 0, args[4])):
        args = sign_call(account, key, chain.chain_id, account, data=data)
        detail = _refused(_relay(site, _body(account.address, *args)), 403, "call_not_allowed")
        assert detail["reason"] == "relayer: call not allowed"
    args = sign_call(account, key, chain.chain_id, account, value=1,
                     data=account.add_passkey.encode_input(*thief.public_key))
    _refused(_relay(site, _body(account.address, *args)), 403, "value_not_allowed")
    assert _relayer_nonce(chain, site) == before
    assert not account.is_passkey(*thief.public_key) and not other.is_passkey(*thief.public_key)
