# SPDX-License-Identifier: AGPL-3.0-only
"""The public directory of organisations: names instead of bare addresses.

- `GET /communities/{c}/directory?category=`: every entry (anyone), with the EIP-712
  domain and types a wallet signs an entry with.
- `GET /communities/{c}/directory/{address}`: one wallet's entry (404 when unnamed).
- `POST /communities/{c}/directory`: an entry signed by the wallet it describes, or by
  the owners' committee (its Safe through EIP-1271, or a member's key that holds the
  role): no session, the signature is the word. 201 new or newer, 200 the same again;
  422 for words or a signature that does not verify, 403 for a signer that may not
  name this wallet, 409 for an entry not newer than the one kept.
- `PUT /communities/{c}/directory/{address}`: a committee member signed in to the vault
  (SIWE session, Bearer) sets an entry, dated now.
People are never named: a wallet the registry knows as an owner or resident is refused.
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError

from backend.api.admission import retry_after
from backend.api.deps import ADDRESS_PATTERN
from backend.api.errors import ErrorOut, errors
from backend.api.routes.vault import SessionDep, _client_ip
from backend.directory import entries as en
from backend.directory.service import Directory, NotFound, Refused, TooMany
from backend.notices.chain import ChainUnavailable as AccountsUnavailable
from backend.vault.chain import ChainUnavailable

router = APIRouter(tags=["directory"])
_build_lock = threading.Lock()
CommunityPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The community (registry address)")]
AddressPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The organisation's wallet")]
Category = Literal[en.CATEGORIES]
# A refusal of the words or the signature is a sentence; a body FastAPI cannot read, its list.
REFUSED_422 = {422: {"model": ErrorOut, "description": "The words (too long, personal data, an unknown category) or "
                     "a signature that does not verify for this community and chain; or an unreadable body"}}


def get_directory(request: Request) -> Directory:
    directory = getattr(request.app.state, "directory", None)
    if directory is None:
        with _build_lock:
            directory = getattr(request.app.state, "directory", None)
            if directory is None:
                try:
                    directory = Directory(request.app.state.settings)
                except (DBAPIError, ChainUnavailable) as exc:
                    raise HTTPException(status_code=503, detail=f"the directory is unavailable: {exc}") from None
                request.app.state.directory = directory
    return directory


DirectoryDep = Annotated[Directory, Depends(get_directory)]


def _answer(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except Refused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    except TooMany as exc:
        raise HTTPException(status_code=429, detail=str(exc), headers={"Retry-After": retry_after(exc.wait_s)}) \
            from None
    except (ChainUnavailable, AccountsUnavailable) as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    except DBAPIError as exc:
        raise HTTPException(status_code=503, detail=f"the directory's database is unavailable "
                            f"({type(exc.orig).__name__})") from None


class EntryOut(BaseModel):
    organisation: str
    name: str
    category: str
    contact: str
    issued_at: int = Field(description="The time signed (unix seconds): only a newer entry replaces this one")
    signer: str = Field(description="The organisation itself, or the committee's address (or member's)")
    set_by: Literal["organisation", "committee"]
    signature: str | None = Field(description="The EIP-712 signature; null when a signed-in committee member set it")
    updated_at: int


class DirectoryOut(BaseModel):
    community: str
    chain_id: int
    domain: dict = Field(description="The EIP-712 domain an entry is signed in")
    types: dict = Field(description="The EIP-712 types of an entry")
    categories: list[str]
    items: list[EntryOut]


# Bounds here only keep bodies small; the service's own rules say what is too long, in words.
class SignedEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(pattern=ADDRESS_PATTERN, description="The wallet the entry describes")
    name: str = Field(max_length=1000)
    category: str = Field(max_length=40)
    contact: str = Field(default="", max_length=1000)
    issued_at: int = Field(ge=0, le=2**40, description="The time signed (unix seconds)")
    signer: str | None = Field(default=None, pattern=ADDRESS_PATTERN,
                               description="Who signed: the organisation (the default) or the committee's address")
    signature: str = Field(pattern=r"^0x([0-9a-fA-F]{2}){1,2048}$",
                           description="EIP-712 DirectoryEntry signature (65 bytes; longer for a Safe or other "
                                       "EIP-1271 wallet)")


class MemberEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=1000)
    category: str = Field(max_length=40)
    contact: str = Field(default="", max_length=1000)


@router.get("/communities/{community}/directory", response_model=DirectoryOut,
            summary="The directory of organisations (merchants, providers, the property company, payees, organisers)")
def directory(directory: DirectoryDep, community: CommunityPath, category: Category | None = None,
              limit: Annotated[int, Query(ge=1, le=2000)] = 1000):
    items = _answer(directory.listing, community, category, limit)
    contracts = directory.community(community)
    shape = en.typed_data(contracts.chain_id, contracts.registry, en.Entry(contracts.registry, "", "", "", 0))
    return {"community": contracts.community, "chain_id": contracts.chain_id, "domain": shape["domain"],
            "types": shape["types"], "categories": list(en.CATEGORIES), "items": items}


@router.get("/communities/{community}/directory/{address}", response_model=EntryOut,
            summary="One organisation's entry (404 when the wallet is not named)")
def directory_entry(directory: DirectoryDep, community: CommunityPath, address: AddressPath):
    return _answer(directory.entry, community, address)


@router.post("/communities/{community}/directory", response_model=EntryOut, status_code=201,
             responses={200: {"model": EntryOut, "description": "The same entry again"}} | REFUSED_422 | errors(
                 400, 403, 409, 413, 429, e403="The signer is neither the organisation nor the committee",
                 e409="An entry issued at the same time or later is kept"),
             summary="An entry signed by the organisation's wallet or the committee's (no session: the signature is "
                     "the word)")
def publish(request: Request, response: Response, directory: DirectoryDep, community: CommunityPath,
            body: SignedEntryIn):
    entry = en.Entry(body.organisation, body.name, body.category, body.contact, body.issued_at)
    row, changed = _answer(directory.publish, community, entry, body.signer or body.organisation,
                           bytes.fromhex(body.signature[2:]), _client_ip(request))
    if not changed:
        response.status_code = 200
    return row


@router.put("/communities/{community}/directory/{address}", response_model=EntryOut,
            responses=REFUSED_422 | errors(400, 401, 403, 413, 429,
                                           e403="The signed-in wallet is not on the owners' committee"),
            summary="A committee member, signed in to the vault, sets an organisation's entry (dated now)")
def set_entry(request: Request, session: SessionDep, directory: DirectoryDep, community: CommunityPath,
              address: AddressPath, body: MemberEntryIn):
    row, _ = _answer(directory.set_by_member, community, body.name, body.category, body.contact, address,
                     session.address, _client_ip(request))
    return row
