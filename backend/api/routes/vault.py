"""The personal-data vault: Sign-In with Ethereum, a resident's own data, grantees' logged
reads, the committee's commitment check.

Unlike the read-only index routes these write, take a session (Bearer token from
POST /vault/siwe/login) and answer from the vault's own database, never the index.
No route returns plaintext except the resident's own view and a grantee's read that
DataConsent has logged on chain.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator
from sqlalchemy.exc import DBAPIError

from backend.api.admission import retry_after
from backend.api.deps import ADDRESS_PATTERN
from backend.api.errors import errors
from backend.vault.chain import ChainUnavailable
from backend.vault.crypto import VaultKeyError
from backend.vault.fields import FIELDS, SCOPE_FIELDS, resolve_scope, scope_id
from backend.vault.service import Conflict, Forbidden, NotFound, TooManyAttempts, Vault
from backend.vault.siwe_auth import LANGUAGES, PasskeyKeyNeeded, Session, SignInError, parse_message

router = APIRouter(prefix="/vault", tags=["vault"])

_build_lock = threading.Lock()
_bearer = HTTPBearer(auto_error=False, description="Session token from POST /api/v1/vault/siwe/login")


def _no_control_characters(value: str | None) -> str | None:
    if value is None:
        return value
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("control characters (line breaks, tabs, …) are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from JSON "\ud800"
        raise ValueError("text must be valid Unicode") from None
    return value


# ---------------------------------------------------------------- dependencies


def get_vault(request: Request) -> Vault:
    vault = getattr(request.app.state, "vault", None)
    if vault is not None:
        return vault
    with _build_lock:
        vault = getattr(request.app.state, "vault", None)
        if vault is None:
            try:
                vault = Vault(request.app.state.settings)
            except (VaultKeyError, ChainUnavailable) as exc:
                raise HTTPException(status_code=503, detail=f"the vault is not configured: {exc}") from None
            request.app.state.vault = vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]


def require_session(vault: VaultDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                    ) -> Session:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status_code=401, detail="sign in with Ethereum first: Authorization: Bearer <token>",
                            headers=unauthorized)
    token = credentials.credentials
    session = _answer(vault.session, token) if 20 <= len(token) <= 100 else None
    if session is None:
        raise HTTPException(status_code=401, detail="the session is unknown, expired or logged out: sign in again",
                            headers=unauthorized)
    return session


SessionDep = Annotated[Session, Depends(require_session)]
CommunityPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The community (registry address)")]
ResidentPath = Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The resident's wallet")]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _rate_limit(vault: Vault, *keys: str) -> None:
    wait = vault.login_limiter.hit(*keys)
    if wait is not None:
        raise HTTPException(status_code=429, detail="too many sign-in attempts: wait a minute",
                            headers={"Retry-After": retry_after(wait)})


def _answer(fn, *args, **kwargs) -> Any:
    """Run a vault operation and turn its refusals into clear HTTP answers."""
    try:
        return fn(*args, **kwargs)
    except TooManyAttempts as exc:
        raise HTTPException(status_code=429, detail=str(exc), headers={"Retry-After": retry_after(exc.wait_s)}) \
            from None
    except PasskeyKeyNeeded as exc:  # a request short of what it needs, not a wrong signature
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except SignInError as exc:
        raise HTTPException(status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    except Forbidden as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except Conflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except ChainUnavailable as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    except DBAPIError as exc:  # the vault database is down or unreachable; no detail of the query leaks
        raise HTTPException(status_code=503, detail=f"the vault database is unavailable ({type(exc.orig).__name__})") \
            from None


# ---------------------------------------------------------------- bodies and answers


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NonceRequest(_Body):
    address: str = Field(pattern=ADDRESS_PATTERN, description="The wallet that will sign in")
    language: Literal[LANGUAGES] = Field(default="en", description="The language of the message's statement, the "
                                         "line the wallet shows the resident: en or zh")


class NonceOut(BaseModel):
    nonce: str
    expires_at: int
    domain: str
    uri: str
    chain_id: int
    statement: str
    message: str = Field(description="A ready EIP-4361 message for this nonce; sign it with personal_sign")


class PasskeyKeyIn(_Body):
    """A passkey's public key (P-256), 0x-hex, as the page keeps it."""

    x: str = Field(pattern=r"^0x[0-9a-fA-F]{1,64}$")
    y: str = Field(pattern=r"^0x[0-9a-fA-F]{1,64}$")


class LoginRequest(_Body):
    message: str = Field(min_length=1, max_length=4096, description="The signed EIP-4361 message")
    signature: str = Field(pattern=r"^0x(?:[0-9a-fA-F]{2}){65,2048}$", max_length=2 + 2 * 2048,
                           description="0x-hex: a wallet's 65-byte personal_sign signature, or a contract "
                                       "account's EIP-1271 signature (a passkey account's ABI-encoded WebAuthn "
                                       "assertion, at most 2,048 bytes)")
    passkey: PasskeyKeyIn | None = Field(
        default=None, description="A passkey account's public key (x, y). Needed only while the account is not on "
                                  "the chain yet: the vault then checks that the factory derives the address from "
                                  "this key and verifies the assertion as the account will")


class SessionOut(BaseModel):
    token: str
    token_type: str
    address: str
    expires_at: int


class SessionInfo(BaseModel):
    address: str
    expires_at: int


class ScopeOut(BaseModel):
    scope: str
    scope_id: str
    fields: list[str]


class AccessLogEntry(BaseModel):
    id: int
    grantee: str
    scope: str
    fields: list[str]
    purpose: str | None
    purpose_hash: str
    grant_version: int
    tx_hash: str
    block_number: int
    accessed_at: int
    served_at: int


class ProfileOut(BaseModel):
    community: str
    resident: str
    fields: dict[str, str]
    unreadable: list[str] = Field(description="Fields stored but failing their integrity check")
    updated_at: int | None
    access_log: list[AccessLogEntry] = Field(description="Reads served to grantees, newest first")


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next_cursor: str | None


def _profile_field(spec) -> tuple[Any, Any]:
    return (str | None, Field(default=None, min_length=1, max_length=spec.max_length, pattern=spec.pattern,
                              description=f"{spec.description}; null erases it"))


class _ProfileBase(_Body):
    @field_validator("*")
    @classmethod
    def _plain_text(cls, value):
        return _no_control_characters(value)

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("name at least one field to set (or null to erase)")
        return self


ProfileUpdate = create_model("ProfileUpdate", __base__=_ProfileBase,
                             **{name: _profile_field(spec) for name, spec in FIELDS.items()})


class ReadRequest(_Body):
    scope: str = Field(min_length=1, max_length=66,
                       description="A scope name (phone, contact, …) or its keccak256 id (0x + 64 hex)")
    purpose: str = Field(min_length=1, max_length=200,
                         description="Why you read it, in words; its keccak256 goes on chain with the log")

    @field_validator("scope")
    @classmethod
    def _known_scope(cls, value: str) -> str:
        name = resolve_scope(value)
        if name is None:
            raise ValueError(f"the vault serves no scope {value!r}; see GET /api/v1/vault/scopes")
        return name

    @field_validator("purpose")
    @classmethod
    def _plain_purpose(cls, value: str) -> str:
        return _no_control_characters(value)


class ReadOut(BaseModel):
    community: str
    resident: str
    grantee: str
    scope: str
    scope_id: str
    fields: dict[str, str]
    tx_hash: str = Field(description="The log_access transaction, mined before this answer")
    block_number: int
    grant_version: int
    purpose_hash: str
    accessed_at: int


class CommitmentCheckOut(BaseModel):
    community: str
    resident: str
    result: str = Field(description="match | mismatch | no_data | not_registered | unreadable")
    registered_as: str | None = Field(description="owner | resident | null")
    chain_commitment: str | None


# ---------------------------------------------------------------- scopes and sign-in


@router.get("/scopes", response_model=list[ScopeOut], summary="Scopes a grant can name, and the fields each opens")
def scopes():
    return [{"scope": name, "scope_id": "0x" + scope_id(name).hex(), "fields": list(fields)}
            for name, fields in SCOPE_FIELDS.items()]


# Sign-in limits count what a request proves: its client address (the connection, or a
# proxy the operator trusts) always; a wallet only once it has signed. Asking for a nonce
# naming a wallet proves nothing, so it counts against the client alone: twenty of them
# used to lock the wallet's owner out for a minute.


@router.post("/siwe/nonce", response_model=NonceOut, responses=errors(400, 413, 429),
             summary="A single-use sign-in nonce for an address")
def siwe_nonce(body: NonceRequest, request: Request, vault: VaultDep):
    _rate_limit(vault, f"ip:{_client_ip(request)}")
    return _answer(vault.issue_nonce, body.address, body.language, request.headers.get("host"))


@router.post("/siwe/login", response_model=SessionOut, responses=errors(400, 401, 413, 429),
             summary="Exchange a signed EIP-4361 message for a session")
def siwe_login(body: LoginRequest, request: Request, vault: VaultDep):
    _rate_limit(vault, f"ip:{_client_ip(request)}")
    try:
        parse_message(body.message)
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("body", "message"), "msg": str(exc), "type": "value_error",
                                       "input": None}]) from None
    # The wallet's own limit is counted by the vault once the signature is checked.
    key = (int(body.passkey.x, 16), int(body.passkey.y, 16)) if body.passkey else None
    return _answer(vault.login, body.message, body.signature, key)


@router.post("/siwe/logout", status_code=204, response_class=Response, responses=errors(401),
             summary="End this session")
def siwe_logout(session: SessionDep, vault: VaultDep):
    _answer(vault.logout, session)
    return Response(status_code=204)


@router.get("/session", response_model=SessionInfo, responses=errors(401), summary="Who this session is, until when")
def session_info(session: SessionDep):
    return {"address": session.address, "expires_at": session.expires_at}


# ---------------------------------------------------------------- the resident's own data


@router.get("/communities/{community}/profile", response_model=ProfileOut,
            responses=errors(401, 404),
            summary="The signed-in resident's own data and who read it")
def own_profile(community: CommunityPath, session: SessionDep, vault: VaultDep,
                log_limit: Annotated[int, Query(ge=0, le=500, description="Access log entries")] = 50):
    return _answer(vault.own_profile, community, session.address, log_limit)


@router.put("/communities/{community}/profile", response_model=ProfileOut,
            responses=errors(400, 401, 403, 404, 413),
            summary="Set (or erase with null) fields of the signed-in resident's own data")
def write_profile(community: CommunityPath, body: ProfileUpdate, session: SessionDep, vault: VaultDep):  # type: ignore[valid-type]
    values = {name: getattr(body, name) for name in body.model_fields_set}
    return _answer(vault.write_profile, community, session.address, values)


@router.delete("/communities/{community}/profile", status_code=204, response_class=Response,
               responses=errors(401, 404), summary="Erase all of the signed-in resident's data (the access log stays)")
def erase_profile(community: CommunityPath, session: SessionDep, vault: VaultDep):
    _answer(vault.erase_profile, community, session.address)
    return Response(status_code=204)


@router.get("/communities/{community}/profile/access-log", response_model=AccessLogPage,
            responses=errors(401, 404), summary="Reads served from the signed-in resident's data, newest first")
def access_log(community: CommunityPath, session: SessionDep, vault: VaultDep,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="next_cursor")] = None):
    items = _answer(vault.access_log, community, session.address, limit + 1, int(cursor) if cursor else None)
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next_cursor": str(items[-1]["id"]) if more else None}


# ---------------------------------------------------------------- grantees and the committee


@router.post("/communities/{community}/residents/{resident}/reads", response_model=ReadOut,
             responses=errors(400, 401, 403, 404, 409, 413, 429, e403="No live grant for the scope, or DataConsent "
                              "refused the log", e409="Stored data failed its integrity check; nothing served",
                              e429="Too many reads by this grantee (a minute) or of this resident (a day)"),
             summary="A grantee reads one scope of a resident's data; logged on chain before the answer")
def grantee_read(community: CommunityPath, resident: ResidentPath, body: ReadRequest, session: SessionDep,
                 vault: VaultDep):
    resident = resident.lower()
    served = _answer(vault.grantee_read, community, resident, session.address, body.scope, body.purpose)
    return {"community": community.lower(), "resident": resident, "grantee": session.address, "scope": body.scope,
            "scope_id": "0x" + scope_id(body.scope).hex(), "fields": served.fields, "tx_hash": served.tx_hash,
            "block_number": served.block_number, "grant_version": served.grant_version,
            "purpose_hash": served.purpose_hash, "accessed_at": served.accessed_at}


@router.get("/communities/{community}/residents/{resident}/commitment", response_model=CommitmentCheckOut,
            responses=errors(401, 403, 404),
            summary="Committee: does the vault's ID number and salt give the registry's commitment?")
def commitment_check(community: CommunityPath, resident: ResidentPath, session: SessionDep, vault: VaultDep):
    return _answer(vault.commitment_check, community, resident.lower(), session.address)

