# SPDX-License-Identifier: AGPL-3.0-only
"""Residents' reminder choices (My data): which channels (e-mail, the operator's SMS or
WeChat gateway) and which reminders (votes about to close, dues, new notices). The
addresses themselves are the vault's e-mail and phone fields; a session of the resident.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from backend.api.errors import errors
from backend.api.routes.vault import CommunityPath, SessionDep, VaultDep
from backend.notify.sender import read_choices, write_choices
from backend.vault.chain import ChainUnavailable
from backend.vault.db import make_vault_engine

router = APIRouter(prefix="/vault", tags=["vault"])
_build_lock = threading.Lock()


def get_notify_engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "notify_engine", None)
    if engine is None:
        with _build_lock:
            engine = getattr(request.app.state, "notify_engine", None)
            if engine is None:
                engine = make_vault_engine(request.app.state.settings.vault_database_url)
                request.app.state.notify_engine = engine
    return engine


class ChoicesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: bool
    webhook: bool
    votes: bool
    dues: bool
    notices: bool


class ChoicesOut(ChoicesIn):
    updated_at: int | None


def _community(vault, community: str) -> str:
    try:
        return vault.community(community).community
    except Exception as exc:  # NotFound: a community this vault does not serve
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/communities/{community}/reminders", response_model=ChoicesOut, responses=errors(401, 404),
            summary="Your reminder choices (nothing is sent until you choose a channel)")
def my_choices(community: CommunityPath, session: SessionDep, vault: VaultDep,
               engine: Annotated[Engine, Depends(get_notify_engine)]):
    try:
        return read_choices(engine, _community(vault, community), session.address)
    except DBAPIError as exc:
        raise HTTPException(status_code=503, detail=f"the vault database is unavailable ({type(exc.orig).__name__})") \
            from None


@router.put("/communities/{community}/reminders", response_model=ChoicesOut,
            responses=errors(400, 401, 403, 404, 413), summary="Choose your reminders")
def set_choices(body: ChoicesIn, community: CommunityPath, session: SessionDep, vault: VaultDep,
                engine: Annotated[Engine, Depends(get_notify_engine)]):
    key = _community(vault, community)
    try:
        member = vault.chain.is_member(vault.community(key), session.address)
    except ChainUnavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    if not member:
        raise HTTPException(status_code=403, detail="only a current owner or linked resident chooses reminders here")
    try:
        return write_choices(engine, key, session.address, body.model_dump(), vault.now())
    except DBAPIError as exc:
        raise HTTPException(status_code=503, detail=f"the vault database is unavailable ({type(exc.orig).__name__})") \
            from None
