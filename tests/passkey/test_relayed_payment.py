# SPDX-License-Identifier: AGPL-3.0-only
"""A resident with only a passkey pays a month's fee through the relayer (issue 18): one
signed call, the settlement token's ERC-1363 `transferAndCall(PropertyFees, amount due,
(unit, months))`, so no allowance is ever written. The relayer's policy pays for that
call and for no other token call: an approval (to any spender, of any amount, exact or
larger), a permit, a transfer, a transferFrom, a payment to another contract or to
another community's PropertyFees, or of another amount than the one due is a 403 naming
its rule, and nothing is sent.

The relayer is the backend's own (backend/relayer/passkeys.py) on Ape's anvil; the
route's 403s are the same refusals (tests/e2e/test_passkey_fees.py posts some of them
to the live API)."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_account import Account

from backend.chain import demo_activity
from backend.chain.deploy_fees import deploy_fees
from backend.chain.relayer import BallotRelayer
from backend.indexer.rpc import RpcClient
from backend.relayer.passkeys import Assertion, PasskeyRefused, PasskeyRelayer
from tests.passkey.helpers import sign_call
from tests.utils.identity import commitment_for
from tests.utils.webauthn import Passkey

AREA = 9_870  # 98.70 m²
PAY = "transferAndCall(address,uint256,bytes)"


@pytest.fixture
def paying(project, chain, committee, manager, populated, registry, passkey_stack, passkey_factory, fees_stack):
    """A unit owned by a passkey account holding settlement tokens, billed for two months
    back; a relayer with a key of its own and gas money."""
    fees, token = fees_stack["PropertyFees"], fees_stack["SettlementToken"]
    key = Passkey(seed=0xFEE5)
    passkey_factory.create_account(*key.public_key, sender=committee)
    account = project.PasskeyAccount.at(passkey_factory.account_address(*key.public_key))
    registry.register_units([("5-1-101", AREA, account.address, commitment_for("passkey-payer"))], sender=committee)
    unit = registry.unit_count()
    demo_activity.start_billing(fees, token, committee, manager, [account.address])
    sender = Account.create()
    chain.set_balance(sender.address, 10**20)
    rpc = RpcClient(chain.provider.uri, timeout_s=10)
    relayer = PasskeyRelayer(BallotRelayer(rpc, sender.key.to_0x_hex(), receipt_timeout_s=60))
    contracts = {name: c.address for name, c in populated.contracts().items()}
    contracts.update({name: c.address for name, c in {**passkey_stack, **fees_stack}.items()})
    yield {"fees": fees, "token": token, "account": account, "key": key, "unit": unit, "relayer": relayer,
           "contracts": contracts, "sender": sender.address}
    rpc.close()


def payment(token, fees, unit, months, amount):
    return token.transferAndCall.encode_input(fees.address, amount, encode(["uint256", "uint256"], [unit, months]))


def relay(p, chain, target, data, value=0):
    account = p["account"]
    target, value, data, nonce, assertion = sign_call(account, p["key"], chain.chain_id, target, data=data, value=value)
    return p["relayer"].execute(p["contracts"], account.address, target, value, data, nonce, Assertion(*assertion))


def test_a_passkey_account_pays_a_month_in_one_relayed_call(paying, chain):
    fees, token, account, unit = paying["fees"], paying["token"], paying["account"], paying["unit"]
    months = fees.statement(unit).months_due
    assert months > 0
    total = fees.quote(unit, months)[4]
    balance = token.balanceOf(account.address)
    relayed = relay(paying, chain, token, payment(token, fees, unit, months, total))

    assert relayed.status == "confirmed"
    assert fees.statement(unit).months_due == 0
    assert token.balanceOf(account.address) == balance - total
    # One call, nothing left behind: no allowance, no ether in the account, the relayer paid.
    assert token.allowance(account.address, fees.address) == 0
    assert chain.provider.get_balance(account.address) == 0
    receipt = chain.provider.get_receipt(relayed.tx_hash)
    assert receipt.sender == paying["sender"] and receipt.gas_used == relayed.gas_used
    [paid] = receipt.decode_logs(fees.FeePaid)
    assert (paid.unit_id, paid.payer, paid.amount) == (unit, account.address, total)
    print(f"\nrelayed passkey fee payment (transferAndCall, precompile): {relayed.gas_used:,} gas")

    # The next month, prepaid: still the amount due now, and the account's own nonce.
    ahead = fees.quote(unit, 1)[4]
    assert relay(paying, chain, token, payment(token, fees, unit, 1, ahead)).status == "confirmed"
    assert account.next_nonce() == 2


def _refused(paying, chain, target, data, status, code, reason):
    before = chain.provider.get_nonce(paying["sender"])
    nonce = paying["account"].next_nonce()
    with pytest.raises(PasskeyRefused) as info:
        relay(paying, chain, target, data)
    refusal = info.value
    assert (refusal.status, refusal.code, refusal.reason) == (status, code, reason), refusal.message
    assert refusal.message
    # Nothing was sent: the relayer's nonce and the account's are where they were.
    assert chain.provider.get_nonce(paying["sender"]) == before
    assert paying["account"].next_nonce() == nonce
    return refusal


def test_token_approvals_and_transfers_are_refused(paying, chain, attacker):
    fees, token, account, unit = paying["fees"], paying["token"], paying["account"], paying["unit"]
    months = fees.statement(unit).months_due
    total = fees.quote(unit, months)[4]
    balance = token.balanceOf(account.address)
    approvals = [
        token.approve.encode_input(attacker.address, total),  # another spender
        token.approve.encode_input(fees.address, total),  # even this community's fees: a payment needs none
        token.approve.encode_input(fees.address, 2**256 - 1),  # a larger allowance
        token.permit.encode_input(account.address, attacker.address, total, 2**64, 27, b"\1" * 32, b"\2" * 32),
        token.approveAndCall.encode_input(fees.address, total, encode(["uint256", "uint256"], [unit, months])),
    ]
    for data in approvals:
        refusal = _refused(paying, chain, token, data, 403, "approval_not_allowed", "relayer: no token approvals")
        assert "approval" in refusal.message
    transfers = [
        token.transfer.encode_input(attacker.address, total),
        token.transferFrom.encode_input(account.address, attacker.address, total),
        token.transferFromAndCall.encode_input(account.address, fees.address, total,
                                               encode(["uint256", "uint256"], [unit, months])),
        token.mint.encode_input(account.address, total),
    ]
    for data in transfers:
        _refused(paying, chain, token, data, 403, "call_not_allowed", "relayer: token call not allowed")
    assert token.balanceOf(account.address) == balance
    assert token.allowance(account.address, attacker.address) == 0
    assert token.allowance(account.address, fees.address) == 0


def test_a_payment_to_anyone_but_this_communitys_fees_is_refused(paying, project, chain, committee, deploy,
                                                                 attacker):
    fees, token, unit = paying["fees"], paying["token"], paying["unit"]
    months = fees.statement(unit).months_due
    total = fees.quote(unit, months)[4]
    purpose = encode(["uint256", "uint256"], [unit, months])
    elsewhere = deploy(name="别的小区")
    other = deploy_fees(project, chain, committee, elsewhere)
    # Our token, paid into another community's PropertyFees (or to a wallet, or to another
    # of our own contracts that takes ERC-1363 payments): not a fee payment of this community.
    for payee in (other["PropertyFees"].address, attacker.address, paying["contracts"]["CommunityPoints"]):
        refusal = _refused(paying, chain, token, token.transferAndCall.encode_input(payee, total, purpose), 403,
                           "payee_not_allowed", "relayer: payment only to this community's fees or service market")
        assert fees.address in refusal.message
    # The other community's token, paying its fees: a contract outside this community.
    foreign = other["SettlementToken"]
    _refused(paying, chain, foreign, payment(foreign, other["PropertyFees"], unit, months, total), 403,
             "foreign_contract", "relayer: contract outside the community")
    # Another community's PropertyFees called directly.
    _refused(paying, chain, other["PropertyFees"], other["PropertyFees"].pay.encode_input(unit, months, total), 403,
             "foreign_contract", "relayer: contract outside the community")


def test_a_payment_of_another_amount_or_shape_is_refused(paying, chain):
    fees, token, unit = paying["fees"], paying["token"], paying["unit"]
    months = fees.statement(unit).months_due
    total = fees.quote(unit, months)[4]
    for amount in (total + 1, total * 10, total - 1, 0):
        refusal = _refused(paying, chain, token, payment(token, fees, unit, months, amount), 403, "amount_not_due",
                           "relayer: amount is not the amount due")
        assert str(total) in refusal.message
    shape = "relayer: payment is not (unit, months)"
    # A purpose that is not (unit, months), and trailing bytes after the arguments.
    wrong = token.transferAndCall.encode_input(fees.address, total, encode(["uint256"] * 3, [unit, months, 1]))
    _refused(paying, chain, token, wrong, 403, "payment_not_allowed", shape)
    _refused(paying, chain, token, payment(token, fees, unit, months, total) + b"\0" * 32, 403,
             "payment_not_allowed", shape)
    # The two-argument overload (no purpose) and PropertyFees.pay (it needs an allowance).
    _refused(paying, chain, token, token.transferAndCall.encode_input(fees.address, total), 403,
             "call_not_allowed", "relayer: token call not allowed")
    _refused(paying, chain, fees, fees.pay.encode_input(unit, months, total), 403, "call_not_allowed",
             "relayer: call not allowed")
    # Past the prepayment limit: the contract's own reason, before anything is sent.
    _refused(paying, chain, token, payment(token, fees, unit, months + 60, total), 409, "would_revert",
             "fees: over the prepayment limit")
    assert fees.statement(unit).months_due == months


# ---------------------------------------------------------------- on-time points, claimed by passkey

CLAIM_RULE = "relayer: points only of the account's own payments"


def _paid_on_time(paying, chain) -> int:
    """The passkey account clears its unit and prepays a month (through the relay): the
    months that were not overdue earned points, now the account's to claim."""
    fees, token, unit = paying["fees"], paying["token"], paying["unit"]
    months = fees.statement(unit).months_due + 1
    assert relay(paying, chain, token, payment(token, fees, unit, months, fees.quote(unit, months)[4])).status \
        == "confirmed"
    earned = fees.claimable_points(unit)
    assert earned > 0 and fees.points_payer(unit) == paying["account"].address
    return earned


def test_a_passkey_account_claims_its_own_on_time_points(paying, chain, points):
    fees, account, unit = paying["fees"], paying["account"], paying["unit"]
    earned = _paid_on_time(paying, chain)
    before = points.balanceOf(account.address)
    relayed = relay(paying, chain, fees, fees.claim_points.encode_input([unit]))

    assert relayed.status == "confirmed"
    assert points.balanceOf(account.address) == before + earned
    assert fees.claimable_points(unit) == 0
    receipt = chain.provider.get_receipt(relayed.tx_hash)
    assert receipt.sender == paying["sender"]
    [claimed] = receipt.decode_logs(fees.PointsClaimed)
    assert (claimed.unit_id, claimed.claimant, claimed.amount) == (unit, account.address, earned)
    assert chain.provider.get_balance(account.address) == 0
    print(f"\nrelayed passkey points claim (claim_points, one unit, precompile): {relayed.gas_used:,} gas")
    # Claimed already: the contract's reason, before anything is sent.
    _refused(paying, chain, fees, fees.claim_points.encode_input([unit]), 409, "would_revert",
             "fees: no points to claim")


def test_a_claim_of_anyone_elses_points_is_refused(paying, chain, points, owner_b, committee):
    """Units another wallet paid (their points are its own), a unit nobody paid, and a list
    mixing the account's unit with another's: 403 naming the rule, nothing sent."""
    fees, token, unit = paying["fees"], paying["token"], paying["unit"]
    _paid_on_time(paying, chain)
    token.mint(owner_b.address, 5_000_00, sender=committee)
    token.approve(fees.address, 2**256 - 1, sender=owner_b)
    theirs = 3  # owner_b's unit
    fees.pay(theirs, fees.statement(theirs).months_due + 1, 2**255, sender=owner_b)
    owed = fees.claimable_points(theirs)
    assert owed > 0
    for units in ([theirs], [unit, theirs], [theirs, unit], [5]):  # 5: the developer's, never paid
        refusal = _refused(paying, chain, fees, fees.claim_points.encode_input(units), 403, "claim_not_allowed",
                           CLAIM_RULE)
        assert paying["account"].address in refusal.message
    assert fees.claimable_points(theirs) == owed and fees.points_payer(theirs) == owner_b.address


def test_a_claim_of_another_shape_or_another_call_is_refused(paying, project, chain, committee, deploy, points):
    """The claim's siblings: a list that is empty, too long or not canonical; another
    function of PropertyFees; the points contract itself; another community's PropertyFees."""
    fees, account, unit = paying["fees"], paying["account"], paying["unit"]
    _paid_on_time(paying, chain)
    shape = "relayer: claim is not a list of units"
    for data in (fees.claim_points.encode_input([]), fees.claim_points.encode_input([unit] * 33),
                 fees.claim_points.encode_input([unit]) + b"\0" * 32):
        _refused(paying, chain, fees, data, 403, "claim_not_allowed", shape)
    not_allowed = "relayer: call not allowed"
    for data in (fees.pay.encode_input(unit, 1, 10**9), fees.set_points_rate.encode_input(10**6),
                 fees.record_payment.encode_input(unit, fees.statement(unit).first_unpaid_month, 1, 10**6, 1, b"\1" * 32),
                 fees.answer_dispute.encode_input(b"\1" * 32, True, b"\2" * 32)):
        _refused(paying, chain, fees, data, 403, "call_not_allowed", not_allowed)
    _refused(paying, chain, points, points.mint.encode_input(account.address, 100, 1), 403, "call_not_allowed",
             not_allowed)
    # The points contract's transfer is relayed only to a registered merchant: the committee is none.
    assert not points.is_merchant(committee.address)
    _refused(paying, chain, points, points.transfer.encode_input(committee.address, 1), 403, "not_a_merchant",
             "relayer: points only to this community's merchants")
    other = deploy_fees(project, chain, committee, deploy(name="别的小区"))["PropertyFees"]
    _refused(paying, chain, other, other.claim_points.encode_input([unit]), 403, "foreign_contract",
             "relayer: contract outside the community")
    assert fees.claimable_points(unit) > 0


# ---------------------------------------------------------------- an owner's own acts on PropertyFees

NOT_ALLOWED = "relayer: call not allowed"


def _record(fees, cashier, unit, reference):
    quote = fees.quote(unit, 1)
    fees.record_payment(unit, quote[0], 1, quote[4], 1, reference, sender=cashier)


def test_a_passkey_owner_rates_the_service_and_disputes_a_cashiers_record(paying, project, chain, accounts,
                                                                           committee, owner_b, registry):
    """The two acts of an owner on PropertyFees the relayer pays for: the monthly rating
    (once per owner identity) and the dispute of a cashier's record of the owner's own
    unit. Their siblings: a second rating, a rating by an account that owns nothing, a
    dispute of another owner's record, and the role-only functions next to them."""
    from backend.chain.deployment import role_id

    fees, account, unit = paying["fees"], paying["account"], paying["unit"]
    month = fees.current_month() - 1
    relayed = relay(paying, chain, fees, fees.rate_service.encode_input(month, 2))
    assert relayed.status == "confirmed"
    [rated] = chain.provider.get_receipt(relayed.tx_hash).decode_logs(fees.ServiceRated)
    assert (rated.period, rated.rater, rated.score) == (month, account.address, 2)
    assert fees.has_rated(month, rated.identity)
    print(f"\nrelayed passkey rate_service (precompile): {relayed.gas_used:,} gas")
    _refused(paying, chain, fees, fees.rate_service.encode_input(month, 5), 409, "would_revert", "fees: already rated")

    # An account that owns no unit: the contract's own rule, nothing sent.
    stranger = Passkey(seed=0x5EED)
    factory = project.PasskeyAccountFactory.at(paying["contracts"]["PasskeyAccountFactory"])
    factory.create_account(*stranger.public_key, sender=committee)
    other = {**paying, "account": project.PasskeyAccount.at(factory.account_address(*stranger.public_key)),
             "key": stranger}
    _refused(other, chain, fees, fees.rate_service.encode_input(month, 1), 409, "would_revert", "fees: owners only")

    # A cashier records a month of the account's unit and one of owner_b's.
    cashier = accounts.generate_test_account()
    committee.transfer(cashier, 10**19)
    registry.grantRole(role_id("cashier"), cashier, sender=committee)
    theirs = next(u for u in range(1, registry.unit_count() + 1) if registry.unit_owner(u) == owner_b.address)
    _record(fees, cashier, unit, b"\x11" * 32)
    _record(fees, cashier, theirs, b"\x22" * 32)
    # Another owner's record: the contract refuses the account, before anything is sent.
    _refused(paying, chain, fees, fees.dispute_record.encode_input(b"\x22" * 32, b"\x33" * 32), 409, "would_revert",
             "fees: not the unit's owner")
    relayed = relay(paying, chain, fees, fees.dispute_record.encode_input(b"\x11" * 32, b"\x44" * 32))
    assert relayed.status == "confirmed"
    [disputed] = chain.provider.get_receipt(relayed.tx_hash).decode_logs(fees.RecordDisputed)
    assert (disputed.reference, disputed.unit_id, disputed.owner) == (b"\x11" * 32, unit, account.address)
    print(f"relayed passkey dispute_record (precompile): {relayed.gas_used:,} gas")
    _refused(paying, chain, fees, fees.dispute_record.encode_input(b"\x11" * 32, b"\x44" * 32), 409, "would_revert",
             "fees: already disputed")

    # The role-only functions beside them: the policy's 403 even when the account holds the role.
    registry.grantRole(role_id("cashier"), account.address, sender=committee)
    quote = fees.quote(unit, 1)
    for data in (fees.record_payment.encode_input(unit, quote[0], 1, quote[4], 1, b"\x55" * 32),
                 fees.record_payments.encode_input([(unit, quote[0], 1, quote[4], 1, b"\x55" * 32)]),
                 fees.answer_dispute.encode_input(b"\x11" * 32, False, b"\x66" * 32),
                 fees.set_points_rate.encode_input(1)):
        _refused(paying, chain, fees, data, 403, "call_not_allowed", NOT_ALLOWED)
    assert fees.statement(unit).first_unpaid_month == quote[0]
