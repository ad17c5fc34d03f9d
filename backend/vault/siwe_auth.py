"""Sign-In with Ethereum (EIP-4361, the `siwe` package) and the vault's sessions.

- The server issues a nonce for an address; it is single use and expires
  (vault_nonce_lifetime_s). Consuming it is one conditional UPDATE, so two logins
  racing with the same signed message cannot both succeed.
- A login verifies the message's domain, URI, chain id, nonce, issued-at, expiration
  and not-before, then the signature: an externally owned account's, or a contract
  account's by EIP-1271 (`isValidSignature` on the chain, when the vault passes its node):
  a resident's passkey account signs in with an assertion of its phone's passkey. An
  account the factory has not created yet has no code to ask: the vault then needs the
  passkey's public key with the sign-in, accepts it only if a factory of its manifests
  derives the claimed address from that key, and checks the assertion off the chain
  exactly as the account will (backend/vault/passkey_signature.py).
- A session token is 32 random bytes sent as a Bearer token; the database keeps only
  its SHA-256, with an expiry (vault_session_lifetime_s from the sign-in) and a
  revocation time (logout). The message's Expiration Time is when the *message* may no
  longer be used to sign in (the nonce's lifetime), not the session's end: taken as the
  session's, it cut the documented hour to five minutes.
- The statement, the one line of the message in words, is in the resident's language.
  EIP-4361 asks for ASCII there; the Chinese statement is the one exception the vault
  makes and accepts back (every other field stays as the standard has it, so wallets
  such as MetaMask, whose parser takes any statement, still show a sign-in request).
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

from eth_abi import decode, encode
from eth_account.messages import encode_defunct
from eth_utils import function_signature_to_4byte_selector, keccak
from sqlalchemy import Connection, delete, insert, select, update
from web3 import Web3

from backend.vault import passkey_signature
from backend.vault.models import sessions, siwe_nonces

with warnings.catch_warnings():
    # abnf warns while siwe's grammar loads (it redefines RFC 5234 core rules the same way).
    warnings.simplefilter("ignore")
    from siwe import SiweMessage
    from siwe.siwe import (DomainMismatch, ExpiredMessage, InvalidSignature, NotYetValidMessage,
                           VerificationError, check_contract_wallet_signature)

NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 24  # ~143 bits; EIP-4361 asks for at least 8 alphanumerics
STATEMENTS = {
    "en": "Sign in to the Linli vault to read and manage personal data.",
    "zh": "登录邻里个人资料库，查看和管理您的个人资料。",
}
LANGUAGES = tuple(STATEMENTS)
STATEMENT = STATEMENTS["en"]
# A message issued further than this in the future (clock skew) is refused.
MAX_ISSUED_AHEAD_S = 60


class SignInError(Exception):
    """A login refused (401), with the reason in words."""


class PasskeyKeyNeeded(SignInError):
    """A passkey account not yet on the chain signed in without its key (400)."""


ACCOUNT_ADDRESS = function_signature_to_4byte_selector("account_address(uint256,uint256)")


@dataclass(frozen=True)
class Session:
    address: str  # lower case
    expires_at: int
    token_hash: str


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_nonce(conn: Connection, address: str, now: int, lifetime_s: int) -> tuple[str, int]:
    """A fresh nonce bound to `address` (lower case); also drops nonces long expired."""
    conn.execute(delete(siwe_nonces).where(siwe_nonces.c.expires_at < now - 86400))
    nonce = "".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH))
    expires = now + lifetime_s
    conn.execute(insert(siwe_nonces).values(nonce=nonce, address=address, issued_at=now, expires_at=expires))
    return nonce, expires


def prepare_message(*, domain: str, uri: str, chain_id: int, address_checksum: str, nonce: str, now: int,
                    expires_at: int, language: str = "en") -> str:
    """The EIP-4361 text a wallet signs, as the vault expects it, its statement in `language`."""
    return SiweMessage(
        domain=domain, address=address_checksum, statement=STATEMENTS[language], uri=uri, version="1",
        chain_id=chain_id, nonce=nonce, issued_at=_iso(now), expiration_time=_iso(expires_at),
    ).prepare_message()


def parse_message(text: str) -> SiweMessage:
    """Parse an EIP-4361 message; ValueError when it is not one. The standard's grammar
    first; a message it refuses only for carrying one of the vault's own non-ASCII
    statements is read with siwe's regular-expression parser (same fields, any statement)."""
    try:
        return SiweMessage.from_message(text)
    except Exception as exc:  # the ABNF parser and pydantic raise several kinds
        refused = exc
    try:
        message = SiweMessage.from_message(text, abnf=False)
    except Exception:
        message = None
    if message is not None and message.statement in STATEMENTS.values() and not message.statement.isascii():
        return message
    raise ValueError(f"not an EIP-4361 message: {type(refused).__name__}") from None


def verify_login(conn: Connection, message: SiweMessage, signature: str, *, domain: str, uri: str, chain_id: int,
                 now: int, provider=None, passkey_key: tuple[int, int] | None = None,
                 passkey_factories: tuple[str, ...] = ()) -> str:
    """Check a signed message and consume its nonce; returns the signer's address (lower case).
    With `provider` (a web3 provider of the community's chain), a signature that is no
    account's ECDSA signature is asked of the address as a contract (EIP-1271); when the
    address has no code yet, it must be the account one of `passkey_factories` derives from
    `passkey_key` (x, y), and the assertion that key's (`_check_counterfactual`)."""
    address = message.address.lower()
    # Consume the nonce first, whatever follows: a nonce is tried once, never twice.
    consumed = conn.execute(
        update(siwe_nonces)
        .where(siwe_nonces.c.nonce == message.nonce, siwe_nonces.c.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    row = conn.execute(select(siwe_nonces).where(siwe_nonces.c.nonce == message.nonce)).mappings().first()
    if row is None:
        raise SignInError("unknown nonce: ask POST /vault/siwe/nonce for one")
    if not consumed:
        raise SignInError("this nonce was already used: sign in again with a new one")
    if row["expires_at"] <= now:
        raise SignInError("the nonce has expired: sign in again with a new one")
    if row["address"] != address:
        raise SignInError("the nonce was issued for another address")
    if message.domain != domain:
        raise SignInError(f"the message is for domain {message.domain!r}, not {domain!r}")
    if message.uri != uri:
        raise SignInError(f"the message is for URI {message.uri!r}, not {uri!r}")
    if message.chain_id != chain_id:
        raise SignInError(f"the message is for chain {message.chain_id}, not {chain_id}")
    try:
        issued = message.issued_at._datetime.timestamp()
    except (TypeError, ValueError):
        raise SignInError("the message's Issued At is not a valid time") from None
    if issued > now + MAX_ISSUED_AHEAD_S:
        raise SignInError("the message was issued in the future")
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    if provider is not None and len(signature) != 2 + 2 * 65:
        # A contract account's signature (a passkey account's WebAuthn assertion). siwe refuses
        # a signature of any length but 65 before it would ask the contract, so the vault
        # checks the message's times as siwe does (domain and nonce are checked above), then
        # asks the account on the chain: isValidSignature(EIP-191 hash of the message, signature).
        if message.expiration_time is not None and moment >= message.expiration_time._datetime:
            raise SignInError("the message has expired")
        if message.not_before is not None and moment <= message.not_before._datetime:
            raise SignInError("the message is not valid yet (Not Before)")
        w3 = Web3(provider)
        try:
            code = w3.eth.get_code(message.address)
        except Exception:  # the node did not answer
            raise SignInError("the account's code cannot be read from the chain") from None
        if not code:
            _check_counterfactual(w3, message, signature, chain_id, passkey_key, passkey_factories)
            return address
        try:
            valid = check_contract_wallet_signature(address=message.address,
                                                    message=encode_defunct(text=message.prepare_message()),
                                                    signature=signature, w3=Web3(provider))
        except Exception:  # the node did not answer, or the account's answer is not an EIP-1271 one
            raise SignInError("the account's signature cannot be checked on the chain") from None
        if not valid:
            raise SignInError("the signature is not the account's signature of this message (EIP-1271)")
        return address
    try:
        message.verify(signature, domain=domain, nonce=row["nonce"], timestamp=moment, provider=provider)
    except ExpiredMessage:
        raise SignInError("the message has expired") from None
    except NotYetValidMessage:
        raise SignInError("the message is not valid yet (Not Before)") from None
    except DomainMismatch:
        raise SignInError("the message is for another domain") from None
    except InvalidSignature:
        raise SignInError("the signature is not the address's signature of this message") from None
    except VerificationError:
        raise SignInError("the message does not verify") from None
    except Exception:  # malformed signature bytes, naive datetimes in the message
        raise SignInError("the signature or the message's times cannot be checked") from None
    return address


def _check_counterfactual(w3: Web3, message: SiweMessage, signature: str, chain_id: int,
                          passkey_key: tuple[int, int] | None, factories: tuple[str, ...]) -> None:
    """A passkey account's sign-in before the factory created it: the key (x, y) sent with
    it must be the one a factory of the vault's manifests derives the address from (the
    only key the account will have when it is created), the assertion must be by that key,
    and it must verify as `isValidSignature` will verify it (passkey_signature.py)."""
    account = message.address
    if passkey_key is None:
        raise PasskeyKeyNeeded(
            f"the account {account} is not on the chain yet (it has no code), so it cannot answer for a contract "
            "account's signature (EIP-1271; a wallet's is 65 bytes): if it is a passkey account, send its passkey's "
            "public key (passkey: {x, y}) with the sign-in, so the vault can check that the passkey account factory "
            "derives this address from it")
    if not factories:
        raise SignInError(f"the account {account} is not on the chain yet and this vault knows no passkey account "
                          "factory to derive it from a key")
    try:
        assertion = passkey_signature.decode_assertion(bytes.fromhex(signature[2:]))
    except (ValueError, passkey_signature.NotAnAssertion) as exc:
        raise SignInError(f"the signature is not a passkey account's: {exc}") from None
    if (assertion.x, assertion.y) != tuple(passkey_key):
        raise SignInError("the assertion is not by the passkey sent with the sign-in")
    call = ACCOUNT_ADDRESS + encode(["uint256", "uint256"], list(passkey_key))
    derived = set()
    for factory in factories:
        try:
            answer = bytes(w3.eth.call({"to": factory, "data": "0x" + call.hex()}))
            derived.add(decode(["address"], answer)[0].lower())
        except Exception:  # the node did not answer, or no factory at that address
            raise SignInError("the passkey account factory cannot be read from the chain") from None
    if account.lower() not in derived:
        raise SignInError(f"the passkey sent is not the key of {account}: the factory derives another account "
                          "from it")
    body = message.prepare_message().encode()
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(body)).encode() + body)  # EIP-191
    rule = passkey_signature.rule_broken(account, chain_id, digest, assertion)
    if rule is not None:
        raise SignInError(f"the signature is not the account's passkey signature of this message ({rule})")


def open_session(conn: Connection, address: str, chain_id: int, now: int, lifetime_s: int) -> tuple[str, int]:
    """A new session token for `address`; returns the token (shown once) and its expiry,
    `lifetime_s` from now (the signed message's own expiry bounded the sign-in, not this)."""
    expires = now + lifetime_s
    token = secrets.token_urlsafe(32)
    conn.execute(insert(sessions).values(token_hash=token_hash(token), address=address, chain_id=chain_id,
                                         created_at=now, expires_at=expires))
    conn.execute(delete(sessions).where(sessions.c.expires_at < now - 86400))
    return token, expires


def session_for(conn: Connection, token: str, now: int) -> Session | None:
    """The live session of a token, or None (unknown, expired or logged out)."""
    digest = token_hash(token)
    row = conn.execute(select(sessions).where(sessions.c.token_hash == digest)).mappings().first()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    return Session(row["address"], row["expires_at"], digest)


def close_session(conn: Connection, digest: str, now: int) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == digest).values(revoked_at=now))


class RateLimiter:
    """At most `limit` hits per key in any window of `window_s` seconds (per process)."""

    def __init__(self, limit: int, window_s: float = 60.0, clock=time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, *keys: str) -> float | None:
        """Count one hit on every key; the seconds to wait if any key is over its limit, else None."""
        now = self._clock()
        with self._lock:
            wait = None
            for key in keys:
                hits = self._hits.setdefault(key, deque())
                while hits and hits[0] <= now - self.window_s:
                    hits.popleft()
                if len(hits) >= self.limit:
                    wait = max(wait or 0.0, hits[0] + self.window_s - now)
            if wait is not None:
                return wait
            for key in keys:
                self._hits[key].append(now)
            if len(self._hits) > 100_000:  # bound the memory an address-spraying client can take
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window_s}
            return None
