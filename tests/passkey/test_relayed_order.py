# SPDX-License-Identifier: AGPL-3.0-only
"""A resident with only a passkey orders a service through the relayer (issue 18): one
signed call, the settlement token's ERC-1363 `transferAndCall(ServiceMarket, budget,
(category, description, deadline))`, so no approval is ever written; then the resident's
own acts on that request (accept an offer, confirm, rate, cancel, dispute, reclaim).

The relayer's policy pays for an order only to this community's ServiceMarket, with data
that is exactly (category, description, deadline) and a budget in the market's range;
another market, a zero or too large budget, data of another length or trailing bytes, an
approval are a 403 naming the rule, and nothing is sent. A provider's acts, the
committee's and the assembly's are a 403 even when the account holds the role; the same
resident acts aimed at another resident's request are the contract's refusal in the
simulation (409, nothing sent)."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_account import Account

from backend.chain.deploy_fees import deploy_fees
from backend.chain.deploy_services import deploy_services
from backend.chain.deployment import role_id
from backend.chain.relayer import BallotRelayer
from backend.indexer.rpc import RpcClient
from backend.relayer.passkeys import PasskeyRelayer
from tests.passkey.test_relayed_payment import _refused, relay
from tests.utils.hashes import h
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

DAY = 86_400
BUDGET = 50_000  # 500.00 yuan
PRICE = 40_000
FUNDS = 10**7
NOT_ALLOWED = "relayer: call not allowed"
SHAPE = "relayer: order is not (category, description, deadline)"
OPEN, ACCEPTED, DONE, DISPUTED, CONFIRMED = 1, 2, 3, 4, 5
CANCELLED, RECLAIMED = 8, 9


@pytest.fixture
def ordering(project, chain, committee, populated, registry, passkey_stack, passkey_factory, fees_stack):
    """A member's passkey account holding settlement tokens (no allowance to anyone), the
    community's ServiceMarket, a relayer with a key of its own and gas money."""
    fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
    market = deploy_services(project, chain, committee, populated, fees)["ServiceMarket"]
    key = Passkey(seed=0x5E4C)
    passkey_factory.create_account(*key.public_key, sender=committee)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    registry.register_units([("6-1-101", 9_000, account.address, commitment_for("passkey-orderer"))], sender=committee)
    token.mint(account.address, FUNDS, sender=committee)
    sender = Account.create()
    chain.set_balance(sender.address, 10**20)
    rpc = RpcClient(chain.provider.uri, timeout_s=10)
    relayer = PasskeyRelayer(BallotRelayer(rpc, sender.key.to_0x_hex(), receipt_timeout_s=60))
    contracts = {name: c.address for name, c in populated.contracts().items()}
    contracts.update({name: c.address for name, c in {**passkey_stack, **fees_stack}.items()})
    contracts["ServiceMarket"] = market.address
    yield {"market": market, "token": token, "account": account, "key": key, "relayer": relayer,
           "contracts": contracts, "sender": sender.address}
    rpc.close()


def purpose(category, text, deadline):
    return encode(["uint256", "bytes32", "uint256"], [category, h(text), deadline])


def order_call(o, budget, data):
    return o["token"].transferAndCall.encode_input(o["market"].address, budget, data)


def order(o, chain, budget=BUDGET, text="fix the kitchen tap", days=10):
    deadline = chain.pending_timestamp + days * DAY
    relayed = relay(o, chain, o["token"], order_call(o, budget, purpose(3, text, deadline)))
    assert relayed.status == "confirmed"
    [posted] = chain.provider.get_receipt(relayed.tx_hash).decode_logs(o["market"].RequestPosted)
    return posted.request_id, relayed


def test_a_passkey_resident_orders_a_service_in_one_relayed_call(ordering, chain):
    market, token, account = ordering["market"], ordering["token"], ordering["account"]
    deadline = chain.pending_timestamp + 10 * DAY
    relayed = relay(ordering, chain, token, order_call(ordering, BUDGET, purpose(3, "fix the kitchen tap", deadline)))

    assert relayed.status == "confirmed"
    receipt = chain.provider.get_receipt(relayed.tx_hash)
    assert receipt.sender == ordering["sender"] and receipt.gas_used == relayed.gas_used
    [posted] = receipt.decode_logs(market.RequestPosted)
    assert (posted.resident, posted.category, posted.description_hash, posted.budget, posted.deadline) == (
        account.address, 3, h("fix the kitchen tap"), BUDGET, deadline)
    r = market.request(posted.request_id)
    assert (r.resident, r.status, r.escrow) == (account.address, OPEN, BUDGET)
    assert token.balanceOf(account.address) == FUNDS - BUDGET and token.balanceOf(market.address) == BUDGET
    # One call, nothing left behind: no allowance, no ether in the account, the relayer paid.
    assert token.allowance(account.address, market.address) == 0
    assert chain.provider.get_balance(account.address) == 0
    print(f"\nrelayed passkey service order (transferAndCall, precompile): {relayed.gas_used:,} gas")


def test_the_resident_accepts_confirms_and_rates_through_the_relayer(ordering, chain, provider, points, committee):
    market, token, account = ordering["market"], ordering["token"], ordering["account"]
    market.set_fee(500, sender=committee)
    market.set_rating_points(10, sender=committee)
    rid, _ = order(ordering, chain)
    completion = market.request(rid).deadline
    market.make_offer(rid, PRICE, completion, sender=provider)
    relayed = relay(ordering, chain, market, market.accept_offer.encode_input(rid, provider.address, PRICE, completion))
    assert relayed.status == "confirmed" and market.request(rid).status == ACCEPTED
    assert token.balanceOf(account.address) == FUNDS - PRICE  # budget - price refunded to the account
    market.mark_done(rid, sender=provider)
    before = token.balanceOf(provider.address)
    assert relay(ordering, chain, market, market.confirm.encode_input(rid)).status == "confirmed"
    assert market.request(rid).status == CONFIRMED
    assert token.balanceOf(provider.address) == before + PRICE - PRICE * 500 // 10_000
    held = points.balanceOf(account.address)
    relayed = relay(ordering, chain, market, market.rate.encode_input(rid, 4))
    [rated] = chain.provider.get_receipt(relayed.tx_hash).decode_logs(market.ProviderRated)
    assert (rated.rater, rated.score, rated.points) == (account.address, 4, 10)
    assert points.balanceOf(account.address) == held + 10
    _refused(ordering, chain, market, market.rate.encode_input(rid, 5), 409, "would_revert", "services: already rated")


def test_the_resident_cancels_disputes_and_reclaims_through_the_relayer(ordering, chain, provider):
    market, token, account = ordering["market"], ordering["token"], ordering["account"]
    rid, _ = order(ordering, chain)
    assert relay(ordering, chain, market, market.cancel_request.encode_input(rid)).status == "confirmed"
    assert market.request(rid).status == CANCELLED and token.balanceOf(account.address) == FUNDS

    disputed, _ = order(ordering, chain, text="paint the door")
    late, _ = order(ordering, chain, text="walk the dog", days=2)
    for rid in (disputed, late):
        deadline = market.request(rid).deadline
        market.make_offer(rid, PRICE, deadline, sender=provider)
        relay(ordering, chain, market, market.accept_offer.encode_input(rid, provider.address, PRICE, deadline))
    relayed = relay(ordering, chain, market, market.dispute.encode_input(disputed, h("never came")))
    assert relayed.status == "confirmed" and market.request(disputed).status == DISPUTED
    chain.pending_timestamp = market.request(late).deadline + 1
    chain.mine()  # the simulation reads the latest block
    before = token.balanceOf(account.address)
    assert relay(ordering, chain, market, market.reclaim.encode_input(late)).status == "confirmed"
    assert market.request(late).status == RECLAIMED and token.balanceOf(account.address) == before + PRICE


def test_an_order_to_anyone_but_this_communitys_market_or_of_another_shape_is_refused(ordering, project, chain,
                                                                                       committee, deploy):
    market, token, account = ordering["market"], ordering["token"], ordering["account"]
    deadline = chain.pending_timestamp + 10 * DAY
    data = purpose(3, "x", deadline)
    # Another community's market (our token paid into it), and its own token ordering there.
    elsewhere = deploy(name="别的小区")
    other_fees = deploy_fees(project, chain, committee, elsewhere)
    other = deploy_services(project, chain, committee, elsewhere, other_fees["PropertyFees"])["ServiceMarket"]
    refusal = _refused(ordering, chain, token, token.transferAndCall.encode_input(other.address, BUDGET, data), 403,
                       "payee_not_allowed", "relayer: payment only to this community's fees or service market")
    assert market.address in refusal.message
    foreign = other_fees["SettlementToken"]
    _refused(ordering, chain, foreign, foreign.transferAndCall.encode_input(other.address, BUDGET, data), 403,
             "foreign_contract", "relayer: contract outside the community")
    # A budget of nothing, or above what the market escrows.
    for budget in (0, 2**80, 2**256 - 1):
        _refused(ordering, chain, token, order_call(ordering, budget, data), 403, "budget_out_of_range",
                 "relayer: order budget out of range")
    # Data that is not exactly (category, description, deadline): shorter, longer, trailing
    # bytes, a category that is no uint8.
    for wrong in (b"", data[:64], data + b"\0", data + b"\0" * 32,
                  encode(["uint256", "bytes32", "uint256"], [256, h("x"), deadline])):
        _refused(ordering, chain, token, order_call(ordering, BUDGET, wrong), 403, "order_not_allowed", SHAPE)
    # Trailing bytes after the call's own arguments.
    _refused(ordering, chain, token, order_call(ordering, BUDGET, data) + b"\0" * 32, 403, "payment_not_allowed",
             "relayer: payment is not (unit, months)")
    # An approval of the market (post_request's way), and post_request itself.
    _refused(ordering, chain, token, token.approve.encode_input(market.address, BUDGET), 403,
             "approval_not_allowed", "relayer: no token approvals")
    _refused(ordering, chain, market, market.post_request.encode_input(3, h("x"), BUDGET, deadline), 403,
             "call_not_allowed", NOT_ALLOWED)
    # In the policy's shape but refused by the market: the simulation's reason, nothing sent.
    _refused(ordering, chain, token, order_call(ordering, BUDGET, purpose(3, "x", chain.pending_timestamp - 1)), 409,
             "would_revert", "services: deadline out of range")
    assert market.request_count() == 0
    assert token.balanceOf(account.address) == FUNDS and token.allowance(account.address, market.address) == 0


def test_other_roles_acts_and_other_residents_requests_are_refused(ordering, chain, committee, registry, provider,
                                                                   owner_a, token):
    """A provider's acts (offer, withdraw, mark done) are a 403 even when the account
    holds the provider role, like the committee's and the assembly's and `release`; the
    resident's acts on owner_a's request are the contract's refusal."""
    market, account = ordering["market"], ordering["account"]
    registry.grantRole(role_id("provider"), account.address, sender=committee)
    token.mint(owner_a.address, FUNDS, sender=committee)
    token.approve(market.address, BUDGET, sender=owner_a)
    deadline = chain.pending_timestamp + 10 * DAY
    theirs = market.post_request(3, h("theirs"), BUDGET, deadline, sender=owner_a).decode_logs(
        market.RequestPosted)[0].request_id
    market.make_offer(theirs, PRICE, deadline, sender=provider)
    for data in (market.make_offer.encode_input(theirs, PRICE, deadline),
                 market.withdraw_offer.encode_input(theirs),
                 market.mark_done.encode_input(theirs),
                 market.release.encode_input(theirs),
                 market.resolve.encode_input(theirs, 0, h("decision")),
                 market.set_fee.encode_input(1_000),
                 market.set_rating_points.encode_input(10**6)):
        _refused(ordering, chain, market, data, 403, "call_not_allowed", NOT_ALLOWED)
    for data in (market.accept_offer.encode_input(theirs, provider.address, PRICE, deadline),
                 market.cancel_request.encode_input(theirs),
                 market.dispute.encode_input(theirs, h("mine now"))):
        _refused(ordering, chain, market, data, 409, "would_revert", "services: resident only")
    r = market.request(theirs)
    assert (r.resident, r.status, r.escrow) == (owner_a.address, OPEN, BUDGET)
    assert market.offer(theirs, account.address).completion_by == 0
