# SPDX-License-Identifier: AGPL-3.0-only
"""Owners' receipts of notices: accepting a signed acknowledgement, counting and listing
who was served, anchoring batches on chain, and the proof of one receipt.

The routes give what the index knows of a notice (`NoticeFacts`: its content hash and
audience); this module checks the rest against the chain: the signer may acknowledge
(an owner for the owners' notices, a member for the others), and the signature is the
owner's (recovered for an account with a key, EIP-1271 for an account contract, as a
passkey account will be). A receipt is stored once per owner and notice; acknowledging
again answers the first receipt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_utils import to_checksum_address
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from backend.api.ratelimit import SlidingWindowLimit
from backend.core.config import PROJECT_ROOT, Settings
from backend.notices import receipts as rc
from backend.notices.chain import Board, BoardChain, ChainUnavailable, load_boards
from backend.notices.models import anchor_batches, receipts
from backend.vault.chain import manifests_for
from backend.vault.db import make_vault_engine, upgrade

log = logging.getLogger("linli.notices")

AUDIENCE_OWNERS = 3
MAX_BATCH = 65_536  # receipts per anchored batch: a proof of at most 16 hashes


class NotFound(Exception):
    """No such community, notice or receipt (404)."""


class Refused(Exception):
    """The acknowledgement cannot be accepted (403 for who, 422 for what); `status` says which."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


class TooMany(Exception):
    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


@dataclass(frozen=True)
class NoticeFacts:
    notice_id: int
    content_hash: str  # 0x + 64 hex
    audience: int


class Notices:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        upgrade(settings.vault_database_url)
        self.engine = make_vault_engine(settings.vault_database_url)
        self.boards = load_boards(manifests_for(settings, PROJECT_ROOT))
        key = settings.vault_logger_key.get_secret_value() if settings.vault_logger_key else None
        self.chain = BoardChain(settings.rpc_url, key, timeout_s=settings.rpc_timeout_s,
                                receipt_timeout_s=settings.vault_receipt_timeout_s)
        self.per_owner = SlidingWindowLimit(settings.receipts_per_minute_per_owner, 60.0)
        self.per_client = SlidingWindowLimit(settings.receipts_per_minute_per_client, 60.0)

    def close(self) -> None:
        self.engine.dispose()

    def board(self, community: str) -> Board:
        found = self.boards.get(community.lower())
        if found is None:
            raise NotFound(f"community {community.lower()} has no notice board served here")
        return found

    # ------------------------------------------------------------ acknowledging

    def acknowledge(self, community: str, notice: NoticeFacts, owner: str, acknowledged_at: int, signature: bytes,
                    client: str) -> tuple[dict, bool]:
        """Check and store an owner's signed acknowledgement; (the receipt, whether it is new)."""
        board = self.board(community)
        owner = owner.lower()
        for limit, key, who in ((self.per_client, client, "from this client"), (self.per_owner, owner, "for you")):
            wait = limit.hit(key)
            if wait is not None:
                raise TooMany(f"too many acknowledgements {who} in a minute: wait and try again", wait)
        existing = self._receipt(community, notice.notice_id, owner)
        if existing is not None:
            return existing, False
        now = int(self.clock())
        if abs(acknowledged_at - now) > self.settings.receipt_clock_skew_s:
            raise Refused(f"the acknowledgement's time {acknowledged_at} is more than "
                          f"{self.settings.receipt_clock_skew_s} s from the server's ({now}): check the device's clock")
        content = bytes.fromhex(notice.content_hash[2:])
        checksummed = to_checksum_address(owner)
        if self.chain.is_contract(owner):
            digest = rc.digest(board.chain_id, board.board, notice.notice_id, content, checksummed, acknowledged_at)
            valid = self.chain.eip1271_valid(owner, digest, signature)
        else:
            valid = rc.recover(board.chain_id, board.board, notice.notice_id, content, checksummed, acknowledged_at,
                               signature) == checksummed
        if not valid:
            raise Refused("the signature is not the owner's over this notice's acknowledgement", 422)
        owners_only = notice.audience == AUDIENCE_OWNERS
        if not self.chain.may_acknowledge(board, owner, owners_only):
            raise Refused("only an owner of this community can acknowledge this notice" if owners_only
                          else "only a member of this community can acknowledge this notice", 403)
        leaf = rc.receipt_leaf(notice.notice_id, content, checksummed, acknowledged_at, signature)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with self.engine.begin() as conn:
            inserted = conn.execute(dialect.insert(receipts).values(
                community=community.lower(), notice_id=notice.notice_id, content_hash=notice.content_hash,
                owner=owner, acknowledged_at=acknowledged_at, signature="0x" + signature.hex(), leaf="0x" + leaf.hex(),
                received_at=now).on_conflict_do_nothing(index_elements=["community", "notice_id", "owner"])
                .returning(receipts.c.id)).first()
        return self._receipt(community, notice.notice_id, owner), inserted is not None

    def _receipt(self, community: str, notice_id: int, owner: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._listing().where(
                receipts.c.community == community.lower(), receipts.c.notice_id == notice_id,
                receipts.c.owner == owner.lower())).mappings().first()
        return None if row is None else dict(row)

    @staticmethod
    def _listing():
        return (select(receipts.c.notice_id, receipts.c.content_hash, receipts.c.owner, receipts.c.acknowledged_at,
                       receipts.c.signature, receipts.c.leaf, receipts.c.received_at, receipts.c.batch_index,
                       anchor_batches.c.batch, anchor_batches.c.root, anchor_batches.c.tx_hash,
                       anchor_batches.c.anchored_at, receipts.c.batch_id)
                .select_from(receipts.outerjoin(anchor_batches, receipts.c.batch_id == anchor_batches.c.id)))

    # ------------------------------------------------------------ who was served

    def served_counts(self, community: str, notice_ids: list[int]) -> dict[int, int]:
        if not notice_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(receipts.c.notice_id, func.count()).where(
                receipts.c.community == community.lower(), receipts.c.notice_id.in_(notice_ids))
                .group_by(receipts.c.notice_id)).all()
        return {int(n): int(c) for n, c in rows}

    def service_list(self, community: str, notice_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._listing().where(receipts.c.community == community.lower(),
                                                      receipts.c.notice_id == notice_id)
                                .order_by(receipts.c.acknowledged_at, receipts.c.id)).mappings().all()
        return [dict(row) for row in rows]

    # ------------------------------------------------------------ proofs

    def proof(self, community: str, notice_id: int, owner: str) -> dict:
        """Everything a verifier needs for one receipt (scripts/verify_receipt.py)."""
        board = self.board(community)
        found = self._receipt(community, notice_id, owner)
        if found is None:
            raise NotFound(f"{owner.lower()} has not acknowledged notice {notice_id}")
        answer = {"chain_id": board.chain_id, "notice_board": board.board, "community": community.lower(),
                  "notice_id": notice_id, "content_hash": found["content_hash"],
                  "owner": to_checksum_address(found["owner"]), "acknowledged_at": found["acknowledged_at"],
                  "signature": found["signature"], "leaf": found["leaf"], "batch": found["batch"],
                  "root": found["root"], "anchor_tx": found["tx_hash"], "proof": None}
        if found["batch"] is not None:
            with self.engine.connect() as conn:
                leaves = [bytes.fromhex(leaf[2:]) for leaf in conn.execute(
                    select(receipts.c.leaf).where(receipts.c.batch_id == found["batch_id"])
                    .order_by(receipts.c.batch_index)).scalars()]
            levels = rc.tree_levels(leaves)
            answer["proof"] = ["0x" + p.hex() for p in rc.merkle_proof(levels, found["batch_index"])]
        return answer

    # ------------------------------------------------------------ anchoring

    def seal_batch(self, community: str) -> int | None:
        """Gather the community's receipts not yet in a batch into one, its root computed and
        stored with them in one transaction; the new batch's id, or None when none wait."""
        now = int(self.clock())
        with self.engine.begin() as conn:
            rows = conn.execute(select(receipts.c.id, receipts.c.leaf, receipts.c.acknowledged_at).where(
                receipts.c.community == community.lower(), receipts.c.batch_id.is_(None))
                .order_by(receipts.c.id).limit(MAX_BATCH)).all()
            if not rows:
                return None
            root = rc.merkle_root([bytes.fromhex(leaf[2:]) for _, leaf, _ in rows])
            times = [at for _, _, at in rows]
            batch_id = conn.execute(anchor_batches.insert().values(
                community=community.lower(), root="0x" + root.hex(), receipts=len(rows),
                first_acknowledged_at=min(times), last_acknowledged_at=max(times), created_at=now)
                .returning(anchor_batches.c.id)).scalar_one()
            for index, (receipt_id, _, _) in enumerate(rows):
                conn.execute(update(receipts).where(receipts.c.id == receipt_id)
                             .values(batch_id=batch_id, batch_index=index))
        return batch_id

    def anchor_pending(self, community: str) -> list[dict]:
        """Put every sealed batch not yet on chain there (a batch sent before a crash is found
        on chain by its root and only recorded). The batches anchored, as dicts."""
        board = self.board(community)
        done = []
        with self.engine.connect() as conn:
            pending = conn.execute(select(anchor_batches).where(
                anchor_batches.c.community == community.lower(), anchor_batches.c.batch.is_(None))
                .order_by(anchor_batches.c.id)).mappings().all()
        for batch in pending:
            anchored = self.chain.anchor(board, bytes.fromhex(batch["root"][2:]), batch["receipts"],
                                         batch["first_acknowledged_at"], batch["last_acknowledged_at"])
            with self.engine.begin() as conn:
                conn.execute(update(anchor_batches).where(anchor_batches.c.id == batch["id"]).values(
                    batch=anchored.batch, tx_hash=anchored.tx_hash, block_number=anchored.block_number,
                    anchored_at=int(self.clock())))
            log.info("anchored %d receipts of %s as batch %d (%s)", batch["receipts"], community, anchored.batch,
                     anchored.tx_hash)
            done.append({**batch, "batch": anchored.batch, "tx_hash": anchored.tx_hash})
        return done

    def anchor_round(self) -> list[dict]:
        """One round for every community served: seal what waits, anchor what is sealed."""
        done = []
        for community in self.boards:
            self.seal_batch(community)
            done += self.anchor_pending(community)
        return done


__all__ = ["ChainUnavailable", "NoticeFacts", "Notices", "NotFound", "Refused", "TooMany"]
