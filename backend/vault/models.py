"""The vault's tables: a metadata of their own, never the index's.

Personal data is only ever stored as AES-GCM ciphertext (`profile_fields`, the purpose
text of `served_reads`). Addresses, scopes, hashes and times are public on chain anyway.
Session tokens are stored as their SHA-256 only, so a copy of the database opens no session.
Times are unix seconds (the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, UniqueConstraint

metadata = MetaData()

profile_fields = Table(
    "vault_profile_fields",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("community", String(42), nullable=False),
    Column("resident", String(42), nullable=False),
    Column("field", String(32), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("nonce", LargeBinary(12), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("community", "resident", "field", name="uq_vault_profile_field"),
)

served_reads = Table(
    "vault_served_reads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("community", String(42), nullable=False),
    Column("resident", String(42), nullable=False),
    Column("grantee", String(42), nullable=False),
    Column("scope", String(32), nullable=False),
    Column("fields", String(200), nullable=False),
    Column("purpose_hash", String(66), nullable=False),
    Column("purpose_key_id", String(16), nullable=False),
    Column("purpose_nonce", LargeBinary(12), nullable=False),
    Column("purpose_ciphertext", LargeBinary, nullable=False),
    Column("grant_version", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False, unique=True),
    Column("block_number", BigInteger, nullable=False),
    Column("accessed_at", BigInteger, nullable=False),
    Column("served_at", BigInteger, nullable=False),
    Index("ix_vault_served_reads_resident", "community", "resident", "id"),
)

siwe_nonces = Table(
    "vault_siwe_nonces",
    metadata,
    Column("nonce", String(32), primary_key=True),
    Column("address", String(42), nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("used_at", BigInteger, nullable=True),
)

sessions = Table(
    "vault_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("address", String(42), nullable=False, index=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False, index=True),
    Column("revoked_at", BigInteger, nullable=True),
)
