"""indexer schema: the assembly's co-signer threshold for owners' motions (issue 20, counting rules)

Revision ID: 0018_cosign_threshold
Revises: 0013_results
Create Date: 2026-12-05 13:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0018_cosign_threshold'
down_revision = '0013_results'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cosign_threshold_changes',
    sa.Column('bps', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('chain_id', 'tx_hash', 'log_index')
    )
    with op.batch_alter_table('cosign_threshold_changes', schema=None) as batch_op:
        batch_op.create_index('ix_cosign_threshold_changes_position', ['community', 'block_number', 'log_index'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cosign_threshold_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_cosign_threshold_changes_position')
    op.drop_table('cosign_threshold_changes')
