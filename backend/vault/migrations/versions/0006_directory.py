# SPDX-License-Identifier: AGPL-3.0-only
"""the directory of organisations: names, categories and contacts of organisation wallets

Signed by the wallet described or set by the committee (backend/directory); public, but
kept with the vault because the signatures exist nowhere else.

Revision ID: v0006_directory
Revises: v0005_notices
"""

import sqlalchemy as sa
from alembic import op

revision = "v0006_directory"
down_revision = "v0005_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_entries",
        sa.Column("community", sa.String(42), primary_key=True),
        sa.Column("organisation", sa.String(42), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("contact", sa.String(400), nullable=False),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("set_by", sa.String(12), nullable=False),
        sa.Column("signature", sa.String(4098), nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_directory_entries_category", "directory_entries", ["community", "category"])


def downgrade() -> None:
    op.drop_index("ix_directory_entries_category", table_name="directory_entries")
    op.drop_table("directory_entries")
