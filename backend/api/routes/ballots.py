"""The vote relayer's endpoint: a resident signs an EIP-712 ballot in the wallet (no gas,
no ether needed) and the page posts it here; the backend checks it against the chain
and pays for `castVoteBySig` with the relayer key (backend/chain/relayer.py).

Refusals are 4xx with a stable `code` the page translates: 400 bad_signature,
403 no_weight, 404 unknown_proposal, 409 proposal_closed / already_voted / reverted,
429 rate_limited; 503 when relaying is off, the node cannot be reached, or the
community's relaying budget of the day is spent (budget_exhausted, Retry-After).
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.api.errors import errors
from backend.api.deps import ADDRESS_PATTERN, CommunityDep, SettingsDep
from backend.api.listing import require_contract
from backend.api.ratelimit import SlidingWindowLimit
from backend.chain.relayer import BallotRefused, BallotRelayer, RelayerUnavailable
from backend.core.config import Settings, UnsafeDefault
from backend.indexer.rpc import RpcClient, RpcError, RpcUnavailable
from backend.relayer.budget import BudgetExhausted, DailyBudget, Spending

router = APIRouter(tags=["assembly"])
# One relayer per app: its lock is what keeps two ballots from taking the same nonce.
_making_relayer = threading.Lock()


class BallotIn(BaseModel):
    """A ballot as the voter signed it: EIP-712 `Ballot(uint256 proposalId,uint8 support,address voter)`
    in the OwnersAssembly's domain (its eip712Domain())."""

    model_config = ConfigDict(extra="forbid")

    proposal_id: str = Field(pattern=r"^[0-9]{1,78}$", description="Proposal id, decimal uint256")
    support: int = Field(ge=0, le=2, description="0 against, 1 for, 2 abstain")
    voter: str = Field(pattern=ADDRESS_PATTERN, description="The owner wallet that signed")
    signature: str = Field(pattern=r"^0x([0-9a-fA-F]{128}|[0-9a-fA-F]{130})$",
                           description="65-byte signature (r‖s‖v), or 64 bytes (EIP-2098), 0x-hex")

    @field_validator("proposal_id")
    @classmethod
    def _fits_uint256(cls, value: str) -> str:
        if int(value) >= 2**256:
            raise ValueError("proposal_id must be below 2**256")
        return value


class BallotOut(BaseModel):
    proposal_id: str
    voter: str
    support: int
    area: int = Field(description="The voter's area at the snapshot, counted by the ballot (0.01 m²)")
    tx_hash: str
    status: str = Field(description="confirmed, or pending when no receipt came within the relayer's timeout")
    block_number: int | None
    relayer: str


REFUSALS = {
    202: {"model": BallotOut, "description": "Sent, but no receipt within the relayer's timeout (status pending)"},
    **errors(
        400, 403, 404, 409, 413, 429, 503,
        e400="bad_signature (not signed by the voter), bad_support, or refused by the node",
        e403="no_weight: not an owner wallet, or no area at the proposal's snapshot",
        e404="unknown_proposal, or the community has no OwnersAssembly",
        e409="proposal_closed, already_voted, or reverted (another ballot came first)",
        e429="rate_limited: too many requests from this client, or too many ballots relayed for this voter (only "
             "ballots the voter signed and the relayer sends count)",
        e503="relayer_off; relayer_unconfigured (no LINLI_RELAYER_KEY on a chain that is not local); "
             "relayer_unavailable (the node cannot be reached, or the relayer has no gas money); "
             "budget_exhausted (the community's relaying budget of the day is spent: Retry-After to the next "
             "midnight, Beijing time); or busy",
    ),
}


def _relaying(request: Request, settings: Settings) -> tuple[BallotRelayer, SlidingWindowLimit, SlidingWindowLimit]:
    state = request.app.state
    with _making_relayer:
        if getattr(state, "relayer", None) is None:
            _make_relayer(state, settings)
    return state.relayer, *state.relayer_limits


def _make_relayer(state, settings: Settings) -> None:
    rpc = RpcClient(settings.rpc_url, timeout_s=settings.rpc_timeout_s, max_retries=2,
                    backoff_s=settings.rpc_backoff_s, backoff_max_s=settings.rpc_backoff_max_s)
    try:
        # The key depends on the chain: the public demo key signs only on a local one.
        chain_id = int(rpc.call("eth_chainId", []), 16)
        key = settings.relayer_private_key(chain_id)
    except (RpcError, RpcUnavailable) as exc:
        rpc.close()
        _refuse(503, "relayer_unavailable", f"the chain's node does not answer: {exc}")
    except UnsafeDefault as exc:
        rpc.close()
        _refuse(503, "relayer_unconfigured", f"{exc}; vote directly from the wallet")
    state.relayer = BallotRelayer(rpc, key, receipt_timeout_s=settings.relayer_receipt_timeout_s,
                                  priority_fee_wei=settings.relayer_priority_fee_wei)
    state.relayer_limits = (
        SlidingWindowLimit(settings.relayer_limit_per_voter, settings.relayer_limit_window_s),
        SlidingWindowLimit(settings.relayer_limit_per_client, settings.relayer_limit_window_s),
    )


def relay_budget(request: Request, settings: Settings) -> DailyBudget:
    """The app's one daily budget, shared by every route that spends the relayer's gas
    (backend/relayer/budget.py); `app.state.relayer_clock` (tests) replaces the clock."""
    state = request.app.state
    with _making_relayer:
        if getattr(state, "relayer_budget", None) is None:
            state.relayer_budget = DailyBudget(state.engine, settings.relayer_daily_budget_wei,
                                               settings.relayer_daily_budget_transactions,
                                               clock=lambda: getattr(state, "relayer_clock", time.time)())
    return state.relayer_budget


def spending_for(request: Request, settings: Settings, ctx, route: str) -> Spending:
    """This request's way through the community's budget; refused at once (503) if the day's
    budget is spent already."""
    spending = relay_budget(request, settings).spending(ctx.community, ctx.record.chain_id, route)
    spending.check()
    return spending


def budget_refusal(exhausted: BudgetExhausted):
    _refuse(503, exhausted.code, exhausted.message, exhausted.reason, headers={"Retry-After": exhausted.retry_after})


def _count(limit: SlidingWindowLimit, key: str, who: str) -> None:
    wait = limit.hit(key)
    if wait is not None:
        raise BallotRefused("rate_limited", 429, f"too many ballots from {who}; try again in {int(wait) + 1} s",
                            retry_after=str(int(wait) + 1))


def _refuse(status: int, code: str, message: str, reason: str | None = None, headers=None):
    raise HTTPException(status_code=status, detail={"code": code, "message": message, "reason": reason},
                        headers=headers)


@router.post("/communities/{community}/assembly/ballots", response_model=BallotOut, responses=REFUSALS,
             summary="Relay a signed ballot: checked against the chain, sent with the relayer's gas")
def relay_ballot(ctx: CommunityDep, settings: SettingsDep, request: Request, response: Response,
                 ballot: Annotated[BallotIn, Body()]):
    if not settings.relayer_enabled:
        _refuse(503, "relayer_off", "this community does not relay ballots; vote directly from the wallet")
    assembly = require_contract(ctx, "OwnersAssembly")
    registry = ctx.record.contracts.get("HouseholdRegistry") or ctx.community
    relayer, per_voter, per_client = _relaying(request, settings)
    client = request.client.host if request.client else "unknown"

    def admit(voter: str) -> None:
        # ...but against a voter only a ballot that voter signed and that the relayer is about
        # to pay for: forged or replayed ballots naming someone must not use up their allowance.
        _count(per_voter, voter.lower(), "this voter")

    try:
        # Every request counts against the address it came from (backend/api/clients.py)...
        _count(per_client, client, "this client")
        # ...and every transaction against the community's daily budget, with the other routes'.
        spending = spending_for(request, settings, ctx, "ballot")
        relayed = relayer.relay(assembly, registry, int(ballot.proposal_id), ballot.support, ballot.voter,
                                bytes.fromhex(ballot.signature[2:]), admit=admit, spending=spending)
    except BudgetExhausted as exhausted:
        budget_refusal(exhausted)
    except BallotRefused as refusal:
        _refuse(refusal.status, refusal.code, refusal.message, refusal.reason,
                headers={"Retry-After": refusal.retry_after} if refusal.retry_after else None)
    except RelayerUnavailable as exc:
        _refuse(503, "relayer_unavailable", str(exc))
    except RpcError as exc:
        # Anything else the node says no to is about this ballot, not a fault of ours.
        _refuse(400, "refused", f"the node refused the ballot: {exc}")
    if relayed.status == "pending":
        response.status_code = 202  # sent; the page follows the transaction by its hash
    return {"proposal_id": ballot.proposal_id, "voter": ballot.voter.lower(), "support": ballot.support,
            "area": relayed.area, "tx_hash": relayed.tx_hash, "status": relayed.status,
            "block_number": relayed.block_number, "relayer": relayer.address.lower()}
