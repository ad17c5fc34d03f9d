# SPDX-License-Identifier: AGPL-3.0-only
"""An owners' assembly proposal composed from typed actions (backend/chain/proposal_actions.py).

`POST /communities/{c}/assembly/compose` takes the actions (set the voting rules, approve
a service contract, raise the maintenance share, elect or replace a committee member,
spend public income, …) as typed fields and answers the targets, values and calldatas
`OwnersAssembly.propose` takes, each call with the class the chain gives it
(`OwnersAssembly.call_class`), the statute matter (民法典 第二百七十八条) and what the
proposal needs to pass. Nothing is sent: the proposer's wallet sends the proposal.
422 names the field that is wrong (typed, or what the chain says of it); 404 a community
this backend does not serve (or no manifest at all); 503 an unreadable manifest or no node.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from web3.exceptions import Web3Exception

from backend.api.deps import ADDRESS_PATTERN
from backend.api.errors import ErrorOut, errors
from backend.chain.deployment import ManifestError, read_manifest
from backend.chain.proposal_actions import ChainReader, ComposeIn, ComposeRefused, compose

router = APIRouter(tags=["assembly"])
CommunityPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The community (registry address)")]
REFUSED_422 = {422: {"model": ErrorOut, "description": "A field that is wrong: its place (loc) and why, as "
                     "FastAPI answers a bad field; also what the chain says of it (not a committee member, no "
                     "such service contract, a call no vote may make)"}}


def _manifest(request: Request) -> dict:
    settings = request.app.state.settings
    if settings.manifest is None:
        # Not a passing fault: this backend serves no community's contracts (no manifest).
        raise HTTPException(status_code=404, detail="this backend composes no proposals: it was started without "
                                                    "a deployment manifest")
    try:
        return read_manifest(settings.manifest)
    except ManifestError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None


def _reader(request: Request) -> ChainReader:
    reader = getattr(request.app.state, "compose_reader", None)
    if reader is None:
        settings = request.app.state.settings
        reader = ChainReader(settings.rpc_url, timeout_s=settings.rpc_timeout_s)
        request.app.state.compose_reader = reader
    return reader


@router.post("/communities/{community}/assembly/compose", responses={**errors(400, 404, 413, 503), **REFUSED_422},
             summary="The calls of a proposal composed from typed actions, with each call's class from the chain")
def compose_proposal(community: CommunityPath, body: ComposeIn, request: Request):
    manifest = _manifest(request)
    if manifest["community"].lower() != community.lower():
        raise HTTPException(status_code=404, detail=f"community {community.lower()} is not served here")
    try:
        return compose(manifest["contracts"], body, _reader(request))
    except ComposeRefused as exc:
        return JSONResponse(status_code=422, content=jsonable_encoder(
            {"detail": [{"loc": exc.loc, "msg": exc.message, "type": "value_error"}]}))
    except (ConnectionError, OSError, ValueError, Web3Exception) as exc:
        # The node does not answer, or answers something that is not the contract's view.
        raise HTTPException(status_code=503, detail=f"the node cannot read the contracts: {type(exc).__name__}") \
            from None
