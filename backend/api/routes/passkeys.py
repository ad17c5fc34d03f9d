"""Passkey accounts for residents without a crypto wallet (issue 18): the page creates a
passkey on the phone (WebAuthn, P-256), sends its public key here and gets the account
the factory derives from it, created by the relayer; then every call the passkey signs
(`PasskeyAccount.execute`) is posted here and relayed under the policy of
backend/relayer/passkeys.py.

Refusals are 4xx with a stable `code` the page translates and the namespaced `reason`:
400 bad_key / bad_assertion, 403 not_a_passkey_account / foreign_contract /
call_not_allowed / value_not_allowed (and, for a fee payment or a service order in the settlement
token, approval_not_allowed / payee_not_allowed / payment_not_allowed / amount_not_due /
order_not_allowed / budget_out_of_range), 404 no_passkeys, 409 replayed / in_flight /
would_revert / reverted, 429 rate_limited (Retry-After); 503 when relaying is off or the node is down, or
budget_exhausted (Retry-After) when the community's relaying budget of the day is spent
(one budget with the ballot relay: backend/relayer/budget.py).
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.api.deps import ADDRESS_PATTERN, CommunityDep, SettingsDep
from backend.api.errors import errors
from backend.api.listing import require_contract
from backend.api.ratelimit import SlidingWindowLimit
from backend.api.routes.ballots import _relaying, budget_refusal, relay_budget, spending_for
from backend.chain.relayer import RelayerUnavailable
from backend.core.config import Settings
from backend.indexer.rpc import RpcError
from backend.relayer.budget import BudgetExhausted
from backend.relayer.passkeys import Assertion, PasskeyRefused, PasskeyRelayer

router = APIRouter(tags=["passkeys"])
# One passkey relayer and one per-account limit per app (two would each count half the calls).
_making_relayer = threading.Lock()

UINT256_HEX = r"^0x[0-9a-fA-F]{1,64}$"
DECIMAL = r"^[0-9]{1,78}$"


class PasskeyKeyIn(BaseModel):
    """The public key of a new passkey (P-256), as the page reads it from
    `navigator.credentials.create`: the point's coordinates, 0x-hex."""

    model_config = ConfigDict(extra="forbid")

    x: str = Field(pattern=UINT256_HEX)
    y: str = Field(pattern=UINT256_HEX)


class PasskeyAccountOut(BaseModel):
    account: str = Field(description="The account the factory derives from the key (CREATE2)")
    created: bool = Field(description="True when this request created it (the relayer paid)")
    tx_hash: str | None
    block_number: int | None
    next_nonce: int
    relayer: str


class AccountStateOut(BaseModel):
    account: str
    passkey_account: bool = Field(description="Whether the address holds one of the factory's accounts")
    next_nonce: int | None
    has_key: bool | None = Field(default=None, description="With ?x=&y=: whether that passkey signs for the "
                                                           "account (a new phone, once the first one added it)")


class AssertionIn(BaseModel):
    """`navigator.credentials.get`'s answer taken apart (bytes as 0x-hex, numbers as 0x-hex)."""

    model_config = ConfigDict(extra="forbid")

    authenticator_data: str = Field(pattern=r"^0x([0-9a-fA-F]{2}){37,256}$")
    client_data_json: str = Field(pattern=r"^0x([0-9a-fA-F]{2}){1,1024}$")
    challenge_index: int = Field(ge=0, le=1024)
    type_index: int = Field(ge=0, le=1024)
    r: str = Field(pattern=UINT256_HEX)
    s: str = Field(pattern=UINT256_HEX)
    x: str = Field(pattern=UINT256_HEX)
    y: str = Field(pattern=UINT256_HEX)

    def parsed(self) -> Assertion:
        return Assertion(bytes.fromhex(self.authenticator_data[2:]), bytes.fromhex(self.client_data_json[2:]),
                         self.challenge_index, self.type_index, int(self.r, 16), int(self.s, 16),
                         int(self.x, 16), int(self.y, 16))


class PasskeyCallIn(BaseModel):
    """`execute(target, value, data, nonce, assertion)` as the passkey signed it: the WebAuthn
    challenge is the EIP-712 hash of Call(target, value, data, nonce) in the account's domain."""

    model_config = ConfigDict(extra="forbid")

    account: str = Field(pattern=ADDRESS_PATTERN)
    target: str = Field(pattern=ADDRESS_PATTERN)
    value: str = Field(default="0", pattern=DECIMAL)
    data: str = Field(pattern=r"^0x([0-9a-fA-F]{2}){4,8192}$")
    nonce: str = Field(pattern=DECIMAL)
    assertion: AssertionIn

    @field_validator("value", "nonce")
    @classmethod
    def _fits_uint256(cls, value: str) -> str:
        if int(value) >= 2**256:
            raise ValueError("must be below 2**256")
        return value


class PasskeyCallOut(BaseModel):
    account: str
    target: str
    nonce: str
    tx_hash: str
    status: str = Field(description="confirmed, or pending when no receipt came within the relayer's timeout")
    block_number: int | None
    gas_used: int | None
    relayer: str


REFUSALS = errors(
    400, 403, 404, 409, 413, 429, 503,
    e400="bad_key (not a P-256 point), bad_assertion (the account refuses the signature)",
    e403="not_a_passkey_account, foreign_contract, call_not_allowed, value_not_allowed, and for a fee payment "
         "or a service order approval_not_allowed, payee_not_allowed, payment_not_allowed, amount_not_due, "
         "order_not_allowed, budget_out_of_range: outside the relayer's policy",
    e404="no_passkeys: the community's deployment names no passkey factory",
    e409="replayed (the nonce was used), in_flight (a call of the account is being relayed), "
         "would_revert (the simulation failed: reason given), reverted",
    e429="rate_limited: too many requests from this client, or too many calls relayed for this account",
    e503="relayer_off, relayer_unconfigured, relayer_unavailable, budget_exhausted (the community's budget of "
         "the day is spent; Retry-After: seconds to the next midnight, Beijing time)",
)


def _refuse(status: int, code: str, message: str, reason: str | None = None, headers=None):
    raise HTTPException(status_code=status, detail={"code": code, "message": message, "reason": reason},
                        headers=headers)


def _count(limit: SlidingWindowLimit, key: str, who: str) -> None:
    wait = limit.hit(key)
    if wait is not None:
        seconds = str(int(wait) + 1)
        raise PasskeyRefused("rate_limited", 429, f"too many requests from {who}; try again in {seconds} s",
                             "relayer: rate limited", retry_after=seconds)


def _passkey_relaying(request: Request, settings: Settings) -> tuple[PasskeyRelayer, SlidingWindowLimit,
                                                                     SlidingWindowLimit]:
    if not settings.relayer_enabled:
        _refuse(503, "relayer_off", "this community does not relay: use a wallet")
    sender, _, per_client = _relaying(request, settings)  # one key, one nonce lock for both relayers
    state = request.app.state
    with _making_relayer:
        if getattr(state, "passkey_relayer", None) is None or state.passkey_relayer.sender is not sender:
            state.passkey_relayer = PasskeyRelayer(sender)
            state.passkey_limit = SlidingWindowLimit(settings.relayer_limit_per_passkey_account,
                                                     settings.relayer_limit_window_s)
    return state.passkey_relayer, state.passkey_limit, per_client


def _contracts(ctx) -> dict[str, str]:
    require_contract(ctx, "PasskeyAccountFactory")
    return dict(ctx.record.contracts or {})


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/communities/{community}/passkeys", response_model=PasskeyAccountOut, responses=REFUSALS,
             summary="Register a passkey: the account its key controls, created by the relayer")
def register_passkey(ctx: CommunityDep, settings: SettingsDep, request: Request,
                     key: Annotated[PasskeyKeyIn, Body()]):
    contracts = _contracts(ctx)
    relayer, _, per_client = _passkey_relaying(request, settings)
    budget = relay_budget(request, settings)
    spending = budget.spending(ctx.community, ctx.record.chain_id, "account")

    def admit() -> None:
        _count(per_client, _client(request), "this client")
        spending.check()

    try:
        account, created = relayer.create(contracts["PasskeyAccountFactory"], int(key.x, 16), int(key.y, 16),
                                          admit=admit, spending=spending)
        nonce = relayer.next_nonce(account)
    except BudgetExhausted as exhausted:
        budget_refusal(exhausted)
    except PasskeyRefused as refusal:
        _refuse(refusal.status, refusal.code, refusal.message, refusal.reason,
                headers={"Retry-After": refusal.retry_after} if refusal.retry_after else None)
    except RelayerUnavailable as exc:
        _refuse(503, "relayer_unavailable", str(exc))
    except RpcError as exc:
        _refuse(400, "refused", f"the node refused the account's creation: {exc}")
    return {"account": account.lower(), "created": created is not None,
            "tx_hash": created.tx_hash if created else None, "block_number": created.block_number if created else None,
            "next_nonce": nonce, "relayer": relayer.address.lower()}


@router.get("/communities/{community}/passkeys/{account}", response_model=AccountStateOut, responses=REFUSALS,
            summary="Whether an address is a passkey account, and the nonce its next call must sign")
def passkey_account(ctx: CommunityDep, settings: SettingsDep, request: Request,
                    account: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
                    x: Annotated[str | None, Query(pattern=UINT256_HEX)] = None,
                    y: Annotated[str | None, Query(pattern=UINT256_HEX)] = None):
    contracts = _contracts(ctx)
    relayer, _, _ = _passkey_relaying(request, settings)
    if (x is None) != (y is None):
        _refuse(400, "bad_key", "give both coordinates of the key, x and y, or neither")
    try:
        is_account = relayer.is_account(account, contracts["PasskeyAccount"])
        nonce = relayer.next_nonce(account) if is_account else None
        has_key = relayer.is_passkey(account, int(x, 16), int(y, 16)) if is_account and x is not None else None
    except RelayerUnavailable as exc:
        _refuse(503, "relayer_unavailable", str(exc))
    return {"account": account.lower(), "passkey_account": is_account, "next_nonce": nonce, "has_key": has_key}


@router.post("/communities/{community}/passkeys/calls", response_model=PasskeyCallOut,
             responses={202: {"model": PasskeyCallOut, "description": "Sent, no receipt yet (status pending)"},
                        **REFUSALS},
             summary="Relay a call a passkey signed: policy, simulation, then the relayer's gas")
def relay_passkey_call(ctx: CommunityDep, settings: SettingsDep, request: Request, response: Response,
                       call: Annotated[PasskeyCallIn, Body()]):
    contracts = _contracts(ctx)
    relayer, per_account, per_client = _passkey_relaying(request, settings)
    try:
        _count(per_client, _client(request), "this client")
        spending = spending_for(request, settings, ctx, "passkey")
        relayed = relayer.execute(contracts, call.account, call.target, int(call.value), bytes.fromhex(call.data[2:]),
                                  int(call.nonce), call.assertion.parsed(),
                                  admit=lambda account: _count(per_account, account.lower(), "this account"),
                                  spending=spending)
    except BudgetExhausted as exhausted:
        budget_refusal(exhausted)
    except PasskeyRefused as refusal:
        _refuse(refusal.status, refusal.code, refusal.message, refusal.reason,
                headers={"Retry-After": refusal.retry_after} if refusal.retry_after else None)
    except RelayerUnavailable as exc:
        _refuse(503, "relayer_unavailable", str(exc))
    except RpcError as exc:
        _refuse(400, "refused", f"the node refused the call: {exc}")
    if relayed.status == "pending":
        response.status_code = 202
    return {"account": call.account.lower(), "target": call.target.lower(), "nonce": call.nonce,
            "tx_hash": relayed.tx_hash, "status": relayed.status, "block_number": relayed.block_number,
            "gas_used": relayed.gas_used, "relayer": relayer.address.lower()}
