"""vault schema: encrypted profile fields, served reads, SIWE nonces and sessions

Revision ID: v0001_vault_schema
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "v0001_vault_schema"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_profile_fields",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(42), nullable=False),
        sa.Column("resident", sa.String(42), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("community", "resident", "field", name="uq_vault_profile_field"),
    )
    op.create_table(
        "vault_served_reads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(42), nullable=False),
        sa.Column("resident", sa.String(42), nullable=False),
        sa.Column("grantee", sa.String(42), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("fields", sa.String(200), nullable=False),
        sa.Column("purpose_hash", sa.String(66), nullable=False),
        sa.Column("purpose_key_id", sa.String(16), nullable=False),
        sa.Column("purpose_nonce", sa.LargeBinary(12), nullable=False),
        sa.Column("purpose_ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("grant_version", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("accessed_at", sa.BigInteger, nullable=False),
        sa.Column("served_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_vault_served_reads_resident", "vault_served_reads", ["community", "resident", "id"])
    op.create_table(
        "vault_siwe_nonces",
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_vault_siwe_nonces_expires_at", "vault_siwe_nonces", ["expires_at"])
    op.create_table(
        "vault_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_vault_sessions_address", "vault_sessions", ["address"])
    op.create_index("ix_vault_sessions_expires_at", "vault_sessions", ["expires_at"])


def downgrade() -> None:
    for table in ("vault_sessions", "vault_siwe_nonces", "vault_served_reads", "vault_profile_fields"):
        op.drop_table(table)
