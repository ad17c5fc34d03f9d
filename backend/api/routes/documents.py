# SPDX-License-Identifier: AGPL-3.0-only
"""Documents: files the chain knows only by a SHA-256 (a proposal's full text and
attachments, the community library), stored once under that hash.

- `POST /documents?filename=…` (the file as the request body): a signed-in member,
  committee member or manager stores a file; the answer carries its key, 0x + sha256
  of its bytes. PDF, PNG, JPEG or UTF-8 text, judged by the bytes; at most
  LINLI_DOCUMENTS_MAX_BYTES; no ID or mobile numbers. The same file again answers the
  same row (200; 201 the first time).
- `GET /documents/{hash}`: the file (anyone), checked against its key before it is sent.
- `GET /documents?hashes=…`: what is stored under each (no bytes).
- `DELETE /documents/{hash}`: its author or the committee removes it (tombstone, 410).
"""

from __future__ import annotations

import threading
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError

from backend.api.deps import HASH_PATTERN
from backend.api.errors import errors
from backend.api.routes.texts import HASHES_PATTERN, IMMUTABLE, _hash_list
from backend.api.routes.vault import SessionDep, VaultDep, _client_ip
from backend.documents import store
from backend.documents.service import (Altered, DocumentStore, NotStored, Refused, Removed, TooManyWrites,
                                       WriteRefused)
from backend.vault.chain import ChainUnavailable

router = APIRouter(prefix="/documents", tags=["documents"])
_build_lock = threading.Lock()
HashPath = Annotated[str, Path(pattern=HASH_PATTERN, description="0x + 64 hex digits (any case)")]


def get_document_store(request: Request) -> DocumentStore:
    documents = getattr(request.app.state, "documents", None)
    if documents is None:
        with _build_lock:
            documents = getattr(request.app.state, "documents", None)
            if documents is None:
                try:
                    documents = DocumentStore(request.app.state.settings)
                except DBAPIError as exc:
                    raise HTTPException(status_code=503, detail="the document store's database is unavailable "
                                        f"({type(exc.orig).__name__})") from None
                request.app.state.documents = documents
    return documents


DocumentStoreDep = Annotated[DocumentStore, Depends(get_document_store)]


def _answer(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotStored as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except Altered as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except Removed as exc:
        raise HTTPException(status_code=410, detail=str(exc)) from None
    except Refused as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except WriteRefused as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    except TooManyWrites as exc:
        raise HTTPException(status_code=429, detail=str(exc),
                            headers={"Retry-After": str(max(1, int(exc.wait_s + 0.999)))}) from None
    except ChainUnavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    except DBAPIError as exc:
        raise HTTPException(status_code=503, detail=f"the document store's database is unavailable "
                            f"({type(exc.orig).__name__})") from None


class DocumentOut(BaseModel):
    doc_hash: str = Field(description="0x + sha256 of the file's bytes: the bytes32 on chain")
    size: int
    media_type: str = Field(description="As the file's own first bytes say")
    filename: str
    stored_by: str
    stored_at: int
    removed_at: int | None = None
    removed_as: str | None = None


class DocumentList(BaseModel):
    items: list[DocumentOut]
    missing: list[str]


def _out(row: store.StoredDocument) -> dict:
    return {"doc_hash": row.doc_hash, "size": row.size, "media_type": row.media_type, "filename": row.filename,
            "stored_by": row.stored_by, "stored_at": row.stored_at, "removed_at": row.removed_at,
            "removed_as": row.removed_as}


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes `limit` rather than read whole."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"the file is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail=f"the file is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("", response_model=DocumentOut, status_code=201,
             responses={200: {"model": DocumentOut, "description": "Already stored"}} | errors(
                 401, 403, 413, 429),
             summary="Store a document under its SHA-256 (signed-in members, committee, manager)")
async def store_document(request: Request, response: Response, session: SessionDep, vault: VaultDep,
                         documents: DocumentStoreDep,
                         filename: Annotated[str, Query(min_length=1, max_length=120,
                                                        description="A public name for downloads")]):
    content = await _body(request, documents.max_bytes)
    row, created = _answer(documents.write, vault, content, filename, session.address, _client_ip(request))
    if not created:
        response.status_code = 200
    return _out(row)


@router.get("", response_model=DocumentList, summary="What is stored under several hashes (anyone; no bytes)")
def describe_documents(documents: DocumentStoreDep, hashes: Annotated[str, Query(
        pattern=HASHES_PATTERN, max_length=100 * 67, description="Comma-separated hashes, at most 100")]):
    keys = _hash_list(hashes)
    found = _answer(documents.describe, keys)
    return {"items": [_out(found[k]) for k in keys if k in found], "missing": [k for k in keys if k not in found]}


@router.get("/{doc_hash}", summary="A document's bytes (anyone), checked against its hash first",
            responses={200: {"content": {"application/octet-stream": {}}}} | errors(
                404, 409, 410, e404="No document under this hash", e409="The stored bytes no longer match their hash"))
def read_document(documents: DocumentStoreDep, doc_hash: HashPath):
    row = _answer(documents.read, doc_hash.lower())
    disposition = f"inline; filename*=UTF-8''{quote(row.filename)}"
    return Response(row.content, media_type=row.media_type,
                    headers={"Cache-Control": IMMUTABLE, "Content-Disposition": disposition,
                             "X-Content-Type-Options": "nosniff", "ETag": f'"{row.doc_hash}"',
                             # A stored file is shown, never run: no script of a document's own.
                             "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"})


@router.delete("/{doc_hash}", response_model=DocumentOut, responses=errors(401, 403, 404, 410),
               summary="Remove a document's bytes (its author, or the owners' committee)")
def remove_document(session: SessionDep, vault: VaultDep, documents: DocumentStoreDep, doc_hash: HashPath):
    return _out(_answer(documents.remove, vault, doc_hash.lower(), session.address))
