# SPDX-License-Identifier: AGPL-3.0-only
"""The community's document library, its notice board and the service of notices.

Index reads (anyone): the library (documents the committee registered on the
NoticeBoard, in force or withdrawn), the notices (with the proposal's window and frozen
roll for a proposal's notice) and how many were served. The receipts themselves come
from the backend's store (backend/notices): an owner's signed acknowledgement is
accepted without a session (the signature is the owner's word), the service list is
exported as CSV or PDF, and one receipt's proof is given to anyone who asks.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.api.deps import ADDRESS_PATTERN, CommunityContext, CommunityDep, SessionDep
from backend.api.errors import errors
from backend.api.listing import require_contract
from backend.db.models import (DocumentRegistration, DocumentWithdrawal, NoticePublication, Owner, ProposalNotice,
                               Unit)
from backend.notices import export
from backend.notices.service import ChainUnavailable, NoticeFacts, Notices, NotFound, Refused, TooMany

router = APIRouter(tags=["notices"])
BOARD = "NoticeBoard"
_build_lock = threading.Lock()
NoticePath = Annotated[int, Path(ge=1, le=2**53, description="The notice's number on the board")]
OwnerPath = Annotated[str, Path(pattern=ADDRESS_PATTERN)]


def get_notices(request: Request) -> Notices:
    notices = getattr(request.app.state, "notices", None)
    if notices is None:
        with _build_lock:
            notices = getattr(request.app.state, "notices", None)
            if notices is None:
                try:
                    notices = Notices(request.app.state.settings)
                except (DBAPIError, ChainUnavailable) as exc:
                    raise HTTPException(status_code=503, detail=f"the notices' store is unavailable: {exc}") \
                        from None
                request.app.state.notices = notices
    return notices


NoticesDep = Annotated[Notices, Depends(get_notices)]


def _answer(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except Refused as exc:
        raise HTTPException(status_code=exc.status, detail=str(exc)) from None
    except TooMany as exc:
        raise HTTPException(status_code=429, detail=str(exc),
                            headers={"Retry-After": str(max(1, int(exc.wait_s + 0.999)))}) from None
    except (ChainUnavailable, export.NoFont) as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    except DBAPIError as exc:
        raise HTTPException(status_code=503, detail=f"the notices' store is unavailable "
                            f"({type(exc.orig).__name__})") from None


# ---------------------------------------------------------------- the library


class LibraryDocumentOut(BaseModel):
    doc_hash: str
    kind: int = Field(description="1 statute, 2 rules of procedure, 3 minutes, 4 service contract, 5 audit report, "
                                  "6 budget, 7 proposal text or attachment, 8 other")
    title: str
    registered_by: str
    registered_at: int
    tx_hash: str
    withdrawn_at: int | None
    withdrawn_reason_hash: str | None


class LibraryOut(BaseModel):
    board: str
    items: list[LibraryDocumentOut]
    indexed_block: int
    finalized_block: int


@router.get("/communities/{community}/documents", response_model=LibraryOut,
            summary="The community's document library as registered on the NoticeBoard (newest first)")
def library(ctx: CommunityDep, session: SessionDep, kind: Annotated[int | None, Query(ge=1, le=8)] = None):
    board = require_contract(ctx, BOARD)
    query = select(DocumentRegistration).where(DocumentRegistration.community == ctx.community)
    if kind is not None:
        query = query.where(DocumentRegistration.kind == kind)
    rows = session.execute(query.order_by(DocumentRegistration.block_number.desc(),
                                          DocumentRegistration.log_index.desc()).limit(500)).scalars().all()
    withdrawn = {w.doc_hash: w for w in session.execute(select(DocumentWithdrawal).where(
        DocumentWithdrawal.community == ctx.community)).scalars()}
    return {"board": board, "items": [{
        "doc_hash": r.doc_hash, "kind": r.kind, "title": r.title, "registered_by": r.registered_by,
        "registered_at": r.registered_at, "tx_hash": r.tx_hash,
        "withdrawn_at": withdrawn[r.doc_hash].withdrawn_at if r.doc_hash in withdrawn else None,
        "withdrawn_reason_hash": withdrawn[r.doc_hash].reason_hash if r.doc_hash in withdrawn else None,
    } for r in rows], **ctx.position()}


# ---------------------------------------------------------------- notices


class RollOut(BaseModel):
    proposal_id: str
    vote_start: int
    vote_end: int
    snapshot_block: int
    total_area: int = Field(description="The denominator by area (0.01 m²) at the snapshot")
    total_heads: int = Field(description="The denominator by heads at the snapshot")
    min_notice: int = Field(description="The notice period the rule required (s)")
    lead: int = Field(description="Seconds between the notice and the vote's start")


class NoticeOut(BaseModel):
    notice_id: int
    content_hash: str = Field(description="sha256 of the notice's text (public texts)")
    kind: int = Field(description="1 proposal, 2 fees, 3 outage, 4 activity, 5 general")
    audience: int = Field(description="1 everyone, 2 one building, 3 the owners")
    building: str
    title: str
    documents: list[str]
    publisher: str
    published_at: int
    tx_hash: str
    block_number: int
    roll: RollOut | None = Field(description="A proposal's notice: its vote's window and frozen roll")
    served: int | None = Field(description="Receipts stored (null when this server keeps no receipts)")


class NoticeList(BaseModel):
    board: str
    chain_id: int
    items: list[NoticeOut]
    indexed_block: int
    finalized_block: int


def _notice_rows(session: Session, ctx: CommunityContext, query) -> list[dict]:
    rows = session.execute(query).scalars().all()
    rolls = {r.notice_id: r for r in session.execute(select(ProposalNotice).where(
        ProposalNotice.community == ctx.community,
        ProposalNotice.notice_id.in_([r.notice_id for r in rows]))).scalars()} if rows else {}
    found = []
    for r in rows:
        roll = rolls.get(r.notice_id)
        found.append({
            "notice_id": r.notice_id, "content_hash": r.content_hash, "kind": r.kind, "audience": r.audience,
            "building": r.building, "title": r.title, "documents": r.documents or [], "publisher": r.publisher,
            "published_at": r.published_at, "tx_hash": r.tx_hash, "block_number": r.block_number,
            "roll": None if roll is None else {
                "proposal_id": roll.proposal_id, "vote_start": roll.vote_start, "vote_end": roll.vote_end,
                "snapshot_block": roll.snapshot_block, "total_area": int(roll.total_area),
                "total_heads": int(roll.total_heads), "min_notice": roll.min_notice,
                "lead": roll.vote_start - r.published_at},
            "served": None})
    return found


def _with_served(request: Request, ctx: CommunityContext, items: list[dict]) -> list[dict]:
    if not request.app.state.settings.vault_enabled or not items:
        return items
    counts = _answer(lambda: get_notices(request).served_counts(ctx.community, [i["notice_id"] for i in items]))
    for item in items:
        item["served"] = counts.get(item["notice_id"], 0)
    return items


@router.get("/communities/{community}/notices", response_model=NoticeList,
            summary="The notice board, newest first, with how many were served")
def notices(request: Request, ctx: CommunityDep, session: SessionDep,
            proposal_id: Annotated[str | None, Query(pattern=r"^[0-9]{1,78}$")] = None,
            kind: Annotated[int | None, Query(ge=1, le=5)] = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50):
    board = require_contract(ctx, BOARD)
    query = select(NoticePublication).where(NoticePublication.community == ctx.community)
    if kind is not None:
        query = query.where(NoticePublication.kind == kind)
    if proposal_id is not None:
        ids = select(ProposalNotice.notice_id).where(ProposalNotice.community == ctx.community,
                                                     ProposalNotice.proposal_id == str(int(proposal_id)))
        query = query.where(NoticePublication.notice_id.in_(ids))
    query = query.order_by(NoticePublication.block_number.desc(), NoticePublication.log_index.desc()).limit(limit)
    items = _with_served(request, ctx, _notice_rows(session, ctx, query))
    return {"board": board, "chain_id": ctx.record.chain_id, "items": items, **ctx.position()}


def _one(session: Session, ctx: CommunityContext, notice_id: int) -> dict:
    require_contract(ctx, BOARD)
    rows = _notice_rows(session, ctx, select(NoticePublication).where(
        NoticePublication.community == ctx.community, NoticePublication.notice_id == notice_id))
    if not rows:
        raise HTTPException(status_code=404, detail=f"notice {notice_id} is not known")
    return rows[0]


@router.get("/communities/{community}/notices/{notice_id}", response_model=NoticeOut, summary="One notice")
def notice(request: Request, ctx: CommunityDep, session: SessionDep, notice_id: NoticePath):
    return _with_served(request, ctx, [_one(session, ctx, notice_id)])[0]


# ---------------------------------------------------------------- receipts


class AcknowledgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(pattern=ADDRESS_PATTERN, description="The acknowledging wallet (or account contract)")
    acknowledged_at: int = Field(ge=0, le=2**40, description="The time signed (unix seconds)")
    signature: str = Field(pattern=r"^0x([0-9a-fA-F]{2}){1,2048}$",
                           description="EIP-712 Acknowledgement signature (65 bytes; longer for an EIP-1271 account)")


class ReceiptOut(BaseModel):
    notice_id: int
    owner: str
    acknowledged_at: int
    signature: str
    leaf: str
    batch: int | None = Field(description="The anchored batch, once anchored")
    root: str | None
    anchor_tx: str | None
    served: int = Field(description="Receipts of this notice now stored")


def _receipt_out(row: dict, served: int) -> dict:
    return {"notice_id": row["notice_id"], "owner": row["owner"], "acknowledged_at": row["acknowledged_at"],
            "signature": row["signature"], "leaf": row["leaf"], "batch": row["batch"], "root": row["root"],
            "anchor_tx": row["tx_hash"], "served": served}


@router.post("/communities/{community}/notices/{notice_id}/receipts", response_model=ReceiptOut, status_code=201,
             responses={200: {"model": ReceiptOut, "description": "Acknowledged before: the first receipt"}} | errors(
                 400, 403, 413, 429, e403="The signer is not an owner (or member) this notice is addressed to"),
             summary="An owner's signed acknowledgement of a notice (no gas, no session: the signature is the owner's)")
def acknowledge(request: Request, response: Response, ctx: CommunityDep, session: SessionDep, notices: NoticesDep,
                notice_id: NoticePath, body: AcknowledgementIn):
    found = _one(session, ctx, notice_id)
    facts = NoticeFacts(notice_id, found["content_hash"], found["audience"])
    client = request.client.host if request.client else "unknown"
    row, created = _answer(notices.acknowledge, ctx.community, facts, body.owner, body.acknowledged_at,
                           bytes.fromhex(body.signature[2:]), client)
    if not created:
        response.status_code = 200
    served = _answer(notices.served_counts, ctx.community, [notice_id]).get(notice_id, 0)
    return _receipt_out(row, served)


@router.get("/communities/{community}/notices/{notice_id}/receipts/{owner}", response_model=ReceiptOut,
            summary="One owner's receipt of a notice (404 when not acknowledged)")
def receipt(ctx: CommunityDep, session: SessionDep, notices: NoticesDep, notice_id: NoticePath, owner: OwnerPath):
    _one(session, ctx, notice_id)
    found = _answer(notices._receipt, ctx.community, notice_id, owner)
    if found is None:
        raise HTTPException(status_code=404, detail=f"{owner.lower()} has not acknowledged notice {notice_id}")
    return _receipt_out(found, _answer(notices.served_counts, ctx.community, [notice_id]).get(notice_id, 0))


@router.get("/communities/{community}/notices/{notice_id}/receipts/{owner}/proof",
            summary="The proof of one owner's receipt: verify it with scripts/verify_receipt.py")
def proof(ctx: CommunityDep, session: SessionDep, notices: NoticesDep, notice_id: NoticePath, owner: OwnerPath):
    _one(session, ctx, notice_id)
    return _answer(notices.proof, ctx.community, notice_id, owner)


def _service_rows(session: Session, ctx: CommunityContext, notices: Notices, notice_id: int) -> list[dict]:
    receipts = _answer(notices.service_list, ctx.community, notice_id)
    owners = {r["owner"] for r in receipts}
    units: dict[str, list[str]] = {}
    if owners:
        for wallet, label in session.execute(select(Owner.wallet, Unit.label).join(
                Unit, (Unit.community == Owner.community) & (Unit.identity == Owner.identity))
                .where(Owner.community == ctx.community, Owner.wallet.in_(owners)).order_by(Unit.label)):
            units.setdefault(wallet, []).append(label)
    return export.rows_of(receipts, units)


@router.get("/communities/{community}/notices/{notice_id}/service.csv", summary="The service list as CSV",
            responses={200: {"content": {"text/csv": {}}}})
def service_csv(ctx: CommunityDep, session: SessionDep, notices: NoticesDep, notice_id: NoticePath):
    _one(session, ctx, notice_id)
    text = export.to_csv(_service_rows(session, ctx, notices, notice_id))
    return Response(text.encode("utf-8-sig"), media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="notice-{notice_id}-service.csv"'})


@router.get("/communities/{community}/notices/{notice_id}/service.pdf", summary="The service list as PDF",
            responses={200: {"content": {"application/pdf": {}}}})
def service_pdf(ctx: CommunityDep, session: SessionDep, notices: NoticesDep, notice_id: NoticePath):
    found = _one(session, ctx, notice_id)
    rows = _service_rows(session, ctx, notices, notice_id)
    pdf = _answer(export.to_pdf, found["title"], notice_id, ctx.record.name,
                  found["roll"], rows)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="notice-{notice_id}-service.pdf"'})
