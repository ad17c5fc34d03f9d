"""The passkey relayer: creates residents' passkey accounts and submits the calls their
passkeys signed (`PasskeyAccount.execute`), paying the gas with the relayer's key.

The relayer pays for what it sends, so it sends only what its policy allows:

- the account is one of the factory's proxies (its code is exactly the EIP-1167 proxy to
  the community's PasskeyAccount implementation): nothing else can spend its gas;
- the inner call goes to one of this community's own contracts, to a function on the
  allow-list below, and moves no ether;
- one call moves tokens: a fee payment, the settlement token's ERC-1363
  `transferAndCall(PropertyFees, amount, abi.encode(unit, months))` with the payee this
  community's PropertyFees and the amount exactly `PropertyFees.quote(unit, months)`'s
  total, so one signed call pays and no allowance is ever written. No other token call
  (approve, permit, transfer, transferFrom, approveAndCall, …) is relayed: an attacker
  who controls an account cannot make the relayer pay for moving its tokens anywhere
  else or leaving an allowance behind;
- the same token call orders a service: `transferAndCall(ServiceMarket, budget,
  abi.encode(category, description_hash, deadline))` to this community's ServiceMarket,
  the data exactly those 96 bytes (a category below 256) and the budget more than zero and
  at most the market's 2**80 - 1. The market posts the request for the wallet the money
  came from, the account, with post_request's checks (a member, a deadline in range),
  which the simulation runs; the escrow is the account's own request's, which only it can
  cancel, accept, confirm, dispute or reclaim;
- one call mints points: claiming on-time points, `PropertyFees.claim_points(units)` of this
  community's PropertyFees. The contract mints to the caller what the units' payments
  earned, and only a unit's latest payer may claim ("fees: not the unit's payer"), so a
  relayed claim can only give the signing account its own points; the relayer checks it
  too (every unit's points are the account's), so a claim for anyone else's payments is a
  403 naming the rule before any simulation;
- one call moves points: paying a merchant, `CommunityPoints.transfer(merchant, amount)`
  of this community's CommunityPoints, canonically encoded, of more than zero points, to
  an account the points contract itself says is a registered merchant (`is_merchant`,
  read by the relayer before anything is sent) and not the signing account. The points
  moved are the signer's own (the contract debits msg.sender, the account), and only
  towards a merchant of this community: the contract would let anyone send points to
  anyone once the assembly turns free transfer on, but the relayer pays only for a
  purchase, never for resident-to-resident transfers, a merchant's refund, an allowance
  (approve, permit) or a transferFrom. Every other points call is a 403 naming the rule;
  what the relayer spends on the allowed ones is bounded like every relayed call's, by
  the per-account limit and the daily budget;
- the whole `execute` is simulated (`eth_call`) first: a call that would revert (a
  replayed or forged assertion, a ballot already cast) is refused with the contract's
  namespaced reason and nothing is sent;
- the gas is the node's estimate (the snekmate fallback verifier needs ~650k, the
  precompile ~100k), with the ballot relayer's headroom;
- a limit per account, counted only for calls that passed the simulation, so nobody can
  use up a resident's allowance with forged or replayed assertions.

Sending shares the ballot relayer's key and nonce lock (backend/chain/relayer.py).
Refusals raise `PasskeyRefused` with a stable code the page translates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from backend.chain.relayer import BallotRefused, BallotRelayer, RelayerUnavailable, _revert_reason
from backend.indexer.rpc import RpcError, RpcUnavailable
from backend.relayer.budget import Spending

# EIP-1167 runtime code around the implementation's address (Vyper's create_minimal_proxy_to).
PROXY_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
PROXY_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")

ASSERTION_TYPE = "(bytes,bytes,uint256,uint256,uint256,uint256,uint256,uint256)"
EXECUTE = f"execute(address,uint256,bytes,uint256,{ASSERTION_TYPE})"

# What a passkey account may have relayed, by the community contract it calls. Each entry
# is a resident's own act that the contract checks itself, for msg.sender only (who may
# vote, who was invited, who is a member, who attended, whose unit, whose identity, whose
# data, whether a place is left), so a relayed call can only act for the signing account.
# Nothing that needs a role (hiding a work, approving or cancelling an activity, checking
# others in, answering a suggestion or a dispute, recording a cash payment, counting paper
# ballots, a provider's offer or its work marked done), moves tokens or points (a
# merchant's points refund) or runs others' calls (queueing or
# executing a proposal) is on the list: the relayer does not pay for it even when the
# account holds the role — that stays a wallet's act, and the pages say so to a passkey
# resident. Four exceptions have checks of their own: a fee payment and a service order in
# the settlement token (`PasskeyRelayer._check_payment`: one call, one payee of this
# community, the exact amount due or a budget in range), the claim of the account's own
# on-time points (`PasskeyRelayer._check_claim`) and a points payment to a registered
# merchant (`PasskeyRelayer._check_points_payment`).
ALLOWED_CALLS: dict[str, tuple[str, ...]] = {
    # A vote for the caller's own identity; co-signing an owners' motion (owners at its
    # snapshot, once per identity: "assembly: already co-signed"); naming or withdrawing
    # the caller's own delegate; a delegate's votes for the owners who delegated to it
    # ("assembly: not the owner's delegate", at most MAX_DELEGATED per call).
    "OwnersAssembly": ("castVote(uint256,uint8)", "cosign(uint256)", "set_delegate(address,uint256)",
                       "revoke_delegation(uint256)", "castVoteAsDelegate(uint256,address[],uint8)"),
    # Accepting an owner's invitation; the identity's own wallet objecting, once, to a
    # pending recovery of it ("registry: only the identity's wallet").
    "HouseholdRegistry": ("accept_residence(uint256,bytes32)", "object_recovery(uint256,bytes32)"),
    # A like by a member household, once per work, never its own ("culture: members only",
    # "culture: cannot like own household's work"). Registering a work: only a member may
    # ("culture: members only"), and the token is minted to the caller, i.e. the signing
    # account (which accepts it: PasskeyAccount.onERC721Received), never to anyone else.
    # Hiding, exhibitions and the reward settings are the committee's: not here.
    "CultureWorks": ("like(uint256)", "mint_work(string,uint8,bytes32,string)",
                     "mint_work_cid(string,uint8,bytes32,bytes)"),
    # A check-in by the organiser's signed code: anyone may send it, the code is the proof.
    # Feedback only by an attendee, once, after the end ("activities: did not attend").
    "CommunityActivities": ("sign_up(uint256)", "cancel_sign_up(uint256)",
                            "check_in_with_code(uint256,address,uint256,bytes)",
                            "leave_feedback(uint256,uint8,bytes32)"),
    "SuggestionBox": ("submit(uint8,bytes32)",),
    # Only the unit's owner disputes a cashier's record of the unit, once, within the
    # period ("fees: not the unit's owner"); one rating of a closed month per owner
    # identity ("fees: owners only", "fees: already rated"). The claim: `_check_claim`.
    "PropertyFees": ("dispute_record(bytes32,bytes32)", "rate_service(uint256,uint256)"),
    # The resident's own consent: msg.sender grants access to its own data, to a holder of
    # a service role ("consent: residents only", "consent: grantee holds no service role"),
    # or revokes its own grant ("consent: nothing to revoke").
    "DataConsent": ("grant(address,bytes32,uint256,bytes32)", "revoke(address,bytes32)"),
    # An owner's objection to a preliminary result, once per identity, in its period
    # ("ballots: owners only", "ballots: already objected"). Counting paper ballots is
    # the tellers'; publishing a result (anyone's, once) stays a wallet's act.
    "PaperBallots": ("object_result(uint256,bytes32)",),
    # The resident's own request (posted by a relayed order, see `_check_order`), each
    # refused to anyone but the request's resident ("services: resident only"):
    # accepting an offer on it (the refund of budget - price goes to the caller), cancelling
    # it while open (the budget back to the caller), confirming the work (the escrow to
    # the provider it chose), disputing it, reclaiming the escrow after a missed deadline
    # (to the caller), and rating its provider once (rating points minted to the caller,
    # once per household and provider a month). Not a provider's acts (make_offer,
    # withdraw_offer, mark_done), not `release` (anyone's, after the delay), not the
    # committee's `resolve` nor the assembly's settings.
    "ServiceMarket": ("accept_offer(uint256,address,uint256,uint256)", "cancel_request(uint256)",
                      "confirm(uint256)", "dispute(uint256,bytes32)", "rate(uint256,uint256)",
                      "reclaim(uint256)"),
}
# The passkey contracts are the chain's, not a community's business: never a relayed target.
NOT_TARGETS = {"PasskeyAccount", "PasskeyAccountFactory"}
# What an account may have relayed to itself: a new phone's passkey added by one it has,
# a lost phone's removed (the account checks msg.sender == self; the passkey signed it).
# Only ever to the signing account itself: another account is not a target.
SELF_CALLS = ("add_passkey(uint256,uint256)", "remove_passkey(uint256,uint256)")


def selector(signature: str) -> bytes:
    return function_signature_to_4byte_selector(signature)


ALLOWED_SELECTORS = {name: {selector(sig): sig for sig in sigs} for name, sigs in ALLOWED_CALLS.items()}
SELF_SELECTORS = {selector(sig): sig for sig in SELF_CALLS}


# The one token call relayed: a fee payment or a service order (see `_check_payment`).
TOKEN_PAYMENT = "transferAndCall(address,uint256,bytes)"
PAYMENT_SELECTOR = selector(TOKEN_PAYMENT)
# Token calls that write an allowance: refused with a reason of their own (a fee payment
# needs none), so a page or an operator sees why.
APPROVALS = {selector(sig): sig for sig in (
    "approve(address,uint256)", "increaseAllowance(address,uint256)", "decreaseAllowance(address,uint256)",
    "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", "approveAndCall(address,uint256,bytes)",
    "approveAndCall(address,uint256)")}
QUOTE = selector("quote(uint256,uint256)")
MAX_BUDGET = 2**80 - 1  # ServiceMarket: "services: budget out of range" above it

# The one call that mints: the account's own on-time points (see `_check_claim`).
POINTS_CLAIM = "claim_points(uint256[])"
CLAIM_SELECTOR = selector(POINTS_CLAIM)
POINTS_PAYER = selector("points_payer(uint256)")
MAX_CLAIM_UNITS = 32  # PropertyFees.MAX_CLAIM_UNITS

# The one points call relayed: a payment to a registered merchant (see `_check_points_payment`).
POINTS_PAYMENT = "transfer(address,uint256)"
POINTS_PAYMENT_SELECTOR = selector(POINTS_PAYMENT)
IS_MERCHANT = selector("is_merchant(address)")


def _arguments(types: list[str], data: bytes) -> tuple | None:
    """A call's arguments when the bytes after its selector are exactly their canonical ABI
    encoding (no trailing bytes, no offset pointing elsewhere), else None."""
    body = bytes(data[4:])
    try:
        args = decode(types, body)
    except Exception:  # eth_abi's decoding errors: not these arguments
        return None
    return args if encode(types, list(args)) == body else None


class PasskeyRefused(Exception):
    """The call is not relayed; `code` is stable, `status` the HTTP status, `reason` the
    namespaced rule ("relayer: …" for the policy, the contract's own for a revert)."""

    def __init__(self, code: str, status: int, message: str, reason: str | None = None,
                 retry_after: str | None = None):
        super().__init__(message)
        self.code, self.status, self.message, self.reason = code, status, message, reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Assertion:
    """A WebAuthn assertion as `navigator.credentials.get` returned it, taken apart."""

    authenticator_data: bytes
    client_data_json: bytes
    challenge_index: int
    type_index: int
    r: int
    s: int
    x: int
    y: int

    def as_tuple(self) -> tuple:
        return (self.authenticator_data, self.client_data_json, self.challenge_index, self.type_index,
                self.r, self.s, self.x, self.y)


@dataclass
class Relayed:
    tx_hash: str
    status: str  # "confirmed" or "pending" (no receipt within the timeout)
    block_number: int | None
    gas_used: int | None


def proxy_code(implementation: str) -> bytes:
    """The runtime code of every proxy the factory creates for `implementation`."""
    return PROXY_PREFIX + bytes.fromhex(implementation[2:]) + PROXY_SUFFIX


class PasskeyRelayer:
    """Creates passkey accounts and relays their signed calls with `sender`'s key."""

    def __init__(self, sender: BallotRelayer):
        self.sender = sender
        self.rpc = sender.rpc
        # Accounts with a call being relayed now: one at a time per account, so the same
        # signed call posted twice at once is sent once (the second would revert on chain
        # at the relayer's expense: both pass the simulation before either is mined).
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()

    @property
    def address(self) -> str:
        return self.sender.address

    # ------------------------------------------------------------------ reads

    def _call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        try:
            answer = self.rpc.call("eth_call", [{"from": sender or self.address, "to": to, "data": "0x" + data.hex()},
                                                "latest"])
        except RpcUnavailable as exc:
            raise RelayerUnavailable(f"the chain's node does not answer: {exc}") from exc
        return bytes.fromhex(answer[2:])

    def account_address(self, factory: str, x: int, y: int) -> str:
        raw = self._call(factory, selector("account_address(uint256,uint256)") + encode(["uint256", "uint256"], [x, y]))
        return to_checksum_address(decode(["address"], raw)[0])

    def code(self, address: str) -> bytes:
        try:
            return bytes.fromhex(self.rpc.call("eth_getCode", [address, "latest"])[2:])
        except RpcUnavailable as exc:
            raise RelayerUnavailable(f"the chain's node does not answer: {exc}") from exc

    def is_account(self, address: str, implementation: str) -> bool:
        return self.code(address) == proxy_code(implementation.lower())

    def next_nonce(self, account: str) -> int:
        return decode(["uint256"], self._call(account, selector("next_nonce()")))[0]

    def is_passkey(self, account: str, x: int, y: int) -> bool:
        """Whether the key (x, y) signs for the account (a new phone waiting to be added)."""
        raw = self._call(account, selector("is_passkey(uint256,uint256)") + encode(["uint256", "uint256"], [x, y]))
        return decode(["bool"], raw)[0]

    # ------------------------------------------------------------------ account creation

    def create(self, factory: str, x: int, y: int, admit: Callable[[], None] | None = None,
               spending: Spending | None = None) -> tuple[str, Relayed | None]:
        """The account of key (x, y), created by the factory if it has no code yet."""
        data = selector("create_account(uint256,uint256)") + encode(["uint256", "uint256"], [x, y])
        try:
            account = to_checksum_address(decode(["address"], self._call(factory, data))[0])
        except RpcError as exc:
            reason = _revert_reason(exc)
            raise PasskeyRefused("bad_key", 400, f"the factory refuses this key: {reason or exc}", reason) from exc
        if self.code(account):
            return account, None
        if admit is not None:
            admit()
        return account, self._send(factory, data, spending)

    # ------------------------------------------------------------------ signed calls

    def check_policy(self, contracts: dict[str, str], account: str, target: str, value: int, data: bytes) -> str:
        """Refuse what the relayer does not pay for; returns the inner call's signature."""
        implementation = contracts.get("PasskeyAccount")
        if implementation is None:
            raise PasskeyRefused("no_passkeys", 404, "this community's deployment names no passkey accounts")
        if not self.is_account(account, implementation):
            raise PasskeyRefused("not_a_passkey_account", 403,
                                 f"{account} is not a passkey account of this community's factory",
                                 "relayer: not a passkey account")
        if value != 0:
            raise PasskeyRefused("value_not_allowed", 403, "the relayer sends calls that move no ether",
                                 "relayer: value not allowed")
        if target.lower() == account.lower():
            signature = SELF_SELECTORS.get(bytes(data[:4]))
            if signature is None:
                raise PasskeyRefused("call_not_allowed", 403,
                                     f"the relayer pays for no call of an account to itself but {', '.join(SELF_CALLS)}",
                                     "relayer: call not allowed")
            return signature
        names = {address.lower(): name for name, address in contracts.items() if name not in NOT_TARGETS}
        name = names.get(target.lower())
        if name is None:
            raise PasskeyRefused("foreign_contract", 403,
                                 f"{target} is not one of this community's contracts: the relayer does not call it",
                                 "relayer: contract outside the community")
        if name == "SettlementToken":
            return self._check_payment(contracts, account, data)
        if name == "PropertyFees" and bytes(data[:4]) == CLAIM_SELECTOR:
            return self._check_claim(contracts["PropertyFees"], account, data)
        if name == "CommunityPoints":
            head = bytes(data[:4])
            if head == POINTS_PAYMENT_SELECTOR:
                return self._check_points_payment(contracts["CommunityPoints"], account, data)
            # transferFrom, an approval or a permit, a merchant's redemption, a mint: none.
            raise PasskeyRefused("call_not_allowed", 403,
                                 f"the only points call the relayer pays for is a payment to a registered merchant, "
                                 f"{POINTS_PAYMENT} of the account's own points, which needs no allowance",
                                 "relayer: no token approvals" if head in APPROVALS else "relayer: call not allowed")
        signature = ALLOWED_SELECTORS.get(name, {}).get(bytes(data[:4]))
        if signature is None:
            allowed = ", ".join(ALLOWED_CALLS.get(name, ())) or "nothing"
            raise PasskeyRefused("call_not_allowed", 403,
                                 f"the relayer does not pay for this call to {name} (allowed: {allowed})",
                                 "relayer: call not allowed")
        return signature

    def _check_payment(self, contracts: dict[str, str], account: str, data: bytes) -> str:
        """The one token call the relayer pays for: `transferAndCall(fees, amount, (unit,
        months))` to this community's PropertyFees of exactly the amount due, or
        `transferAndCall(market, budget, (category, description, deadline))` to its
        ServiceMarket (`_check_order`)."""
        head = bytes(data[:4])
        if head != PAYMENT_SELECTOR:
            if head in APPROVALS:
                raise PasskeyRefused("approval_not_allowed", 403,
                                     f"the relayer sends no token approval ({APPROVALS[head]}): a fee is paid with "
                                     f"{TOKEN_PAYMENT}, which needs none", "relayer: no token approvals")
            raise PasskeyRefused("call_not_allowed", 403,
                                 f"the only token call the relayer pays for is {TOKEN_PAYMENT}: a fee payment to "
                                 "this community's PropertyFees of the amount due, or a service order to its "
                                 "ServiceMarket", "relayer: token call not allowed")
        args = _arguments(["address", "uint256", "bytes"], data)
        if args is None:
            raise PasskeyRefused("payment_not_allowed", 403, f"the call's arguments are not {TOKEN_PAYMENT}'s",
                                 "relayer: payment is not (unit, months)")
        payee, amount, purpose = args
        fees, market = contracts.get("PropertyFees"), contracts.get("ServiceMarket")
        if market is not None and payee.lower() == market.lower():
            return self._check_order(amount, purpose)
        if fees is None or payee.lower() != fees.lower():
            raise PasskeyRefused("payee_not_allowed", 403,
                                 f"the relayer pays only fee payments to this community's PropertyFees "
                                 f"({fees or 'none'}) and service orders to its ServiceMarket ({market or 'none'}), "
                                 f"not to {to_checksum_address(payee)}",
                                 "relayer: payment only to this community's fees or service market")
        if len(purpose) != 64:
            raise PasskeyRefused("payment_not_allowed", 403,
                                 "a fee payment's data is abi.encode(unit, months), 64 bytes",
                                 "relayer: payment is not (unit, months)")
        unit, months = decode(["uint256", "uint256"], purpose)
        try:
            raw = self._call(fees, QUOTE + encode(["uint256", "uint256"], [unit, months]), sender=account)
        except RpcError as exc:
            reason = _revert_reason(exc)
            raise PasskeyRefused("would_revert", 409, f"the payment would fail: {reason or exc}", reason) from exc
        due = decode(["uint256"] * 5, raw)[4]
        if amount != due:
            raise PasskeyRefused("amount_not_due", 403,
                                 f"unit {unit} owes {due} fen for {months} month(s) now; the call pays {amount}",
                                 "relayer: amount is not the amount due")
        return TOKEN_PAYMENT

    @staticmethod
    def _check_order(amount: int, purpose: bytes) -> str:
        """A service order: the data exactly abi.encode(category < 256, description hash,
        deadline), the budget 0 < amount <= 2**80 - 1. The market checks the rest (the
        account a member, the description not empty, the deadline in range) in the
        simulation."""
        shape = ("order_not_allowed", 403,
                 "a service order's data is abi.encode(uint256 category below 256, bytes32 description hash, "
                 "uint256 deadline), 96 bytes, nothing more", "relayer: order is not (category, description, deadline)")
        if len(purpose) != 96:
            raise PasskeyRefused(*shape)
        category, _description, _deadline = decode(["uint256", "bytes32", "uint256"], purpose)
        if category > 255:
            raise PasskeyRefused(*shape)
        if not 0 < amount <= MAX_BUDGET:
            raise PasskeyRefused("budget_out_of_range", 403,
                                 f"a service order escrows a budget of 1 to {MAX_BUDGET} fen, not {amount}",
                                 "relayer: order budget out of range")
        return TOKEN_PAYMENT

    def _check_claim(self, fees: str, account: str, data: bytes) -> str:
        """`claim_points(units)` only of units whose unclaimed points are the account's (it
        paid them last): the contract would refuse the others too, the relayer says so first."""
        args = _arguments(["uint256[]"], data)
        if args is None or not 0 < len(args[0]) <= MAX_CLAIM_UNITS:
            raise PasskeyRefused("claim_not_allowed", 403,
                                 f"a points claim is {POINTS_CLAIM} of 1 to {MAX_CLAIM_UNITS} units",
                                 "relayer: claim is not a list of units")
        unique = list(dict.fromkeys(args[0]))
        request = [("eth_call", [{"from": account, "to": fees,
                                  "data": "0x" + (POINTS_PAYER + encode(["uint256"], [unit])).hex()}, "latest"])
                   for unit in unique]
        try:
            payers = [to_checksum_address(decode(["address"], bytes.fromhex(raw[2:]))[0])
                      for raw in self.rpc.batch(request)]
        except RpcUnavailable as exc:
            raise RelayerUnavailable(f"the chain's node does not answer: {exc}") from exc
        others = [unit for unit, payer in zip(unique, payers) if payer != account]
        if others:
            raise PasskeyRefused("claim_not_allowed", 403,
                                 f"the points of unit(s) {', '.join(map(str, others))} are not {account}'s: "
                                 "the relayer pays only for claiming the points the account's own payments earned",
                                 "relayer: points only of the account's own payments")
        return POINTS_CLAIM

    def _check_points_payment(self, points: str, account: str, data: bytes) -> str:
        """`transfer(merchant, amount)` of the account's own points, more than zero, to a
        registered merchant of this community's CommunityPoints that is not the account."""
        args = _arguments(["address", "uint256"], data)
        if args is None:
            raise PasskeyRefused("points_payment_not_allowed", 403,
                                 f"a points payment is {POINTS_PAYMENT} of (merchant, amount), nothing more",
                                 "relayer: points payment is not (merchant, amount)")
        to, amount = args
        to = to_checksum_address(to)
        if amount == 0:
            raise PasskeyRefused("points_payment_not_allowed", 403, "a points payment moves more than zero points",
                                 "relayer: points payment of zero")
        if to == account:
            raise PasskeyRefused("points_payment_not_allowed", 403, "an account does not pay points to itself",
                                 "relayer: points payment to the account itself")
        if not decode(["bool"], self._call(points, IS_MERCHANT + encode(["address"], [to])))[0]:
            raise PasskeyRefused("not_a_merchant", 403,
                                 f"{to} is not a registered merchant of this community: the relayer pays only for "
                                 "points paid to one, never for a transfer between residents",
                                 "relayer: points only to this community's merchants")
        return POINTS_PAYMENT

    def execute(self, contracts: dict[str, str], account: str, target: str, value: int, data: bytes, nonce: int,
                assertion: Assertion, admit: Callable[[str], None] | None = None,
                spending: Spending | None = None) -> Relayed:
        """Policy, simulation, the per-account `admit(account)`, then send and wait."""
        account, target = to_checksum_address(account), to_checksum_address(target)
        self.check_policy(contracts, account, target, value, data)
        with self._in_flight_lock:
            if account in self._in_flight:
                raise PasskeyRefused("in_flight", 409, f"a call of {account} is being relayed now; wait for it",
                                     "relayer: call in flight")
            self._in_flight.add(account)
        try:
            return self._simulate_and_send(account, target, value, data, nonce, assertion, admit, spending)
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(account)

    def _simulate_and_send(self, account: str, target: str, value: int, data: bytes, nonce: int,
                           assertion: Assertion, admit: Callable[[str], None] | None,
                           spending: Spending | None = None) -> Relayed:
        call = selector(EXECUTE) + encode(["address", "uint256", "bytes", "uint256", ASSERTION_TYPE],
                                          [target, value, data, nonce, assertion.as_tuple()])
        try:
            self._call(account, call)
        except RpcError as exc:
            reason = _revert_reason(exc)
            if reason == "passkey: wrong nonce":
                raise PasskeyRefused("replayed", 409,
                                     f"nonce {nonce} is not the account's next one: this signature was used already "
                                     "or belongs to another call", reason) from exc
            if reason and reason.startswith("passkey: "):
                raise PasskeyRefused("bad_assertion", 400, f"the account refuses the passkey's signature: {reason}",
                                     reason) from exc
            raise PasskeyRefused("would_revert", 409, f"the call would fail: {reason or exc}", reason) from exc
        if admit is not None:
            admit(account)
        return self._send(account, call, spending)

    # ------------------------------------------------------------------ sending

    def _send(self, to: str, data: bytes, spending: Spending | None = None) -> Relayed:
        try:
            tx_hash = self.sender.send(to, "0x" + data.hex(), spending)
        except BallotRefused as refusal:  # the estimate failed: the chain moved since the simulation
            raise PasskeyRefused("would_revert", 409, refusal.message, refusal.reason) from refusal
        receipt = self.sender.wait_receipt(tx_hash, spending)
        if receipt is None:
            return Relayed(tx_hash, "pending", None, None)
        if int(receipt["status"], 16) != 1:
            raise PasskeyRefused("reverted", 409, f"the transaction {tx_hash} failed on chain (the chain "
                                 "changed between the simulation and the block)")
        return Relayed(tx_hash, "confirmed", int(receipt["blockNumber"], 16), int(receipt["gasUsed"], 16))
