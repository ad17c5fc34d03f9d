# SPDX-License-Identifier: AGPL-3.0-only
"""documents, owners' signed receipts of notices with their anchor batches, reminders' outbox

All three hold what exists nowhere else (files the chain knows by hash, owners'
signatures, residents' channel choices and reminders not yet sent), so they live in
the vault's database: backend/documents, backend/notices, backend/notify.

Revision ID: v0005_notices
Revises: v0004_text_quota
"""

import sqlalchemy as sa
from alembic import op

revision = "v0005_notices"
down_revision = "v0004_text_quota"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("doc_hash", sa.String(66), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("stored_by", sa.String(42), nullable=False),
        sa.Column("stored_at", sa.BigInteger, nullable=False),
        sa.Column("removed_at", sa.BigInteger, nullable=True),
        sa.Column("removed_by", sa.String(42), nullable=True),
        sa.Column("removed_as", sa.String(12), nullable=True),
    )
    op.create_table(
        "notice_anchor_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(42), nullable=False),
        sa.Column("root", sa.String(66), nullable=False, unique=True),
        sa.Column("receipts", sa.Integer, nullable=False),
        sa.Column("first_acknowledged_at", sa.BigInteger, nullable=False),
        sa.Column("last_acknowledged_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("batch", sa.BigInteger, nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("anchored_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "notice_receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("community", sa.String(42), nullable=False),
        sa.Column("notice_id", sa.BigInteger, nullable=False),
        sa.Column("content_hash", sa.String(66), nullable=False),
        sa.Column("owner", sa.String(42), nullable=False),
        sa.Column("acknowledged_at", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.String(4098), nullable=False),
        sa.Column("leaf", sa.String(66), nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("notice_anchor_batches.id"), nullable=True),
        sa.Column("batch_index", sa.Integer, nullable=True),
        sa.UniqueConstraint("community", "notice_id", "owner", name="uq_notice_receipt"),
    )
    op.create_index("ix_notice_receipts_unanchored", "notice_receipts", ["community", "batch_id", "id"])
    op.create_table(
        "notify_preferences",
        sa.Column("community", sa.String(42), primary_key=True),
        sa.Column("resident", sa.String(42), primary_key=True),
        sa.Column("email", sa.Boolean, nullable=False),
        sa.Column("webhook", sa.Boolean, nullable=False),
        sa.Column("votes", sa.Boolean, nullable=False),
        sa.Column("dues", sa.Boolean, nullable=False),
        sa.Column("notices", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("community", sa.String(42), nullable=False),
        sa.Column("resident", sa.String(42), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("claimed_until", sa.BigInteger, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("sent_at", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("dedup_key", name="uq_notify_outbox_dedup"),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_table("notify_preferences")
    op.drop_index("ix_notice_receipts_unanchored", table_name="notice_receipts")
    op.drop_table("notice_receipts")
    op.drop_table("notice_anchor_batches")
    op.drop_table("documents")
