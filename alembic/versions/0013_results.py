"""indexer schema: results the legal way (issue 20): preliminary results, objections to them and final results (PaperBallots)

Revision ID: 0013_results
Revises: 0016_safe_pending
Create Date: 2026-12-05 12:50:00.000000
"""

from alembic import op
import sqlalchemy as sa
import backend.db.models


revision = '0013_results'
down_revision = '0016_safe_pending'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('final_results',
    sa.Column('proposal_id', sa.String(length=78), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('for_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('for_heads', sa.BigInteger(), nullable=False),
    sa.Column('against_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('against_heads', sa.BigInteger(), nullable=False),
    sa.Column('abstain_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('abstain_heads', sa.BigInteger(), nullable=False),
    sa.Column('objections', sa.BigInteger(), nullable=False),
    sa.Column('objection_ends', sa.BigInteger(), nullable=False),
    sa.Column('published_by', sa.String(length=42), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('chain_id', 'tx_hash', 'log_index')
    )
    with op.batch_alter_table('final_results', schema=None) as batch_op:
        batch_op.create_index('ix_final_results_position', ['community', 'block_number', 'log_index'], unique=False)
        batch_op.create_index('ix_final_results_proposal', ['community', 'proposal_id', 'block_number', 'log_index'], unique=False)

    op.create_table('preliminary_results',
    sa.Column('proposal_id', sa.String(length=78), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('turnout_met', sa.Boolean(), nullable=False),
    sa.Column('for_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('for_heads', sa.BigInteger(), nullable=False),
    sa.Column('against_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('against_heads', sa.BigInteger(), nullable=False),
    sa.Column('abstain_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('abstain_heads', sa.BigInteger(), nullable=False),
    sa.Column('total_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('total_heads', sa.BigInteger(), nullable=False),
    sa.Column('paper_ballots', sa.BigInteger(), nullable=False),
    sa.Column('objection_ends', sa.BigInteger(), nullable=False),
    sa.Column('published_by', sa.String(length=42), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('chain_id', 'tx_hash', 'log_index')
    )
    with op.batch_alter_table('preliminary_results', schema=None) as batch_op:
        batch_op.create_index('ix_preliminary_results_position', ['community', 'block_number', 'log_index'], unique=False)
        batch_op.create_index('ix_preliminary_results_proposal', ['community', 'proposal_id', 'block_number', 'log_index'], unique=False)

    op.create_table('result_objections',
    sa.Column('proposal_id', sa.String(length=78), nullable=True),
    sa.Column('identity', sa.BigInteger(), nullable=False),
    sa.Column('text_hash', sa.String(length=66), nullable=False),
    sa.Column('objections', sa.BigInteger(), nullable=False),
    sa.Column('owner', sa.String(length=42), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('chain_id', 'tx_hash', 'log_index')
    )
    with op.batch_alter_table('result_objections', schema=None) as batch_op:
        batch_op.create_index('ix_result_objections_position', ['community', 'block_number', 'log_index'], unique=False)
        batch_op.create_index('ix_result_objections_proposal', ['community', 'proposal_id', 'block_number', 'log_index'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('result_objections', schema=None) as batch_op:
        batch_op.drop_index('ix_result_objections_proposal')
        batch_op.drop_index('ix_result_objections_position')

    op.drop_table('result_objections')
    with op.batch_alter_table('preliminary_results', schema=None) as batch_op:
        batch_op.drop_index('ix_preliminary_results_proposal')
        batch_op.drop_index('ix_preliminary_results_position')

    op.drop_table('preliminary_results')
    with op.batch_alter_table('final_results', schema=None) as batch_op:
        batch_op.drop_index('ix_final_results_proposal')
        batch_op.drop_index('ix_final_results_position')

    op.drop_table('final_results')
