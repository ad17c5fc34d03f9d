# SPDX-License-Identifier: AGPL-3.0-only
"""Public texts: what the chain knows only by a SHA-256 (a suggestion, an answer, a
service request's description, a dispute's reason, …), stored once under that hash.

- `POST /texts` {text, kind?}: a signed-in wallet (the vault's SIWE session, Bearer)
  that belongs to a community this server serves stores a text; the answer carries its
  key, 0x + sha256(UTF-8 text), which the page then sends in its transaction. The same
  text again answers the same row (200; 201 the first time).
- `POST /texts/retirement-notes` {text, community}: anyone stores the street office's note
  on a community's retirement, whose sha256 a DistrictRegistry's CommunityRetired event
  carries (`ape run district retire --api` sends it): the hash proves the words are the
  street office's, so no sign-in is asked. A hash no retirement of that community commits
  is refused (403), a community no indexed district lists too (404).
- `GET /texts/{text_hash}`, `GET /texts?hashes=h1,h2,…`: anyone reads them.
- `DELETE /texts/{text_hash}`: its author or the owners' committee (signed in) removes
  the words; the hash stays as a tombstone (who, as what, when) and reads of it answer
  410. After the committee's removal it cannot be stored again; after its author's,
  anyone with the same words may store them again (common wording cannot be blocked).

A stored text never changes (its key is its hash); it can only be removed. Bodies above
64 KiB are refused (413) before they are read; a wallet stores at most
LINLI_TEXTS_WRITES_PER_DAY texts a day (429) and the store at most
LINLI_TEXTS_MAX_TOTAL_BYTES (507).
"""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import DBAPIError

from backend.api.admission import retry_after
from backend.api.deps import ADDRESS_PATTERN, HASH_PATTERN
from backend.api.deps import SessionDep as IndexSessionDep
from backend.api.errors import errors
from backend.api.routes.vault import SessionDep, VaultDep, _client_ip
from backend.texts import store
from backend.texts.service import (RETIREMENT_NOTE, Altered, IndexUnavailable, NotCommitted, NotListed, NotStored,
                                   Removed, RemoveRefused, StoreFull, TextStore, TooManyWrites, WriteRefused,
                                   retirement_committer)
from backend.vault.chain import ChainUnavailable

# A text is at most 4,000 characters: 16,000 bytes of UTF-8, up to 48,000 as JSON escapes.
MAX_BODY_BYTES = 64 * 1024
router = APIRouter(prefix="/texts", tags=["texts"], max_body_size=MAX_BODY_BYTES)

BULK_MAX = 100
HASHES_PATTERN = rf"^0x[0-9a-fA-F]{{64}}(,0x[0-9a-fA-F]{{64}}){{0,{BULK_MAX - 1}}}$"
_build_lock = threading.Lock()
# A text's row never changes: a browser or proxy may keep it as long as it likes.
IMMUTABLE = "public, max-age=31536000, immutable"


def get_text_store(request: Request) -> TextStore:
    texts = getattr(request.app.state, "texts", None)
    if texts is not None:
        return texts
    with _build_lock:
        texts = getattr(request.app.state, "texts", None)
        if texts is None:
            try:
                texts = TextStore(request.app.state.settings)
            except DBAPIError as exc:
                raise HTTPException(status_code=503, detail="the text store's database is unavailable "
                                    f"({type(exc.orig).__name__})") from None
            request.app.state.texts = texts
    return texts


TextStoreDep = Annotated[TextStore, Depends(get_text_store)]


def _answer(fn, *args, **kwargs):
    """Run a store operation and turn its refusals into clear HTTP answers."""
    try:
        return fn(*args, **kwargs)
    except (NotStored, NotListed) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except Altered as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except Removed as exc:
        raise HTTPException(status_code=410, detail=str(exc)) from None
    except (WriteRefused, RemoveRefused, NotCommitted) as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    except TooManyWrites as exc:
        raise HTTPException(status_code=429, detail=str(exc), headers={"Retry-After": retry_after(exc.wait_s)}) \
            from None
    except StoreFull as exc:
        raise HTTPException(status_code=507, detail=str(exc)) from None
    except (ChainUnavailable, IndexUnavailable) as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    except DBAPIError as exc:  # the database is down or unreachable; no detail of the query leaks
        raise HTTPException(status_code=503, detail=f"the text store's database is unavailable "
                            f"({type(exc.orig).__name__})") from None


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=store.MAX_CHARS,
                      description="The text exactly as hashed on chain (not trimmed or normalised); public")
    kind: Literal[store.KINDS] | None = Field(default=None, description="What the text is for (advisory)")

    @field_validator("text")
    @classmethod
    def _storable(cls, value: str) -> str:
        problem = store.refusal(value)
        if problem:
            raise ValueError(problem)
        return value


class RetirementNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=store.MAX_CHARS,
                      description="The street office's note exactly as hashed on chain (not trimmed); public")
    community: str = Field(pattern=ADDRESS_PATTERN, description="The retired community (its HouseholdRegistry)")

    @field_validator("text")
    @classmethod
    def _storable(cls, value: str) -> str:
        return TextIn._storable(value)


class TextOut(BaseModel):
    text_hash: str = Field(description="0x + sha256 of the text's UTF-8 bytes: the bytes32 on chain")
    text: str
    kind: str | None
    stored_by: str = Field(description="The wallet that first stored it")
    stored_at: int = Field(description="When it was first stored (unix seconds)")


class RemovedOut(BaseModel):
    text_hash: str
    kind: str | None
    stored_by: str
    stored_at: int
    removed_at: int = Field(description="When its words were removed (unix seconds)")
    removed_by: str = Field(description="The wallet that removed them")
    removed_as: Literal[store.REMOVERS] = Field(description="author (who stored it) or committee")


class TextList(BaseModel):
    items: list[TextOut] = Field(description="The texts found, in the order asked")
    missing: list[str] = Field(description="Hashes with no text stored")
    altered: list[str] = Field(description="Hashes whose stored text fails its hash check (not served)")
    removed: list[RemovedOut] = Field(description="Hashes whose words were removed, with who removed them")


def _out(row: store.StoredText) -> dict:
    return {"text_hash": row.text_hash, "text": row.text, "kind": row.kind, "stored_by": row.stored_by,
            "stored_at": row.stored_at}


def _removed_out(row: store.StoredText) -> dict:
    return {"text_hash": row.text_hash, "kind": row.kind, "stored_by": row.stored_by, "stored_at": row.stored_at,
            "removed_at": row.removed_at, "removed_by": row.removed_by, "removed_as": row.removed_as}


def _hash_list(value: str) -> list[str]:
    """The distinct hashes of a `hashes` query (already matched against HASHES_PATTERN), lower case."""
    return list(dict.fromkeys(part.lower() for part in value.split(",")))


@router.post("", response_model=TextOut, status_code=201,
             responses={200: {"model": TextOut, "description": "Already stored: the first writer's row"},
                        **errors(400, 401, 403, 410, 413, 429, 507,
                                 e403="Not a member, committee member or manager of a community this server serves",
                                 e410="Removed by the owners' committee: it cannot be stored again",
                                 e429="Too many texts from this wallet (a minute, a day) or client")},
             summary="Store a public text under its SHA-256 (signed-in members, committee, manager)")
def store_text(body: TextIn, request: Request, response: Response, session: SessionDep, vault: VaultDep,
               texts: TextStoreDep):
    row, created = _answer(texts.write, vault, body.text, body.kind, session.address, _client_ip(request))
    if not created:
        response.status_code = 200
    return _out(row)


@router.post("/retirement-notes", response_model=TextOut, status_code=201,
             responses={200: {"model": TextOut, "description": "Already stored: the first writer's row"},
                        **errors(400, 403, 404, 410, 413, 429, 503, 507,
                                 e403="No retirement of this community commits the text's sha256 as its note",
                                 e404="No district registry indexed here lists this community",
                                 e410="Removed by the owners' committee: it cannot be stored again",
                                 e429="Too many texts from this client, or for this registry, in a minute")},
             summary="Store the street office's note on a community's retirement (anyone: its hash is on chain)")
def store_retirement_note(body: RetirementNoteIn, request: Request, response: Response, index: IndexSessionDep,
                          vault: VaultDep, texts: TextStoreDep):
    community = body.community.lower()
    recent = request.app.state.settings.max_block_range
    row, created = _answer(texts.write_committed, body.text, RETIREMENT_NOTE, _client_ip(request),
                           lambda key: retirement_committer(index, vault, community, key, recent))
    if not created:
        response.status_code = 200
    return _out(row)


@router.get("", response_model=TextList, summary="Several public texts by their hashes (anyone)")
def read_texts(texts: TextStoreDep, hashes: Annotated[str, Query(
        pattern=HASHES_PATTERN, max_length=BULK_MAX * 67,
        description=f"Comma-separated hashes (0x + 64 hex digits, any case), at most {BULK_MAX}")]):
    found, missing, altered, removed = _answer(texts.read_many, _hash_list(hashes))
    return {"items": [_out(row) for row in found], "missing": missing, "altered": altered,
            "removed": [_removed_out(row) for row in removed]}


@router.get("/{text_hash}", response_model=TextOut, responses=errors(404, 409, 410, e409="The stored text "
            "fails its hash check: not served"), summary="One public text by its hash (anyone)")
def read_text(texts: TextStoreDep, response: Response,
              text_hash: Annotated[str, Path(pattern=HASH_PATTERN, description="0x + 64 hex digits (any case)")]):
    row = _answer(texts.read, text_hash.lower())
    response.headers["Cache-Control"] = IMMUTABLE
    return _out(row)


@router.delete("/{text_hash}", response_model=RemovedOut,
               responses=errors(401, 403, 404, e404="No text under this hash",
                                e403="Neither its author nor the committee"),
               summary="Remove a public text's words (its author, or the owners' committee)")
def remove_text(session: SessionDep, vault: VaultDep, texts: TextStoreDep,
                text_hash: Annotated[str, Path(pattern=HASH_PATTERN, description="0x + 64 hex digits (any case)")]):
    return _removed_out(_answer(texts.remove, vault, text_hash.lower(), session.address))
