"""The vote relayer against a real anvil: a signed ballot is checked on chain, sent with
the relayer's gas and counted; every refusal is a 4xx naming what was wrong, with no
transaction sent; the limits per voter and per client answer 429.

SQLite only: the relayer reads the chain, not the index (the community's record
aside), and the index routes are tested on both databases elsewhere."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr

from backend.api.main import create_app
from backend.chain.deploy_assembly import deploy_assembly
from backend.chain.deployment import manifest_dict
from backend.chain.relayer import BALLOT_TYPES, BallotRelayer
from backend.core.config import Settings
from backend.indexer.rpc import RpcClient
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import AGAINST, FOR, close_voting, open_voting, propose, sign_ballot
from tests.backend.conftest import fresh_database_url

AREA_A = 8_950 + 12_000


@pytest.fixture
def database_url(tmp_path):
    return fresh_database_url("sqlite", tmp_path)


@pytest.fixture
def voting(populated, project, chain, committee, make_indexer, settings):
    """An assembly with one proposal open for voting (and one not yet open), indexed; the relayer funded."""
    gov = deploy_assembly(project, chain, committee, populated, **ASSEMBLY_PARAMS)
    assembly = gov["OwnersAssembly"]
    later = propose(assembly, committee, chain, title="下一次的议案", notice=10 * 86400)
    proposal = propose(assembly, committee, chain)
    open_voting(chain, proposal)
    community = replace(populated, extra=gov)
    make_indexer(manifest_dict(community, "local")).sync()
    relayer = Account.from_key(settings.relayer_private_key(chain.chain_id)).address
    chain.set_balance(relayer, 10**20)
    return {"assembly": assembly, "proposal": proposal, "later": later, "relayer": relayer,
            "url": f"/api/v1/communities/{populated.registry.address.lower()}/assembly/ballots"}


def client_for(settings: Settings, **overrides) -> TestClient:
    return TestClient(create_app(settings.model_copy(update=overrides)))


def ballot(assembly, chain, signer, proposal_id, support=FOR, voter=None) -> dict:
    signature = sign_ballot(assembly, chain, signer, proposal_id, support, voter)
    return {"proposal_id": str(proposal_id), "support": support, "voter": voter or signer.address,
            "signature": "0x" + signature.hex()}


def test_relayed_ballot_counts_on_chain(voting, chain, settings, owner_a):
    assembly, proposal = voting["assembly"], voting["proposal"]
    relayer_before = chain.provider.get_balance(voting["relayer"])
    nonce_before = owner_a.nonce
    reply = client_for(settings).post(voting["url"], json=ballot(assembly, chain, owner_a, proposal.id))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["status"], body["area"], body["voter"], body["relayer"]) == \
        ("confirmed", AREA_A, owner_a.address.lower(), voting["relayer"].lower())
    assert assembly.tally(proposal.id, FOR) == (AREA_A, 1)
    assert assembly.hasVoted(proposal.id, owner_a.address)
    receipt = chain.provider.get_receipt(body["tx_hash"])
    assert receipt.sender == voting["relayer"] and receipt.block_number == body["block_number"]
    # The relayer paid the gas; the voter sent nothing.
    assert chain.provider.get_balance(voting["relayer"]) < relayer_before
    assert owner_a.nonce == nonce_before


def test_a_relayed_ballot_replaces_the_delegates_and_nothing_else(voting, chain, settings, owner_a, tenant):
    """The relayer follows the assembly: an owner's signed ballot replaces the one their
    delegate cast; once the owner has a ballot of their own, a signature is refused
    (it has no nonce: relaying an old one would undo a change)."""
    assembly, proposal = voting["assembly"], voting["proposal"]
    assembly.set_delegate(tenant.address, proposal.id, sender=owner_a)
    assembly.castVoteAsDelegate(proposal.id, [owner_a.address], AGAINST, sender=tenant)
    client = client_for(settings)
    assert client.post(voting["url"], json=ballot(assembly, chain, owner_a, proposal.id, FOR)).status_code == 200
    assert assembly.tally(proposal.id, FOR) == (AREA_A, 1)
    assert assembly.tally(proposal.id, AGAINST) == (0, 0)
    refusal(client.post(voting["url"], json=ballot(assembly, chain, owner_a, proposal.id, AGAINST)), 409,
            "already_voted")
    assert assembly.tally(proposal.id, FOR) == (AREA_A, 1)


def test_relayer_reads_the_domain_from_the_contract(voting, chain, settings, owner_a):
    """The digest the relayer verifies is the one the contract checks (ballot_digest)."""
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    rpc = RpcClient(settings.rpc_url, timeout_s=5)
    relayer = BallotRelayer(rpc, settings.relayer_private_key(chain.chain_id))
    domain = relayer.domain(voting["assembly"].address)
    rpc.close()
    assert (domain.name, domain.version, domain.chain_id, domain.verifying_contract) == \
        ("Linli OwnersAssembly", "1", chain.chain_id, voting["assembly"].address)
    message = {"domain": {"name": domain.name, "version": domain.version, "chainId": domain.chain_id,
                          "verifyingContract": domain.verifying_contract},
               "types": BALLOT_TYPES, "primaryType": "Ballot",
               "message": {"proposalId": voting["proposal"].id, "support": FOR, "voter": owner_a.address}}
    assert _hash_eip191_message(encode_typed_data(full_message=message)) == \
        bytes(voting["assembly"].ballot_digest(voting["proposal"].id, FOR, owner_a.address))


def refusal(reply, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    detail = reply.json()["detail"]
    assert detail["code"] == code and detail["message"], detail
    return detail


def test_a_wallet_under_recovery_or_bound_mid_vote_is_refused(voting, chain, settings, registry, committee, owner_a,
                                                               accounts):
    """Issue 16: while a recovery of its identity is pending a wallet signs no ballot the
    relayer sends, and a wallet recovered mid-vote has no vote on the open proposal."""
    assembly, proposal = voting["assembly"], voting["proposal"]
    client = client_for(settings, relayer_limit_per_voter=100)
    nonce = chain.provider.get_nonce(voting["relayer"])
    phone = accounts.generate_test_account()
    registry.request_recovery(owner_a, phone, b"\x01" * 32, sender=committee)
    detail = refusal(client.post(voting["url"], json=ballot(assembly, chain, owner_a, proposal.id)), 403,
                     "recovery_pending")
    assert detail["reason"] == "registry: recovery pending"
    chain.pending_timestamp += 3 * 86400 + 1
    registry.execute_recovery(0, sender=committee)
    detail = refusal(client.post(voting["url"], json=ballot(assembly, chain, phone, proposal.id)), 403,
                     "bound_after_snapshot")
    assert detail["reason"] == "registry: wallet bound after the snapshot"
    assert chain.provider.get_nonce(voting["relayer"]) == nonce


def test_each_refusal_is_a_clear_4xx_and_sends_nothing(voting, chain, settings, owner_a, owner_b, tenant):
    assembly, proposal, later = voting["assembly"], voting["proposal"], voting["later"]
    client = client_for(settings, relayer_limit_per_voter=100)  # every request counts, refusals too
    nonce = chain.provider.get_nonce(voting["relayer"])

    # Signed by someone else than the voter it names.
    forged = ballot(assembly, chain, owner_b, proposal.id, voter=owner_a.address)
    assert "not by the voter" in refusal(client.post(voting["url"], json=forged), 400, "bad_signature")["message"]
    # Signed for another choice than the one posted.
    tampered = {**ballot(assembly, chain, owner_a, proposal.id, FOR), "support": AGAINST}
    refusal(client.post(voting["url"], json=tampered), 400, "bad_signature")
    # Not a signature of anything.
    garbage = {**ballot(assembly, chain, owner_a, proposal.id), "signature": "0x" + "11" * 64 + "1b"}
    refusal(client.post(voting["url"], json=garbage), 400, "bad_signature")
    # A tenant has no vote.
    refusal(client.post(voting["url"], json=ballot(assembly, chain, tenant, proposal.id)), 403, "no_weight")
    # Unknown proposal, and one whose vote has not opened.
    refusal(client.post(voting["url"], json=ballot(assembly, chain, owner_a, 12345)), 404, "unknown_proposal")
    refusal(client.post(voting["url"], json=ballot(assembly, chain, owner_a, later.id)), 409, "proposal_closed")
    assert chain.provider.get_nonce(voting["relayer"]) == nonce

    # A duplicate: the owner voted in person first.
    assembly.castVote(proposal.id, AGAINST, sender=owner_b)
    refusal(client.post(voting["url"], json=ballot(assembly, chain, owner_b, proposal.id)), 409, "already_voted")
    # The same signed ballot twice: counted once.
    signed = ballot(assembly, chain, owner_a, proposal.id)
    assert client.post(voting["url"], json=signed).status_code == 200
    refusal(client.post(voting["url"], json=signed), 409, "already_voted")
    assert assembly.tally(proposal.id, FOR) == (AREA_A, 1)
    nonce = chain.provider.get_nonce(voting["relayer"])

    # Voting closed.
    close_voting(chain, proposal)
    refusal(client.post(voting["url"], json=ballot(assembly, chain, owner_a, proposal.id)), 409, "proposal_closed")
    assert chain.provider.get_nonce(voting["relayer"]) == nonce


@pytest.mark.parametrize("change, field", [
    ({"support": 3}, "support"),
    ({"proposal_id": "0x12"}, "proposal_id"),
    ({"proposal_id": str(2**256)}, "proposal_id"),
    ({"voter": "0x1234"}, "voter"),
    ({"signature": "0x" + "ab" * 10}, "signature"),
    ({"reason": "extra"}, "reason"),
])
def test_malformed_ballots_are_422_naming_the_field(voting, chain, settings, owner_a, change, field):
    body = {**ballot(assembly=voting["assembly"], chain=chain, signer=owner_a, proposal_id=voting["proposal"].id),
            **change}
    reply = client_for(settings).post(voting["url"], json=body)
    assert reply.status_code == 422
    assert any(field in error["loc"] for error in reply.json()["detail"])


def test_forged_ballots_do_not_use_up_a_voters_allowance(voting, chain, settings, owner_a, attacker, committee):
    """The per-voter limit was counted before the signature was checked: five forged
    ballots naming an owner locked them out of the relayer for ten minutes. Now only a
    ballot the voter signed, that passed every check and is about to be sent, counts."""
    assembly, proposal = voting["assembly"], voting["proposal"]
    second = propose(assembly, committee, chain, title="第二个议案")
    open_voting(chain, second)
    client = client_for(settings, relayer_limit_per_voter=1, relayer_limit_per_client=100)
    url = voting["url"]
    forged = ballot(assembly, chain, attacker, proposal.id, voter=owner_a.address)
    for _ in range(6):
        refusal(client.post(url, json=forged), 400, "bad_signature")
    # A ballot the owner did sign, for a proposal they have voted on (a replay), is refused
    # before it counts too.
    assembly.castVote(proposal.id, FOR, sender=owner_a)
    replayed = ballot(assembly, chain, owner_a, proposal.id)
    for _ in range(3):
        refusal(client.post(url, json=replayed), 409, "already_voted")
    # The owner's own ballot still goes through: their allowance (1) is intact...
    assert client.post(url, json=ballot(assembly, chain, owner_a, second.id)).status_code == 200
    assert assembly.hasVoted(second.id, owner_a.address)
    # ...and it is the relayed ballot that used it: the limit per voter still holds.
    third = propose(assembly, committee, chain, title="第三个议案")
    open_voting(chain, third)
    reply = client.post(url, json=ballot(assembly, chain, owner_a, third.id))
    assert "this voter" in refusal(reply, 429, "rate_limited")["message"]
    assert int(reply.headers["Retry-After"]) > 0
    assert not assembly.hasVoted(third.id, owner_a.address)


def test_rate_limit_per_client(voting, chain, settings, owner_a, owner_b, tenant):
    assembly, proposal = voting["assembly"], voting["proposal"]
    client = client_for(settings, relayer_limit_per_client=4)
    url = voting["url"]
    # Every request from a client counts against it, refused or not.
    refusal(client.post(url, json=ballot(assembly, chain, tenant, proposal.id)), 403, "no_weight")
    refusal(client.post(url, json=ballot(assembly, chain, tenant, proposal.id)), 403, "no_weight")
    refusal(client.post(url, json=ballot(assembly, chain, owner_b, proposal.id, voter=owner_a.address)), 400,
            "bad_signature")
    assert client.post(url, json=ballot(assembly, chain, owner_a, proposal.id)).status_code == 200
    reply = client.post(url, json=ballot(assembly, chain, owner_b, proposal.id))
    assert "this client" in refusal(reply, 429, "rate_limited")["message"]
    assert int(reply.headers["Retry-After"]) > 0
    assert not assembly.hasVoted(proposal.id, owner_b.address)


def test_relaying_off_and_communities_without_an_assembly(voting, populated, chain, settings, owner_a, deploy_other,
                                                         make_indexer):
    body = ballot(voting["assembly"], chain, owner_a, voting["proposal"].id)
    refusal(client_for(settings, relayer_enabled=False).post(voting["url"], json=body), 503, "relayer_off")
    other = deploy_other()
    make_indexer(manifest_dict(other, "local")).sync()
    reply = client_for(settings).post(f"/api/v1/communities/{other.registry.address}/assembly/ballots", json=body)
    assert reply.status_code == 404 and "OwnersAssembly" in reply.json()["detail"]
    # A ballot for an unindexed community.
    reply = client_for(settings).post(f"/api/v1/communities/{'0x' + '12' * 20}/assembly/ballots", json=body)
    assert reply.status_code == 404


def test_production_needs_its_own_relayer_key():
    from backend.chain.demo import demo_key

    # (the vault is off here: its own keys are tested in tests/vault)
    safe = {"environment": "production", "cors_origins": ["https://linli.example"], "vault_enabled": False}
    with pytest.raises(ValueError, match="LINLI_RELAYER_KEY must name"):
        Settings(**safe)
    with pytest.raises(ValueError, match="public demo key"):
        Settings(**safe, relayer_key=demo_key("relayer"))
    with pytest.raises(ValueError, match="64 hex digits"):
        Settings(**safe, relayer_key="0x1234")
    own = "0x" + "42" * 32
    assert Settings(**safe, relayer_key=own).relayer_private_key(4242) == own
    assert not Settings(**safe, relayer_enabled=False).relayer_enabled
    assert Settings(environment="development").relayer_private_key(31337) == demo_key("relayer")


@pytest.mark.parametrize("environment", ["development", "test"])
def test_the_demo_key_signs_only_on_a_local_chain(environment):
    """Outside production with only LINLI_RPC_URL set, the relayer signed with the public
    demo key on any chain: anyone can derive it from the source."""
    from backend.chain.demo import demo_key
    from backend.core.config import UnsafeDefault

    settings = Settings(environment=environment, rpc_url="https://rpc.private-chain.example")
    for local in (31337, 1337):
        assert settings.relayer_private_key(local) == demo_key("relayer")
    for private in (1, 4242, 20261130):
        with pytest.raises(UnsafeDefault, match=f"not on chain {private}"):
            settings.relayer_private_key(private)
        # Named explicitly, the demo key is refused there too.
        with pytest.raises(UnsafeDefault, match="public demo key"):
            settings.model_copy(update={"relayer_key": SecretStr(demo_key("relayer"))}).relayer_private_key(private)
    own = "0x" + "42" * 32
    assert settings.model_copy(update={"relayer_key": SecretStr(own)}).relayer_private_key(4242) == own


@pytest.fixture
def private_chain(tmp_path):
    """A second, real anvil with a chain id that is not a local one (4242)."""
    import subprocess

    import httpx

    from tests.backend.nodeproxy import free_port

    port = free_port()
    node = subprocess.Popen(["anvil", "--port", str(port), "--chain-id", "4242", "--silent"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        node.terminate()
        node.wait(timeout=10)


def test_a_relayer_without_a_key_on_a_private_chain_refuses_to_relay(voting, chain, settings, owner_a, populated,
                                                                     private_chain, tmp_path):
    """With only LINLI_RPC_URL pointing at a private chain the relayer signed with the
    public demo key. It reads the chain id from the node: on anything but 31337/1337 the
    demo key is not used, the ballot is a 503 naming the setting and nothing is sent; the
    page's config offers no relayer, so residents vote from their wallet."""
    import json

    from backend.chain.demo import demo_key

    ballot_a = ballot(voting["assembly"], chain, owner_a, voting["proposal"].id)
    reply = client_for(settings, rpc_url=private_chain).post(voting["url"], json=ballot_a)
    detail = refusal(reply, 503, "relayer_unconfigured")
    assert "LINLI_RELAYER_KEY" in detail["message"] and "chain 4242" in detail["message"]
    demo = Account.from_key(demo_key("relayer")).address
    nonce = httpx.post(private_chain, json={"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount",
                                            "params": [demo, "latest"]}).json()["result"]
    assert int(nonce, 16) == 0

    manifest = tmp_path / "private-4242.json"
    manifest.write_text(json.dumps({**manifest_dict(populated, "private"), "chain_id": 4242}))
    assert client_for(settings, manifest=manifest).get("/api/v1/pages/config").json()["relayer"] is None
    manifest.write_text(json.dumps(manifest_dict(populated, "local")))
    assert client_for(settings, manifest=manifest).get("/api/v1/pages/config").json()["relayer"]["address"] == \
        demo.lower()

    # With a key of its own it relays (here on the test chain).
    own = Account.create()
    chain.set_balance(own.address, 10**20)
    reply = client_for(settings, relayer_key=SecretStr(own.key.to_0x_hex())).post(voting["url"], json=ballot_a)
    assert reply.status_code == 200 and reply.json()["relayer"] == own.address.lower()
