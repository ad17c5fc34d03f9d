# SPDX-License-Identifier: AGPL-3.0-only
"""Owners' signed receipts of notices and the batches that anchor them, in the vault's
database (revision v0005): the signatures exist nowhere else (the chain holds only each
batch's root), so they are kept and backed up with the vault.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, MetaData, String, Table, UniqueConstraint

metadata = MetaData()

anchor_batches = Table(
    "notice_anchor_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("community", String(42), nullable=False),
    Column("root", String(66), nullable=False, unique=True),
    Column("receipts", Integer, nullable=False),
    Column("first_acknowledged_at", BigInteger, nullable=False),
    Column("last_acknowledged_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # Filled once the root is on chain: the board's batch number and the transaction.
    Column("batch", BigInteger, nullable=True),
    Column("tx_hash", String(66), nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("anchored_at", BigInteger, nullable=True),
)

receipts = Table(
    "notice_receipts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("community", String(42), nullable=False),
    Column("notice_id", BigInteger, nullable=False),
    Column("content_hash", String(66), nullable=False),
    Column("owner", String(42), nullable=False),  # lower case
    Column("acknowledged_at", BigInteger, nullable=False),
    Column("signature", String(2 + 2 * 2048), nullable=False),  # 0x-hex; an EIP-1271 account's may be long
    Column("leaf", String(66), nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("batch_id", Integer, ForeignKey("notice_anchor_batches.id"), nullable=True),
    Column("batch_index", Integer, nullable=True),  # the leaf's place in its batch's tree
    # One receipt per owner and notice: acknowledging again answers the first.
    UniqueConstraint("community", "notice_id", "owner", name="uq_notice_receipt"),
    Index("ix_notice_receipts_unanchored", "community", "batch_id", "id"),
)
