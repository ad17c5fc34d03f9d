# SPDX-License-Identifier: AGPL-3.0-only
"""public texts: the store's size kept in one counter row, and texts by writer and time

`public_text_usage` holds the UTF-8 bytes of the texts kept (removed ones freed), moved
in the same transaction as each store or removal, so the whole store can be bounded
(LINLI_TEXTS_MAX_TOTAL_BYTES) without summing every text on each write, and bounded
the same way by every API worker. The index on (stored_by, stored_at) counts a
writer's texts of the last day (LINLI_TEXTS_WRITES_PER_DAY).

Revision ID: v0004_text_quota
Revises: v0003_text_removal
"""

import sqlalchemy as sa
from alembic import op

revision = "v0004_text_quota"
down_revision = "v0003_text_removal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_text_usage",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_public_texts_stored_by", "public_texts", ["stored_by", "stored_at"])
    size = "octet_length(text)" if op.get_bind().dialect.name == "postgresql" else "length(CAST(text AS BLOB))"
    op.execute(f"INSERT INTO public_text_usage (id, bytes) SELECT 1, COALESCE(SUM({size}), 0) FROM public_texts")


def downgrade() -> None:
    op.drop_index("ix_public_texts_stored_by", table_name="public_texts")
    op.drop_table("public_text_usage")
