"""The vault: what each endpoint does, independent of HTTP.

One `Vault` per API process, built on the first vault request (so an API that never
serves the vault opens neither its database nor its key). Errors are typed so the
routes turn each into a clear 4xx/503, never a 500:

- SignInError (401), Forbidden (403), NotFound (404), Conflict (409),
  ChainUnavailable (503).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from eth_utils import to_checksum_address
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from backend.core.config import PROJECT_ROOT, Settings
from backend.identity import identity_commitment
from backend.vault import siwe_auth, store
from backend.vault.chain import AccessRefused, ChainUnavailable, CommunityContracts, VaultChain, load_communities, \
    manifests_for
from backend.vault.crypto import KeyRing, load_keyring
from backend.vault.db import make_vault_engine, upgrade
from backend.vault.fields import SCOPE_FIELDS, purpose_hash, scope_id

log = logging.getLogger("linli.vault")


class Forbidden(Exception):
    """Authenticated, but not allowed (403)."""


class NotFound(Exception):
    """No such community or no such data (404)."""


class Conflict(Exception):
    """The stored data cannot be served as it is (409)."""


class TooManyAttempts(Exception):
    """Over a limit of the wallet's own (429); `wait_s` until the next attempt would count."""

    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


@dataclass
class ServedRead:
    fields: dict[str, str]
    tx_hash: str
    block_number: int
    grant_version: int
    purpose_hash: str
    accessed_at: int


class Vault:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time,
                 keyring: KeyRing | None = None):
        self.settings = settings
        self.clock = clock
        self.communities = load_communities(manifests_for(settings, PROJECT_ROOT))
        self.keys = keyring or load_keyring(settings, [c.chain_id for c in self.communities.values()])
        upgrade(settings.vault_database_url)
        self.engine: Engine = make_vault_engine(settings.vault_database_url, pool_size=settings.pool_size(),
                                                    max_overflow=0, pool_timeout=settings.api_pool_timeout_s)
        logger_key = settings.vault_logger_key.get_secret_value() if settings.vault_logger_key else None
        self.chain = VaultChain(settings.rpc_url, logger_key, timeout_s=settings.rpc_timeout_s,
                                receipt_timeout_s=settings.vault_receipt_timeout_s)
        self.login_limiter = siwe_auth.RateLimiter(settings.vault_login_rate_per_minute)
        # A grantee's reads: each one a log_access transaction paid by the vault and a line in
        # the resident's access log.
        self.reads_per_grantee = siwe_auth.RateLimiter(settings.vault_reads_per_grantee_per_minute, 60.0)
        self.reads_per_resident = siwe_auth.RateLimiter(settings.vault_reads_per_resident_per_day, 86_400.0)

    def now(self) -> int:
        return int(self.clock())

    def close(self) -> None:
        self.engine.dispose()

    def community(self, community: str) -> CommunityContracts:
        contracts = self.communities.get(community.lower())
        if contracts is None:
            raise NotFound(f"community {community.lower()} is not served by this vault")
        return contracts

    # ------------------------------------------------------------ sign-in

    def siwe_origins(self) -> dict[str, str]:
        """host[:port] -> URI of every origin a sign-in may name: the configured one first."""
        origins = {self.settings.vault_siwe_domain: self.settings.vault_siwe_uri}
        for uri in self.settings.vault_siwe_also:
            origins.setdefault(urlsplit(uri).netloc, uri)
        return origins

    def issue_nonce(self, address: str, language: str = "en", host: str | None = None) -> dict:
        """A nonce and the message to sign, naming the origin the page was opened at (`host`,
        the request's Host) when it is one of the vault's, else the configured one."""
        origins = self.siwe_origins()
        domain = host if host in origins else self.settings.vault_siwe_domain
        uri = origins[domain]
        chain_id = self.chain.chain_id()
        now = self.now()
        with self.engine.begin() as conn:
            nonce, expires = siwe_auth.issue_nonce(conn, address.lower(), now, self.settings.vault_nonce_lifetime_s)
        message = siwe_auth.prepare_message(
            domain=domain, uri=uri, chain_id=chain_id,
            address_checksum=to_checksum_address(address), nonce=nonce, now=now, expires_at=expires,
            language=language)
        return {"nonce": nonce, "expires_at": expires, "domain": domain, "uri": uri, "chain_id": chain_id,
                "statement": siwe_auth.STATEMENTS[language], "message": message}

    def login(self, message_text: str, signature: str, passkey_key: tuple[int, int] | None = None) -> dict:
        """A session for the message's signer. `passkey_key` (x, y): a passkey account's key,
        needed only while the factory has not created the account (nothing on the chain
        answers for it yet, siwe_auth._check_counterfactual)."""
        message = siwe_auth.parse_message(message_text)  # ValueError -> 422
        chain_id = self.chain.chain_id()
        now = self.now()
        # The factories of this chain's communities: each derives passkey accounts' addresses.
        factories = tuple(sorted({c.passkey_factory for c in self.communities.values()
                                  if c.passkey_factory and c.chain_id == chain_id}))
        with self.engine.begin() as conn:
            try:
                # The node lets a contract account (a resident's passkey account) sign in by EIP-1271.
                # The message names one of the vault's origins (the configured one by default).
                origins = self.siwe_origins()
                domain = message.domain if message.domain in origins else self.settings.vault_siwe_domain
                address = siwe_auth.verify_login(conn, message, signature, domain=domain,
                                                 uri=origins[domain], chain_id=chain_id, now=now,
                                                 provider=self.chain.w3.provider, passkey_key=passkey_key,
                                                 passkey_factories=factories)
            except siwe_auth.SignInError as exc:
                refused = exc  # leave the block normally: the consumed nonce is committed
            else:
                # The signature proved the wallet: only now does the attempt count against it.
                wait = self.login_limiter.hit(f"addr:{address}")
                if wait is not None:
                    refused = TooManyAttempts("too many sign-ins for this wallet: wait a minute", wait)
                else:
                    token, expires = siwe_auth.open_session(conn, address, chain_id, now,
                                                            self.settings.vault_session_lifetime_s)
                    log.info("vault sign-in %s", address)
                    return {"token": token, "token_type": "bearer", "address": address, "expires_at": expires}
        raise refused

    def session(self, token: str) -> siwe_auth.Session | None:
        with self.engine.connect() as conn:
            return siwe_auth.session_for(conn, token, self.now())

    def logout(self, session: siwe_auth.Session) -> None:
        with self.engine.begin() as conn:
            siwe_auth.close_session(conn, session.token_hash, self.now())

    # ------------------------------------------------------------ the resident's own data

    def own_profile(self, community: str, resident: str, log_limit: int) -> dict:
        key = self.community(community).community
        with self.engine.connect() as conn:
            profile = store.read_fields(conn, self.keys, key, resident)
            reads = store.served_reads_of(conn, self.keys, key, resident, log_limit)
        return {"community": key, "resident": resident, "fields": profile.values, "unreadable": profile.unreadable,
                "updated_at": profile.updated_at, "access_log": reads}

    def access_log(self, community: str, resident: str, limit: int, before_id: int | None) -> list[dict]:
        key = self.community(community).community
        with self.engine.connect() as conn:
            return store.served_reads_of(conn, self.keys, key, resident, limit, before_id=before_id)

    def write_profile(self, community: str, resident: str, values: dict[str, str | None]) -> dict:
        contracts = self.community(community)
        if not self.chain.is_member(contracts, resident):
            raise Forbidden("only a current owner or linked resident of this community keeps data in its vault")
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    store.put_fields(conn, self.keys, contracts.community, resident, values, self.now())
                break
            except IntegrityError:
                # Two writes of the same new field raced to insert it: the second one updates.
                if attempt == 2:
                    raise
        log.info("vault profile of %s updated: fields %s", resident, ",".join(sorted(values)))
        return self.own_profile(community, resident, log_limit=0)

    def erase_profile(self, community: str, resident: str) -> int:
        key = self.community(community).community
        with self.engine.begin() as conn:
            return store.erase_fields(conn, key, resident)

    # ------------------------------------------------------------ a grantee's read

    def grantee_read(self, community: str, resident: str, grantee: str, scope: str, purpose: str) -> ServedRead:
        """Serve one scope of a resident's data to a grantee, logged on chain first."""
        contracts = self.community(community)
        # Counted per signed-in grantee, before anything is read or logged.
        for limit, key, what in ((self.reads_per_grantee, grantee, "reads a minute"),
                                 (self.reads_per_resident, f"{grantee}:{contracts.community}:{resident}",
                                  "reads of this resident's data a day")):
            wait = limit.hit(key)
            if wait is not None:
                raise TooManyAttempts(f"too many {what}: try again later; nothing was read or logged", wait)
        scope_bytes = scope_id(scope)
        fields = SCOPE_FIELDS[scope]
        refusal = self.chain.grant_refusal(contracts, resident, grantee, scope_bytes)
        if refusal is not None:
            raise Forbidden(f"no live grant for scope {scope!r}: {refusal}")
        with self.engine.connect() as conn:
            profile = store.read_fields(conn, self.keys, contracts.community, resident, only=fields)
        if profile.unreadable:
            raise Conflict(f"stored field(s) {', '.join(profile.unreadable)} failed their integrity check; "
                           "nothing was served or logged")
        if not profile.values:
            raise NotFound(f"the resident keeps no data for scope {scope!r}; nothing was logged")
        purpose_digest = purpose_hash(purpose)
        try:
            logged = self.chain.log_access(contracts, resident, grantee, scope_bytes, purpose_digest)
        except AccessRefused as exc:
            raise Forbidden(f"DataConsent refused the access log: {exc}") from None
        # The chain has the log: the record here is the resident's view of it (and the
        # purpose in words, which the chain holds only as a hash).
        with self.engine.begin() as conn:
            store.record_served_read(
                conn, self.keys, community=contracts.community, resident=resident, grantee=grantee, scope=scope,
                fields=tuple(profile.values), purpose=purpose, purpose_hash="0x" + purpose_digest.hex(),
                grant_version=logged.version, tx_hash=logged.tx_hash, block_number=logged.block_number,
                accessed_at=logged.accessed_at, now=self.now())
        log.info("vault served scope %s of %s to %s (tx %s)", scope, resident, grantee, logged.tx_hash)
        return ServedRead(profile.values, logged.tx_hash, logged.block_number, logged.version,
                          "0x" + purpose_digest.hex(), logged.accessed_at)

    # ------------------------------------------------------------ the committee's check

    def commitment_check(self, community: str, resident: str, caller: str) -> dict:
        contracts = self.community(community)
        if not self.chain.is_committee(contracts, caller):
            raise Forbidden("only a member of the owners' committee checks commitments")
        registered = self.chain.commitment_of(contracts, resident)
        result = {"community": contracts.community, "resident": resident, "registered_as": None,
                  "chain_commitment": None}
        if registered is None:
            return {**result, "result": "not_registered"}
        kind, commitment = registered
        result.update(registered_as=kind, chain_commitment="0x" + commitment.hex())
        with self.engine.connect() as conn:
            profile = store.read_fields(conn, self.keys, contracts.community, resident,
                                        only=("id_number", "identity_salt"))
        if profile.unreadable:
            return {**result, "result": "unreadable"}
        id_number, salt = profile.values.get("id_number"), profile.values.get("identity_salt")
        if id_number is None or salt is None:
            return {**result, "result": "no_data"}
        try:
            computed = identity_commitment(id_number, bytes.fromhex(salt[2:]))
        except ValueError:
            return {**result, "result": "mismatch"}
        log.info("vault commitment check of %s by %s", resident, caller)
        return {**result, "result": "match" if computed == commitment else "mismatch"}

