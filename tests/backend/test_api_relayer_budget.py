# SPDX-License-Identifier: AGPL-3.0-only
"""The relayer's daily budget per community (backend/relayer/budget.py) against a real
anvil: the ballot relay and the passkey relay spend one budget; when it is spent both
answer 503 with Retry-After to the next Beijing midnight and send nothing; the next day
it resets (the budget's clock is the test's, no sleeping); a burst of concurrent
requests, a reverted transaction and a restart of the API do not get round it.

SQLite: the spend is written to the index database like any table (the migrations are
tested on both databases elsewhere)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.chain.deploy_assembly import deploy_assembly
from backend.chain.deploy_passkeys import deploy_passkeys
from backend.chain.deployment import manifest_dict
from backend.core.db import make_engine
from backend.relayer.budget import BudgetExhausted, DailyBudget
from tests.assembly.conftest import ASSEMBLY_PARAMS
from tests.assembly.helpers import FOR, close_voting, open_voting, propose, sign_ballot
from tests.backend.conftest import fresh_database_url
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

# 23:00 in Beijing (15:00 UTC): one hour to the budget's reset.
LATE_EVENING = datetime(2026, 12, 5, 15, 0, tzinfo=timezone.utc).timestamp()
HOUR = 3600


@pytest.fixture
def database_url(tmp_path):
    return fresh_database_url("sqlite", tmp_path)


@pytest.fixture
def sponsored(populated, project, chain, committee, registry, make_indexer, settings):
    """A community with an assembly and passkey accounts; a passkey account owns a unit
    from before the open proposal; indexed; the relayer funded."""
    passkeys = deploy_passkeys(project, chain, committee)
    phone = Passkey(seed=0xB0D6E7)
    factory = passkeys["PasskeyAccountFactory"]
    factory.create_account(*phone.public_key, sender=committee)
    account = project.PasskeyAccount.at(factory.account_address(*phone.public_key))
    registry.register_units([("3-1-101", 9_000, account.address, commitment_for("passkey-budget"))],
                            sender=committee)
    gov = deploy_assembly(project, chain, committee, populated, **ASSEMBLY_PARAMS)
    assembly = gov["OwnersAssembly"]
    proposal = propose(assembly, committee, chain)
    open_voting(chain, proposal)
    community = replace(populated, extra={**gov, **passkeys})
    make_indexer(manifest_dict(community, "local")).sync()
    relayer = Account.from_key(settings.relayer_private_key(chain.chain_id)).address
    chain.set_balance(relayer, 10**20)
    base = f"/api/v1/communities/{populated.registry.address.lower()}"
    return {"assembly": assembly, "proposal": proposal, "relayer": relayer, "account": account, "phone": phone,
            "ballots": f"{base}/assembly/ballots", "calls": f"{base}/passkeys/calls",
            "passkeys": f"{base}/passkeys", "budget": f"{base}/relayer/budget"}


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def app_for(settings, clock: Clock, **overrides):
    app = create_app(settings.model_copy(update=overrides))
    app.state.relayer_clock = clock
    return app


def ballot(sponsored, chain, signer) -> dict:
    proposal = sponsored["proposal"]
    signature = sign_ballot(sponsored["assembly"], chain, signer, proposal.id, FOR)
    return {"proposal_id": str(proposal.id), "support": FOR, "voter": signer.address,
            "signature": "0x" + signature.hex()}


def passkey_vote(sponsored, chain) -> dict:
    account, assembly = sponsored["account"], sponsored["assembly"]
    target, value, data, nonce, a = sign_call(account, sponsored["phone"], chain.chain_id, assembly,
                                              data=assembly.castVote.encode_input(sponsored["proposal"].id, FOR))
    return {"account": account.address, "target": target, "value": str(value), "data": "0x" + data.hex(),
            "nonce": str(nonce),
            "assertion": {"authenticator_data": "0x" + a[0].hex(), "client_data_json": "0x" + a[1].hex(),
                          "challenge_index": a[2], "type_index": a[3], "r": hex(a[4]), "s": hex(a[5]),
                          "x": hex(a[6]), "y": hex(a[7])}}


def exhausted(reply) -> dict:
    assert reply.status_code == 503, reply.text
    detail = reply.json()["detail"]
    assert (detail["code"], detail["reason"]) == ("budget_exhausted", "relayer: daily budget spent"), detail
    return detail


def test_a_spent_budget_refuses_every_route_until_midnight_in_beijing(sponsored, chain, settings, owner_a):
    clock = Clock(LATE_EVENING)
    client = TestClient(app_for(settings, clock, relayer_daily_budget_transactions=1))
    assert client.post(sponsored["ballots"], json=ballot(sponsored, chain, owner_a)).status_code == 200
    today = client.get(sponsored["budget"]).json()
    assert (today["day"], today["transactions"], today["by_route"], today["remaining_transactions"],
            today["exhausted"], today["resets_in_s"]) == ("2026-12-05", 1, {"ballot": 1}, 0, True, HOUR)

    # The other relay route and the account creation meet the same budget: 503, nothing sent.
    nonce = chain.provider.get_nonce(sponsored["relayer"])
    reply = client.post(sponsored["calls"], json=passkey_vote(sponsored, chain))
    exhausted(reply)
    assert reply.headers["retry-after"] == str(HOUR)
    new_phone = Passkey(seed=0xB0D6E8)
    reply = client.post(sponsored["passkeys"], json={"x": hex(new_phone.x), "y": hex(new_phone.y)})
    exhausted(reply)
    assert chain.provider.get_nonce(sponsored["relayer"]) == nonce
    assert not sponsored["assembly"].hasVoted(sponsored["proposal"].id, sponsored["account"].address)

    # 00:00 in Beijing: a new day, a new budget.
    clock.now += HOUR
    reply = client.post(sponsored["calls"], json=passkey_vote(sponsored, chain))
    assert reply.status_code == 200, reply.text
    assert sponsored["assembly"].hasVoted(sponsored["proposal"].id, sponsored["account"].address)
    today = client.get(sponsored["budget"]).json()
    assert (today["day"], today["transactions"], today["by_route"], today["resets_in_s"]) == \
        ("2026-12-06", 1, {"passkey": 1}, 24 * HOUR)


def test_the_budget_in_wei_is_gas_used_times_the_price_and_survives_a_restart(sponsored, chain, settings, owner_a,
                                                                              owner_b):
    clock = Clock(LATE_EVENING)
    first = TestClient(app_for(settings, clock))
    reply = first.post(sponsored["ballots"], json=ballot(sponsored, chain, owner_a))
    assert reply.status_code == 200, reply.text
    receipt = chain.provider.web3.eth.get_transaction_receipt(reply.json()["tx_hash"])
    cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert cost > 0
    assert first.get(sponsored["budget"]).json()["spent_wei"] == str(cost)

    # Another API process (a restart, a second worker) reads the same day from the database;
    # with a wei budget one wei above what was spent, no transaction fits any more.
    second = TestClient(app_for(settings, clock, relayer_daily_budget_wei=cost + 1))
    today = second.get(sponsored["budget"]).json()
    assert (today["spent_wei"], today["remaining_wei"], today["transactions"]) == (str(cost), "1", 1)
    nonce = chain.provider.get_nonce(sponsored["relayer"])
    exhausted(second.post(sponsored["ballots"], json=ballot(sponsored, chain, owner_b)))
    exhausted(second.post(sponsored["calls"], json=passkey_vote(sponsored, chain)))
    assert chain.provider.get_nonce(sponsored["relayer"]) == nonce


def test_a_burst_of_concurrent_requests_does_not_overspend(sponsored, chain, settings, owner_a, owner_b, owner_c):
    """Reservations in flight count: three ballots at the same moment with room for two."""
    app = app_for(settings, Clock(LATE_EVENING), relayer_daily_budget_transactions=2)
    bodies = [ballot(sponsored, chain, owner) for owner in (owner_a, owner_b, owner_c)]
    bodies.append(passkey_vote(sponsored, chain))
    urls = [sponsored["ballots"]] * 3 + [sponsored["calls"]]
    nonce = chain.provider.get_nonce(sponsored["relayer"])
    start, statuses = threading.Barrier(len(bodies)), []

    def post(url, body):
        with TestClient(app) as client:
            start.wait()
            statuses.append(client.post(url, json=body).status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(urls, bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 200, 503, 503], statuses
    assert chain.provider.get_nonce(sponsored["relayer"]) == nonce + 2
    today = TestClient(app).get(sponsored["budget"]).json()
    assert (today["transactions"], today["in_flight"], today["exhausted"]) == (2, 0, True)


def test_a_reverted_transaction_still_counts_its_gas(sponsored, chain, settings, owner_b):
    """The ballot passes every check, then voting closes before its block: the relayer
    paid for a reverted transaction, and the budget says so."""
    app = app_for(settings, Clock(LATE_EVENING))
    client = TestClient(app)
    relayer = sponsored["relayer"]
    sent = chain.provider.get_nonce(relayer)
    answers = []
    chain.provider.make_request("evm_setAutomine", [False])
    try:
        thread = threading.Thread(target=lambda: answers.append(
            client.post(sponsored["ballots"], json=ballot(sponsored, chain, owner_b))))
        thread.start()
        deadline = time.monotonic() + 30
        while int(chain.provider.make_request("eth_getTransactionCount", [relayer, "pending"]), 16) == sent:
            assert time.monotonic() < deadline, "the relayer sent nothing"
            time.sleep(0.05)
        close_voting(chain, sponsored["proposal"])  # the block with the ballot comes after the end
    finally:
        chain.provider.make_request("evm_setAutomine", [True])
    thread.join(timeout=60)
    [reply] = answers
    assert reply.status_code == 409 and reply.json()["detail"]["code"] == "reverted", reply.text
    [tx] = chain.provider.web3.eth.get_block("latest", full_transactions=True)["transactions"]
    receipt = chain.provider.web3.eth.get_transaction_receipt(tx["hash"])
    assert receipt["status"] == 0 and receipt["from"] == relayer
    today = client.get(sponsored["budget"]).json()
    assert (today["transactions"], today["spent_wei"]) == (1, str(receipt["gasUsed"] * receipt["effectiveGasPrice"]))


def test_the_client_limit_is_one_for_both_relay_routes(sponsored, chain, settings, owner_a):
    client = TestClient(app_for(settings, Clock(LATE_EVENING), relayer_limit_per_client=1))
    assert client.post(sponsored["ballots"], json=ballot(sponsored, chain, owner_a)).status_code == 200
    reply = client.post(sponsored["calls"], json=passkey_vote(sponsored, chain))
    assert reply.status_code == 429 and reply.json()["detail"]["code"] == "rate_limited", reply.text
    assert int(reply.headers["retry-after"]) >= 1


def test_on_a_zero_price_chain_the_budget_counts_transactions(database_url):
    """Every transaction costs 0 wei there: a wei budget would never run out, the count does."""
    engine = make_engine(database_url)
    clock = Clock(LATE_EVENING)
    budget = DailyBudget(engine, budget_wei=1, budget_transactions=2, clock=clock)
    community = "0x" + "ab" * 20
    for n in range(2):
        spending = budget.spending(community, 31337, "passkey")
        spending.reserve(100_000, 0)
        spending.sent("0x%064x" % n)
        spending.settle({"gasUsed": hex(60_000), "effectiveGasPrice": "0x0", "status": "0x1"})
    with pytest.raises(BudgetExhausted) as refused:
        budget.spending(community, 31337, "ballot").reserve(100_000, 0)
    assert refused.value.retry_after == str(HOUR)
    spent = budget.spent(community)
    assert (spent.wei, spent.transactions, spent.in_flight) == (0, 2, 0)
    # A reservation whose transaction was never sent goes back.
    clock.now += HOUR
    spending = budget.spending(community, 31337, "ballot")
    spending.reserve(100_000, 0)
    assert budget.spent(community).in_flight == 1
    spending.release()
    assert budget.spent(community).in_flight == 0
    # A transaction whose receipt did not come in time counts at its worst case (gas limit × fee cap).
    priced = DailyBudget(engine, budget_wei=10**18, budget_transactions=10, clock=clock)
    spending = priced.spending(community, 31337, "ballot")
    spending.reserve(100_000, 7)
    spending.sent("0x" + "ee" * 32)
    spending.settle(None)
    spent = priced.spent(community)
    assert (spent.wei, spent.transactions, spent.in_flight) == (700_000, 1, 0)
    engine.dispose()
