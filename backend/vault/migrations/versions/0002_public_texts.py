# SPDX-License-Identifier: AGPL-3.0-only
"""public texts: the words the chain knows only by their SHA-256, stored in clear under it

Public by nature (suggestions, answers, service descriptions, reasons), so unencrypted;
in the vault's database because nothing else holds them (backend/texts).

Revision ID: v0002_public_texts
Revises: v0001_vault_schema
"""

import sqlalchemy as sa
from alembic import op

revision = "v0002_public_texts"
down_revision = "v0001_vault_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_texts",
        sa.Column("text_hash", sa.String(66), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("kind", sa.String(24), nullable=True),
        sa.Column("stored_by", sa.String(42), nullable=False),
        sa.Column("stored_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("public_texts")
