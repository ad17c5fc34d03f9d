# SPDX-License-Identifier: AGPL-3.0-only
"""The directory as the routes use it: reads for anyone; an entry accepted when it is
signed by the wallet it describes or by the owners' committee, or set by a committee
member signed in to the vault.

The checks, cheapest first: the words (backend/directory/entries.py), the time signed
(not ahead of the server's clock by more than the receipts' skew), the signature
(recovered for a key, EIP-1271 for a contract wallet such as the committee's Safe: the
notices' own `BoardChain` asks), who signed (the organisation itself, or a wallet that
holds the committee role in the registry: the vault's `VaultChain` asks), and that the
wallet named is no person's (the registry knows it as no owner or resident, now or
before). Last, in one conditional upsert, that the entry is newer than the one kept: an
old signature replayed loses even against a race.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from eth_utils import to_checksum_address
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from backend.api.ratelimit import SlidingWindowLimit
from backend.core.config import PROJECT_ROOT, Settings
from backend.directory import entries as en
from backend.directory.models import entries
from backend.notices.chain import BoardChain
from backend.vault.chain import ChainUnavailable, CommunityContracts, VaultChain, load_communities, manifests_for
from backend.vault.db import make_vault_engine, upgrade


class NotFound(Exception):
    """No such community served here, or no entry for this wallet (404)."""


class Refused(Exception):
    """The entry cannot be accepted: `status` 403 for who signed, 409 for a stale entry,
    422 for what it says or a signature that does not verify."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


class TooMany(Exception):
    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


def _out(row) -> dict:
    return {"organisation": to_checksum_address(row["organisation"]), "name": row["name"],
            "category": row["category"], "contact": row["contact"], "issued_at": row["issued_at"],
            "signer": to_checksum_address(row["signer"]), "set_by": row["set_by"], "signature": row["signature"],
            "updated_at": row["updated_at"]}


class Directory:
    """One per API process, built on the first directory request."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        upgrade(settings.vault_database_url)
        self.engine = make_vault_engine(settings.vault_database_url, pool_size=settings.pool_size(),
                                        max_overflow=0, pool_timeout=settings.api_pool_timeout_s)
        self.communities = load_communities(manifests_for(settings, PROJECT_ROOT))
        # Views only: neither chain object is given a key.
        self.registry = VaultChain(settings.rpc_url, None, timeout_s=settings.rpc_timeout_s,
                                   receipt_timeout_s=settings.vault_receipt_timeout_s)
        self.accounts = BoardChain(settings.rpc_url, None, timeout_s=settings.rpc_timeout_s,
                                   receipt_timeout_s=settings.vault_receipt_timeout_s)
        self.per_client = SlidingWindowLimit(settings.directory_entries_per_minute_per_client, 60.0)
        self.per_organisation = SlidingWindowLimit(settings.directory_entries_per_minute_per_organisation, 60.0)

    def close(self) -> None:
        self.engine.dispose()

    def community(self, community: str) -> CommunityContracts:
        found = self.communities.get(community.lower())
        if found is None:
            raise NotFound(f"community {community.lower()} is not served here")
        return found

    # ------------------------------------------------------------ reads

    def listing(self, community: str, category: str | None, limit: int) -> list[dict]:
        self.community(community)
        query = select(entries).where(entries.c.community == community.lower())
        if category is not None:
            query = query.where(entries.c.category == category)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(entries.c.category, entries.c.name, entries.c.organisation)
                                .limit(limit)).mappings().all()
        return [_out(row) for row in rows]

    def entry(self, community: str, organisation: str) -> dict:
        self.community(community)
        with self.engine.connect() as conn:
            row = conn.execute(select(entries).where(entries.c.community == community.lower(),
                                                     entries.c.organisation == organisation.lower())).mappings().first()
        if row is None:
            raise NotFound(f"{organisation.lower()} has no entry in this community's directory")
        return _out(row)

    # ------------------------------------------------------------ writes

    @staticmethod
    def _limit(limit: SlidingWindowLimit, key: str, who: str) -> None:
        wait = limit.hit(key)
        if wait is not None:
            raise TooMany(f"too many directory entries {who} in a minute: wait and try again", wait)

    def _check_words(self, entry: en.Entry) -> None:
        found = en.words_refusal(entry.name, entry.category, entry.contact)
        if found:
            raise Refused(found, 422)

    def _check_not_a_person(self, contracts: CommunityContracts, organisation: str) -> None:
        if self.registry.is_member(contracts, organisation) or \
                self.registry.commitment_of(contracts, organisation) is not None:
            raise Refused(f"{organisation} is linked to a unit as an owner or resident: people are not named "
                          "in the directory", 422)

    def publish(self, community: str, entry: en.Entry, signer: str, signature: bytes, client: str
                ) -> tuple[dict, bool]:
        """Check and keep a signed entry; (the entry kept, whether it changed)."""
        contracts = self.community(community)
        self._limit(self.per_client, client, "from this client")
        self._check_words(entry)
        now = int(self.clock())
        if entry.issued_at > now + self.settings.receipt_clock_skew_s:
            raise Refused(f"the entry's time {entry.issued_at} is ahead of the server's ({now}) by more than "
                          f"{self.settings.receipt_clock_skew_s} s: check the device's clock", 422)
        signer = to_checksum_address(signer)
        if self.accounts.is_contract(signer):
            valid = self.accounts.eip1271_valid(signer, en.digest(contracts.chain_id, contracts.registry, entry),
                                                signature)
        else:
            valid = en.recover(contracts.chain_id, contracts.registry, entry, signature) == signer
        if not valid:
            raise Refused(f"the signature is not {signer}'s over this entry for community {contracts.registry} "
                          f"on chain {contracts.chain_id}", 422)
        if signer.lower() == entry.organisation.lower():
            set_by = "organisation"
        elif self.registry.is_committee(contracts, signer):
            set_by = "committee"
        else:
            raise Refused("only the organisation's own wallet or the owners' committee can name a wallet", 403)
        # Counted only once the signer may speak for the wallet: forged entries cannot use up
        # an organisation's allowance and lock it out.
        self._limit(self.per_organisation, entry.organisation.lower(), "for this organisation")
        self._check_not_a_person(contracts, entry.organisation)
        return self._keep(contracts, entry, signer, set_by, "0x" + signature.hex(), now)

    def set_by_member(self, community: str, name: str, category: str, contact: str, organisation: str,
                      member: str, client: str) -> tuple[dict, bool]:
        """An entry set by a committee member signed in to the vault (a SIWE session), dated now."""
        contracts = self.community(community)
        self._limit(self.per_client, client, "from this client")
        now = int(self.clock())
        entry = en.Entry(to_checksum_address(organisation), en.normalise(name), category, en.normalise(contact), now)
        self._check_words(entry)
        if not self.registry.is_committee(contracts, member):
            raise Refused("only a member of the owners' committee can set another wallet's entry", 403)
        self._limit(self.per_organisation, entry.organisation.lower(), "for this organisation")
        self._check_not_a_person(contracts, entry.organisation)
        return self._keep(contracts, entry, to_checksum_address(member), "committee", None, now)

    def _keep(self, contracts: CommunityContracts, entry: en.Entry, signer: str, set_by: str,
              signature: str | None, now: int) -> tuple[dict, bool]:
        values = {"community": contracts.community, "organisation": entry.organisation.lower(), "name": entry.name,
                  "category": entry.category, "contact": entry.contact, "issued_at": entry.issued_at,
                  "signer": signer.lower(), "set_by": set_by, "signature": signature, "updated_at": now}
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(entries).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["community", "organisation"],
            set_={k: statement.excluded[k] for k in values if k not in ("community", "organisation")},
            where=entries.c.issued_at < statement.excluded.issued_at).returning(entries.c.organisation)
        with self.engine.begin() as conn:
            changed = conn.execute(statement).first() is not None
        kept = self.entry(contracts.community, entry.organisation)
        if changed:
            return kept, True
        if kept["issued_at"] == entry.issued_at and (kept["name"], kept["category"], kept["contact"]) == \
                (entry.name, entry.category, entry.contact):
            return kept, False  # the same entry sent again
        raise Refused(f"the directory holds an entry for {entry.organisation} issued at {kept['issued_at']}; "
                      f"this one, issued at {entry.issued_at}, is not newer: sign the entry again now", 409)


__all__ = ["ChainUnavailable", "Directory", "NotFound", "Refused", "TooMany"]
