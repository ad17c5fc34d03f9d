# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's console: SafeTx of the committee's Safe waiting for its members.

- `GET /communities/{c}/committee`: the Safe (members, threshold, nonce), the pending
  proposals (lowest nonce first), each with its action decoded (contract, function,
  named arguments) and who signed, and the last ones the Safe passed (executed,
  failed, or replaced by another SafeTx of the same nonce).
- `POST /communities/{c}/committee/transactions`: a member proposes a SafeTx with their
  EIP-712 signature. 201; 403 the signer is not a member; 409 nonce used or the same
  SafeTx already proposed; 422 a call the console does not offer, a contract not the
  community's, gas refunds, a signature that does not verify for this Safe and chain.
- `POST /communities/{c}/committee/transactions/{safeTxHash}/signatures`: another
  member's signature. 201; 403, 404 (no such proposal), 409 (signed already, no longer
  pending), 422 as above.
- `POST /communities/{c}/committee/units-check` {csv}: a units CSV checked as `ape run
  units import` checks it (backend/committee/units.py): 200 with its batches (60 units
  each, what one register_units SafeTx takes); 422 with every bad line by number
  ({detail: {message, errors: [{line, message}]}}); 409 when a pending SafeTx already
  registers any of its labels (the same file uploaded again: the detail names the
  pending nonces); nothing is kept or proposed. A proposed register_units SafeTx is
  likewise refused (409) when another pending SafeTx, at another nonce, registers any of
  its labels.
Writes are limited per client (WRITES_PER_MINUTE, 429 with Retry-After beyond), counted
before any check, so a flood of bogus signatures costs the node no more than that.
No session: the signature is the word (backend/committee/store.py checks it against the
Safe's owners on chain). Executing is the members' own transaction (execTransaction).
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError

from backend.api.admission import retry_after
from backend.api.deps import ADDRESS_PATTERN, HASH_PATTERN
from backend.api.ratelimit import SlidingWindowLimit
from backend.api.errors import ErrorOut, errors
from backend.chain.deployment import ManifestError, read_manifest
from backend.committee.chain import ChainUnavailable, SafeReader
from backend.committee.store import CommitteeStore, NotFound, Refused
from backend.committee.units import MAX_CSV_CHARS, UnitsRefused, lines_out

router = APIRouter(tags=["committee"])
REFUSED_422 = {422: {"model": ErrorOut, "description": "A SafeTx the console does not offer (function, contract, "
                     "ether, gas refunds, delegate call, nonce too far ahead), a signature that is not the signer's "
                     "of this SafeTx for this Safe and chain; or an unreadable body"}}
WRITES_PER_MINUTE = 60  # a committee of a few members signs a few things a day
_build_lock = threading.Lock()
CommunityPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The community (registry address)")]
HashPath = Annotated[str, Path(pattern=HASH_PATTERN, description="The SafeTx's safeTxHash")]
Uint = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", description="A uint256 in decimal")]
Signature = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                                 description="The member's EIP-712 SafeTx signature: r ‖ s ‖ v (65 bytes)")]


def get_store(request: Request) -> CommitteeStore:
    store = getattr(request.app.state, "committee_store", None)
    if store is None:
        with _build_lock:
            store = getattr(request.app.state, "committee_store", None)
            if store is None:
                settings = request.app.state.settings
                if settings.manifest is None:
                    # Not a passing fault: this backend serves no committee (no manifest names its Safe).
                    raise HTTPException(status_code=404, detail="this backend serves no committee: it was started "
                                                                "without a deployment manifest naming the Safe")
                try:
                    manifest = read_manifest(settings.manifest)
                except ManifestError as exc:
                    raise HTTPException(status_code=503, detail=str(exc)) from None
                store = CommitteeStore(request.app.state.engine, manifest,
                                       SafeReader(settings.rpc_url, timeout_s=settings.rpc_timeout_s))
                request.app.state.committee_store = store
                request.app.state.committee_writes = SlidingWindowLimit(WRITES_PER_MINUTE, 60.0)
    return store


def _limit(request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    wait = request.app.state.committee_writes.hit(client)
    if wait is not None:
        raise HTTPException(status_code=429, detail="too many committee proposals or signatures from this client "
                            "in a minute: wait and try again", headers={"Retry-After": retry_after(wait)})


StoreDep = Annotated[CommitteeStore, Depends(get_store)]


def _answer(fn, *args):
    try:
        return fn(*args)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except Refused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    except UnitsRefused as exc:
        raise HTTPException(status_code=422, detail=lines_out(exc)) from None
    except ChainUnavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    except DBAPIError as exc:
        raise HTTPException(status_code=503, detail=f"the database is unavailable ({type(exc.orig).__name__})") \
            from None


# A proposal's body: its calldata (up to MAX_DATA_HEX characters: a batch of 60 units is
# about 27,000) and the SafeTx's other fields.
MAX_DATA_HEX = 64_002
PROPOSAL_MAX_BODY = MAX_DATA_HEX + 4 * 1024


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signer: str = Field(pattern=ADDRESS_PATTERN, description="The member who signed")
    signature: Signature


class ProposalIn(SignatureIn):
    """A SafeTx as Safe defines it (EIP-712 `SafeTx`, Safe 1.4.1), with its proposer's signature."""

    safe: str | None = Field(default=None, pattern=ADDRESS_PATTERN,
                             description="The Safe the SafeTx was made for (must be the committee's)")
    chainId: int | None = Field(default=None, ge=0, description="The chain it was made for (must be the community's)")
    to: str = Field(pattern=ADDRESS_PATTERN)
    value: Uint = "0"
    data: str = Field(pattern=r"^0x([0-9a-fA-F]{2})*$", max_length=MAX_DATA_HEX)
    operation: Literal[0, 1] = 0
    safeTxGas: Uint = "0"
    baseGas: Uint = "0"
    gasPrice: Uint = "0"
    gasToken: str = Field(default="0x" + "0" * 40, pattern=ADDRESS_PATTERN)
    refundReceiver: str = Field(default="0x" + "0" * 40, pattern=ADDRESS_PATTERN)
    nonce: int = Field(ge=0, le=2**62)


@router.get("/communities/{community}/committee", responses=errors(404, 503))
def committee_overview(community: CommunityPath, store: StoreDep) -> dict:
    return _answer(store.overview, community)


@router.post("/communities/{community}/committee/transactions", status_code=201,
             responses={**errors(400, 403, 404, 409, 413, 429, 503), **REFUSED_422})
def propose(community: CommunityPath, body: ProposalIn, store: StoreDep, request: Request) -> dict:
    _limit(request)
    fields = body.model_dump(exclude={"signer", "signature"})
    return _answer(store.propose, community, fields, body.signer, bytes.fromhex(body.signature[2:]))


@router.post("/communities/{community}/committee/transactions/{safe_tx_hash}/signatures", status_code=201,
             responses={**errors(400, 403, 404, 409, 413, 429, 503), **REFUSED_422})
def add_signature(community: CommunityPath, safe_tx_hash: HashPath, body: SignatureIn, store: StoreDep,
                  request: Request) -> dict:
    _limit(request)
    return _answer(store.sign, community, safe_tx_hash, body.signer, bytes.fromhex(body.signature[2:]))


# The units CSV's body: the file (up to MAX_CSV_CHARS characters) as JSON text, escapes and all.
UNITS_CHECK_MAX_BODY = 4 * MAX_CSV_CHARS
UNITS_422 = {422: {"model": ErrorOut, "description": "The file has bad lines: detail {message, errors: [{line, "
                   "message}]}, every bad line by its number, as the CLI reports them (nothing proposed); or an "
                   "unreadable body"}}


class UnitsCsvIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csv: str = Field(min_length=1, max_length=MAX_CSV_CHARS,
                     description="The CSV's text (UTF-8; header label,area_m2,owner,commitment)")


class UnitsBatchOut(BaseModel):
    number: int = Field(description="1, 2, …: the batch's place in the series (one SafeTx each)")
    first_line: int
    last_line: int
    units: list[dict] = Field(description="label, area (0.01 m², decimal text), owner, commitment")


class UnitsCheckOut(BaseModel):
    units: int
    batch_size: int = Field(description="Units per register_units call (the registry's batch)")
    batches: list[UnitsBatchOut]


@router.post("/communities/{community}/committee/units-check", response_model=UnitsCheckOut,
             responses={**errors(400, 404, 409, 413, 429, 503), **UNITS_422},
             summary="Check a units CSV as the CLI does; its register_units batches (nothing kept)")
def check_units(community: CommunityPath, body: UnitsCsvIn, store: StoreDep, request: Request) -> dict:
    _limit(request)
    return _answer(store.check_units, community, body.csv)
