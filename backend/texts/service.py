# SPDX-License-Identifier: AGPL-3.0-only
"""The public text store as the routes use it: reads for anyone, writes for a signed-in
member of a community the vault serves, each writer and each client rate-limited.

Who may write: a current owner or linked resident (they write suggestions, service
requests, disputes, feedback), or the owners' committee or the property manager
(answers, activities, reasons). Where the committee role is a Safe, the role's holder
is the Safe, which signs in nowhere: its members write the committee's reasons and
decisions (a work's hiding, an activity's cancellation, a dispute's decision) each with
their own wallet, a current owner of the Safe (`isOwner`, read on each write). Anyone can open a SIWE session with a fresh key, so
without this check the community's store would be anyone's free disk. The check is
the vault's own view of the chain (its `VaultChain`), one eth_call per question.

Who may remove one: its author (the wallet that stored it), say a resident who wrote
their phone number into a suggestion, or the owners' committee of a community this
server serves (a text that breaks the community's rules or exposes someone). The chain
keeps the hash; the store keeps a tombstone saying who removed the words and when.

A text the chain already commits to by its hash needs no writer's role: the street
office's note on a community's retirement (DistrictRegistry.retire_community keeps only
its sha256, in the CommunityRetired event) may be stored by anyone who has its words
(`write_committed`), since no other text has that hash; the district page then shows it.
`retirement_committer` finds the registry whose event commits the hash: in the index's
district listings (final blocks), else in the registry's events of the recent blocks
(the node's `max_block_range` behind its head: a note sent a moment ago, not final yet).
The row's writer is the registry's address, for the street office, which signs in nowhere.

Refusals are typed so the routes answer a clear 4xx/503, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from eth_abi import decode as abi_decode
from eth_utils import keccak
from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.api.ratelimit import SlidingWindowLimit
from backend.chain.deployment import role_id
from backend.core.config import Settings
from backend.db.models import DistrictListing
from backend.texts import store
from backend.vault.db import make_vault_engine, upgrade
from backend.vault.chain import ChainUnavailable
from backend.vault.service import Vault

log = logging.getLogger("linli.texts")

WRITER_ROLES = (role_id("committee"), role_id("manager"))
DAY = 86_400
RETIREMENT_NOTE = "retirement_note"  # the kind of a street office's note on a retirement
COMMUNITY_RETIRED = "0x" + keccak(text="CommunityRetired(uint256,address,string,bytes32)").hex()


class NotStored(Exception):
    """No text under this hash (404)."""


class Altered(Exception):
    """The stored text no longer hashes to its key (409): not served as the original."""


class WriteRefused(Exception):
    """Signed in, but not a wallet that writes this community's texts (403)."""


class NotListed(Exception):
    """No district registry the index holds lists this community (404)."""


class IndexUnavailable(Exception):
    """The index's database (the district listings) cannot be read (503)."""


class NotCommitted(Exception):
    """No retirement of this community commits the text's hash (403)."""


class RemoveRefused(Exception):
    """Signed in, but neither the text's author nor the committee (403)."""


class Removed(Exception):
    """The text under this hash was removed (410); `row` is its tombstone."""

    def __init__(self, message: str, row: store.StoredText):
        super().__init__(message)
        self.row = row


class StoreFull(Exception):
    """The store is at its size (507): nothing more until texts are removed or the quota raised."""


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
        self.engine = make_vault_engine(settings.vault_database_url, pool_size=settings.pool_size(),
                                        max_overflow=0, pool_timeout=settings.api_pool_timeout_s)
        self.per_writer = SlidingWindowLimit(settings.texts_writes_per_minute, 60.0, clock=limit_clock)
        self.per_client = SlidingWindowLimit(settings.texts_writes_per_minute_per_client, 60.0, clock=limit_clock)
        self.writes_per_day = settings.texts_writes_per_day
        self.max_total_bytes = settings.texts_max_total_bytes

    def close(self) -> None:
        self.engine.dispose()

    def read(self, key: str) -> store.StoredText:
        with self.engine.connect() as conn:
            found = store.get_texts(conn, [key]).get(key)
        if found is None:
            raise NotStored(f"no text is stored under {key}")
        if found.removed:
            raise Removed(_removed_words(found), found)
        if not found.intact():
            log.error("public text %s does not match its hash: altered in the database", key)
            raise Altered(f"the text stored under {key} does not match its hash; it is not served")
        return found

    def read_many(self, keys: list[str]
                  ) -> tuple[list[store.StoredText], list[str], list[str], list[store.StoredText]]:
        """(texts found, in the order asked; keys with no text; keys whose text fails its
        hash; tombstones of the removed ones)."""
        with self.engine.connect() as conn:
            found = store.get_texts(conn, keys)
        texts, missing, altered, removed = [], [], [], []
        for key in keys:
            row = found.get(key)
            if row is None:
                missing.append(key)
            elif row.removed:
                removed.append(row)
            elif not row.intact():
                log.error("public text %s does not match its hash: altered in the database", key)
                altered.append(key)
            else:
                texts.append(row)
        return texts, missing, altered, removed

    def write(self, vault: Vault, text: str, kind: str | None, writer: str, client: str
              ) -> tuple[store.StoredText, bool]:
        """Store a text for a signed-in `writer` (lower case); (the row, whether it is new)."""
        self._limit(self.per_client, client, "from this client")
        self._limit(self.per_writer, writer, "by you")
        if not self.may_write(vault, writer):
            raise WriteRefused("only an owner or resident, the committee (a member of its Safe) or the property "
                               "manager of a community this server serves can store texts")
        return self._put(text, kind, writer)

    def write_committed(self, text: str, kind: str, client: str, committer: Callable[[str], str]
                        ) -> tuple[store.StoredText, bool]:
        """Store a text the chain commits to by its hash, for anyone: `committer(key)` names
        who committed it (the row's writer) or refuses (NotListed, NotCommitted). The
        client's limit is counted first, so refused guesses cost the node nothing past it."""
        self._limit(self.per_client, client, "from this client")
        writer = committer(store.text_key(text))
        self._limit(self.per_writer, writer, "for this registry")
        return self._put(text, kind, writer)

    @staticmethod
    def _limit(limit: SlidingWindowLimit, key: str, who: str) -> None:
        wait = limit.hit(key)
        if wait is not None:
            raise TooManyWrites(f"too many texts stored {who} in a minute: wait and try again", wait)

    def _put(self, text: str, kind: str | None, writer: str) -> tuple[store.StoredText, bool]:
        now = int(self.clock())
        try:
            with self.engine.begin() as conn:
                # The day's count lives in the rows themselves: shared by every worker, kept across restarts.
                count, first = store.stored_since(conn, writer, now - DAY)  # the last 24 hours
                row, created = store.put_text(conn, text, kind, writer, now, self.max_total_bytes)
                if created and count >= self.writes_per_day:  # raising rolls the store back
                    raise TooManyWrites(f"you have stored {count} texts in a day, the most one wallet may: "
                                        "wait and try again", (first or now) + DAY - now)
        except store.StoreFull as exc:
            log.error("public text store full: %s", exc)
            raise StoreFull(f"{exc}: nothing more can be stored until texts are removed; tell the operator") \
                from None
        if row.removed:
            raise Removed(_removed_words(row) + "; it cannot be stored again", row)
        if created:
            log.info("public text %s stored by %s (%s, %d characters)", row.text_hash, writer, kind, len(text))
        return row, created

    def remove(self, vault: Vault, key: str, who: str) -> store.StoredText:
        """Remove the words under `key` for a signed-in `who` (lower case): its author or the
        committee. Removing a removed text again answers its tombstone."""
        with self.engine.connect() as conn:
            found = store.get_texts(conn, [key]).get(key)
        if found is None:
            raise NotStored(f"no text is stored under {key}")
        if found.removed:
            return found
        if found.stored_by == who:
            role = "author"
        elif self.is_committee(vault, who):
            role = "committee"
        else:
            raise RemoveRefused("only the text's author or the owners' committee can remove it")
        with self.engine.begin() as conn:
            row = store.remove_text(conn, key, who, role, int(self.clock()))
        self._scrub()
        log.warning("public text %s removed by %s (%s)", key, who, role)
        return row

    def _scrub(self) -> None:
        """SQLite: the vault's connections overwrite freed bytes (secure_delete); fold the
        write-ahead log, which still holds the old page, into the file and empty it."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as conn:
            busy = conn.execute(sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
        if busy and busy[0]:
            log.warning("the vault database's log could not be emptied now (a reader holds it); "
                        "the next checkpoint will")

    @staticmethod
    def is_committee(vault: Vault, who: str) -> bool:
        """The owners' committee of a community the vault serves (ChainUnavailable: 503)."""
        committee = role_id("committee")
        return any(vault.chain.has_role(contracts, who, committee) for contracts in vault.communities.values())

    @staticmethod
    def may_write(vault: Vault, writer: str) -> bool:
        """A member, committee member or manager of any community the vault serves (ChainUnavailable: 503)."""
        for contracts in vault.communities.values():
            if vault.chain.is_member(contracts, writer):
                return True
            if any(vault.chain.has_role(contracts, writer, role) for role in WRITER_ROLES):
                return True
            if vault.chain.is_safe_owner(contracts, writer):
                return True
        return False


def retirement_committer(session: Session, vault: Vault, community: str, key: str, recent_blocks: int) -> str:
    """The district registry (lower case) whose CommunityRetired event for `community` (a
    HouseholdRegistry, lower case) carries `key` as the street office's note hash: first the
    index's listings, else the events of the last `recent_blocks` blocks of each registry
    listing it (ChainUnavailable when the node cannot say). NotListed, NotCommitted."""
    try:
        listings = session.execute(select(DistrictListing).where(DistrictListing.community == community)
                                   .order_by(DistrictListing.block_number)).scalars().all()
    except DBAPIError as exc:
        raise IndexUnavailable(f"the index's database is unavailable ({type(exc.orig).__name__})") from None
    if not listings:
        raise NotListed(f"no district registry indexed here lists community {community}")
    for row in listings:
        if row.retired_reason_hash == key:
            return row.district
    w3 = vault.chain.w3
    try:
        chain_id = vault.chain.chain_id()
        head = int(w3.eth.block_number)
        for row in listings:
            if row.chain_id != chain_id:
                continue
            for log_entry in w3.eth.get_logs({
                    "address": w3.to_checksum_address(row.district),
                    "fromBlock": max(row.block_number, head - recent_blocks + 1), "toBlock": head,
                    "topics": [COMMUNITY_RETIRED, "0x" + row.district_id.to_bytes(32, "big").hex()]}):
                topics = [bytes(t).hex().removeprefix("0x") for t in log_entry["topics"]]
                _, reason = abi_decode(["string", "bytes32"], bytes(log_entry["data"]))
                if topics[2][-40:] == community[2:] and "0x" + reason.hex() == key:
                    return row.district
    except ChainUnavailable:
        raise
    except Exception as exc:  # connection refused, timeout, a node refusing the range
        raise ChainUnavailable(f"the node does not answer: {type(exc).__name__}") from None
    raise NotCommitted(f"no retirement of community {community} commits {key} as the street office's note "
                       "(DistrictRegistry.retire_community keeps the sha256 of the note's exact words)")


def _removed_words(row: store.StoredText) -> str:
    by = "its author" if row.removed_as == "author" else "the owners' committee"
    return f"the text under {row.text_hash} was removed by {by}"
