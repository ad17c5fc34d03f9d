# SPDX-License-Identifier: AGPL-3.0-only
"""The directory's table in the vault's database (revision v0006_directory): one entry per
community and organisation wallet, the newest signed version only (the signature is kept
so anyone can check the entry against the wallet that signed it)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table

metadata = MetaData()

entries = Table(
    "directory_entries",
    metadata,
    Column("community", String(42), primary_key=True),  # registry address, lower case
    Column("organisation", String(42), primary_key=True),  # the wallet described, lower case
    Column("name", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("contact", String(400), nullable=False),
    Column("issued_at", BigInteger, nullable=False),  # the signed time: a newer entry only replaces an older one
    Column("signer", String(42), nullable=False),  # lower case: the organisation, or the committee's address
    Column("set_by", String(12), nullable=False),  # "organisation" or "committee"
    Column("signature", String(2 + 2 * 2048), nullable=True),  # None when a committee member's session set it
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_directory_entries_category", "community", "category"),
)
