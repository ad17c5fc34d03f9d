# SPDX-License-Identifier: AGPL-3.0-only
"""The documents' table, in the vault's database (migration v0005 of its history).

A row is written once; its key is the SHA-256 of its bytes. Removing a document empties
its bytes and keeps the row as a tombstone (who removed it, as what, when), as for texts.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, String, Table

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    # "0x" + 64 lower-case hex digits: what NoticeBoard and OwnersAssembly hold as bytes32.
    Column("doc_hash", String(66), primary_key=True),
    Column("content", LargeBinary, nullable=True),  # NULL once removed
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(64), nullable=False),
    # A public file name for the download (no path, no personal data), advisory only.
    Column("filename", String(120), nullable=False),
    Column("stored_by", String(42), nullable=False),
    Column("stored_at", BigInteger, nullable=False),
    Column("removed_at", BigInteger, nullable=True),
    Column("removed_by", String(42), nullable=True),
    Column("removed_as", String(12), nullable=True),
)
