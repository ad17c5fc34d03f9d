# SPDX-License-Identifier: AGPL-3.0-only
"""The public texts' table, in the vault's database (migration v0002 of its history).

A row is written once and never updated: its key is the SHA-256 of its text, so a
changed text would be another row. Times are unix seconds, as in the vault's tables.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

public_texts = Table(
    "public_texts",
    metadata,
    # "0x" + 64 lower-case hex digits: what the contracts hold as bytes32.
    Column("text_hash", String(66), primary_key=True),
    # NULL once removed (v0003): the row stays as the record that it was, and by whom.
    Column("text", Text, nullable=True),
    # What the first writer said it is for (suggestion, answer, …); advisory only.
    Column("kind", String(24), nullable=True),
    Column("stored_by", String(42), nullable=False),
    Column("stored_at", BigInteger, nullable=False),
    Column("removed_at", BigInteger, nullable=True),
    Column("removed_by", String(42), nullable=True),
    # "author" (the wallet that stored it) or "committee" (the owners' committee).
    Column("removed_as", String(12), nullable=True),
)

Index("ix_public_texts_stored_by", public_texts.c.stored_by, public_texts.c.stored_at)

# One row (id 1): the UTF-8 bytes of the texts kept, moved with every store and removal (v0004).
public_text_usage = Table(
    "public_text_usage",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("bytes", BigInteger, nullable=False),
)
