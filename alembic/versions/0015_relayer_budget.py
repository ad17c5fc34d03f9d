"""relayer's spend per transaction, for the daily budget per community (issue 18)

Revision ID: 0015_relayer_budget
Revises: 0018_cosign_threshold
Create Date: 2026-12-05 12:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0015_relayer_budget'
down_revision = '0018_cosign_threshold'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('relayer_spend',
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('gas_used', sa.BigInteger(), nullable=False),
    sa.Column('gas_price_wei', sa.String(length=78), nullable=False),
    sa.Column('cost_wei', sa.String(length=78), nullable=False),
    sa.Column('sent_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('chain_id', 'tx_hash')
    )
    with op.batch_alter_table('relayer_spend', schema=None) as batch_op:
        batch_op.create_index('ix_relayer_spend_day', ['community', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('relayer_spend', schema=None) as batch_op:
        batch_op.drop_index('ix_relayer_spend_day')
    op.drop_table('relayer_spend')
