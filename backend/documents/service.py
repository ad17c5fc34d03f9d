# SPDX-License-Identifier: AGPL-3.0-only
"""The document store as the routes use it: reads for anyone, writes for a signed-in
member, committee member or manager of a community the vault serves (as for public
texts), each writer and each client rate-limited; removal by its author or the committee.

Refusals are typed so the routes answer a clear 4xx/503, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from backend.api.ratelimit import SlidingWindowLimit
from backend.core.config import Settings
from backend.documents import store
from backend.texts.service import TextStore
from backend.vault.db import make_vault_engine, upgrade
from backend.vault.service import Vault

log = logging.getLogger("linli.documents")


class NotStored(Exception):
    """No document under this hash (404)."""


class Altered(Exception):
    """The stored bytes no longer hash to their key (409)."""


class Refused(Exception):
    """Not a file that may be stored (422), with the reason."""


class WriteRefused(Exception):
    """Signed in, but not a wallet that stores this community's documents (403)."""


class Removed(Exception):
    """Removed (410); `row` is its tombstone."""

    def __init__(self, message: str, row: store.StoredDocument):
        super().__init__(message)
        self.row = row


class TooManyWrites(Exception):
    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


class DocumentStore:
    """One per API process, built on the first documents request."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.max_bytes = settings.documents_max_bytes
        upgrade(settings.vault_database_url)
        self.engine = make_vault_engine(settings.vault_database_url)
        self.per_writer = SlidingWindowLimit(settings.documents_writes_per_minute, 60.0)
        self.per_client = SlidingWindowLimit(settings.documents_writes_per_minute * 10, 60.0)

    def close(self) -> None:
        self.engine.dispose()

    def read(self, key: str) -> store.StoredDocument:
        with self.engine.connect() as conn:
            found = store.get_document(conn, key)
        if found is None:
            raise NotStored(f"no document is stored under {key}")
        if found.removed:
            raise Removed(_removed_words(found), found)
        if not found.intact():
            log.error("document %s does not match its hash: altered in the database", key)
            raise Altered(f"the document stored under {key} does not match its hash; it is not served")
        return found

    def describe(self, keys: list[str]) -> dict[str, store.StoredDocument]:
        with self.engine.connect() as conn:
            return store.get_documents(conn, keys)

    def write(self, vault: Vault, content: bytes, filename: str, writer: str, client: str
              ) -> tuple[store.StoredDocument, bool]:
        problem, media_type = store.refusal(content, filename, self.max_bytes)
        if problem:
            raise Refused(problem)
        for limit, key, who in ((self.per_client, client, "from this client"), (self.per_writer, writer, "by you")):
            wait = limit.hit(key)
            if wait is not None:
                raise TooManyWrites(f"too many documents stored {who} in a minute: wait and try again", wait)
        if not TextStore.may_write(vault, writer):
            raise WriteRefused("only an owner or resident, the committee (a member of its Safe) or the property "
                               "manager of a community this server serves can store documents")
        with self.engine.begin() as conn:
            row, created = store.put_document(conn, content, media_type, filename, writer, int(self.clock()))
        if row.removed:
            raise Removed(_removed_words(row) + "; it cannot be stored again", row)
        if created:
            log.info("document %s stored by %s (%s, %d bytes)", row.doc_hash, writer, media_type, len(content))
        return row, created

    def remove(self, vault: Vault, key: str, who: str) -> store.StoredDocument:
        with self.engine.connect() as conn:
            found = store.get_document(conn, key, with_content=False)
        if found is None:
            raise NotStored(f"no document is stored under {key}")
        if found.removed:
            return found
        if found.stored_by == who:
            role = "author"
        elif TextStore.is_committee(vault, who):
            role = "committee"
        else:
            raise WriteRefused("only the document's author or the owners' committee can remove it")
        with self.engine.begin() as conn:
            row = store.remove_document(conn, key, who, role, int(self.clock()))
        log.warning("document %s removed by %s (%s)", key, who, role)
        return row


def _removed_words(row: store.StoredDocument) -> str:
    by = "its author" if row.removed_as == "author" else "the owners' committee"
    return f"the document under {row.doc_hash} was removed by {by}"
