# SPDX-License-Identifier: AGPL-3.0-only
"""public texts can be removed: by their author, or by the owners' committee

A removed text keeps its row as a tombstone (its hash, who removed it, as what, when)
so every reader learns it was removed rather than "never stored", and it cannot be
stored again under the same hash; the words themselves are gone (text NULL).

Revision ID: v0003_text_removal
Revises: v0002_public_texts
"""

import sqlalchemy as sa
from alembic import op

revision = "v0003_text_removal"
down_revision = "v0002_public_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("public_texts") as batch:
        batch.alter_column("text", existing_type=sa.Text, nullable=True)
        batch.add_column(sa.Column("removed_at", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("removed_by", sa.String(42), nullable=True))
        # "author" or "committee"
        batch.add_column(sa.Column("removed_as", sa.String(12), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM public_texts WHERE text IS NULL")
    with op.batch_alter_table("public_texts") as batch:
        batch.drop_column("removed_as")
        batch.drop_column("removed_by")
        batch.drop_column("removed_at")
        batch.alter_column("text", existing_type=sa.Text, nullable=False)
