# SPDX-License-Identifier: AGPL-3.0-only
"""The public text store as the routes use it: reads for anyone, writes for a signed-in
member of a community the vault serves, each writer and each client rate-limited.

Who may write: a current owner or linked resident (they write suggestions, service
requests, disputes, feedback), or the owners' committee or the property manager
(answers, activities, reasons). Anyone can open a SIWE session with a fresh key, so
without this check the community's store would be anyone's free disk. The check is
the vault's own view of the chain (its `VaultChain`), one eth_call per question.

Refusals are typed so the routes answer a clear 4xx/503, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from backend.api.ratelimit import SlidingWindowLimit
from backend.chain.deployment import role_id
from backend.core.config import Settings
from backend.texts import store
from backend.vault.db import make_vault_engine, upgrade
from backend.vault.service import Vault

log = logging.getLogger("linli.texts")

WRITER_ROLES = (role_id("committee"), role_id("manager"))


class NotStored(Exception):
    """No text under this hash (404)."""


class Altered(Exception):
    """The stored text no longer hashes to its key (409): not served as the original."""


class WriteRefused(Exception):
    """Signed in, but not a wallet that writes this community's texts (403)."""


class TooManyWrites(Exception):
    """Over a write limit (429); `wait_s` until the next write would be accepted."""

    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


class TextStore:
    """One per API process, built on the first texts request (like the vault)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time,
                 limit_clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        # The vault's database and Alembic history: the texts table is one of its revisions.
        upgrade(settings.vault_database_url)
        self.engine = make_vault_engine(settings.vault_database_url)
        self.per_writer = SlidingWindowLimit(settings.texts_writes_per_minute, 60.0, clock=limit_clock)
        self.per_client = SlidingWindowLimit(settings.texts_writes_per_minute_per_client, 60.0, clock=limit_clock)

    def close(self) -> None:
        self.engine.dispose()

    def read(self, key: str) -> store.StoredText:
        with self.engine.connect() as conn:
            found = store.get_texts(conn, [key]).get(key)
        if found is None:
            raise NotStored(f"no text is stored under {key}")
        if not found.intact():
            log.error("public text %s does not match its hash: altered in the database", key)
            raise Altered(f"the text stored under {key} does not match its hash; it is not served")
        return found

    def read_many(self, keys: list[str]) -> tuple[list[store.StoredText], list[str], list[str]]:
        """(texts found, in the order asked; keys with no text; keys whose text fails its hash)."""
        with self.engine.connect() as conn:
            found = store.get_texts(conn, keys)
        texts, missing, altered = [], [], []
        for key in keys:
            row = found.get(key)
            if row is None:
                missing.append(key)
            elif not row.intact():
                log.error("public text %s does not match its hash: altered in the database", key)
                altered.append(key)
            else:
                texts.append(row)
        return texts, missing, altered

    def write(self, vault: Vault, text: str, kind: str | None, writer: str, client: str
              ) -> tuple[store.StoredText, bool]:
        """Store a text for a signed-in `writer` (lower case); (the row, whether it is new)."""
        for limit, key, who in ((self.per_client, client, "from this client"), (self.per_writer, writer, "by you")):
            wait = limit.hit(key)
            if wait is not None:
                raise TooManyWrites(f"too many texts stored {who} in a minute: wait and try again", wait)
        if not self.may_write(vault, writer):
            raise WriteRefused("only an owner or resident, the committee or the property manager of a community "
                               "this server serves can store texts")
        with self.engine.begin() as conn:
            row, created = store.put_text(conn, text, kind, writer, int(self.clock()))
        if created:
            log.info("public text %s stored by %s (%s, %d characters)", row.text_hash, writer, kind, len(text))
        return row, created

    @staticmethod
    def may_write(vault: Vault, writer: str) -> bool:
        """A member, committee member or manager of any community the vault serves (ChainUnavailable: 503)."""
        for contracts in vault.communities.values():
            if vault.chain.is_member(contracts, writer):
                return True
            if any(vault.chain.has_role(contracts, writer, role) for role in WRITER_ROLES):
                return True
        return False
