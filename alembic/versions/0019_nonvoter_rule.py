"""indexer schema: the non-voter rule (指导规则 第二十六条第二款, issue 20): its changes, served non-voters recorded and confirmed by tellers, and the votes deemed cast at the preliminary result (PaperBallots)

Revision ID: 0019_nonvoter_rule
Revises: 0015_relayer_budget
Create Date: 2026-12-05 15:50:00.000000
"""

from alembic import op
import sqlalchemy as sa
import backend.db.models


revision = '0019_nonvoter_rule'
down_revision = '0015_relayer_budget'
branch_labels = None
depends_on = None


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column('chain_id', sa.BigInteger(), nullable=False),
        sa.Column('tx_hash', sa.String(length=66), nullable=False),
        sa.Column('log_index', sa.Integer(), nullable=False),
        sa.Column('community', sa.String(length=42), nullable=False),
        sa.Column('block_number', sa.BigInteger(), nullable=False),
        sa.Column('block_timestamp', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('chain_id', 'tx_hash', 'log_index'),
    ]


def _indexes(table: str, by_proposal: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(f'ix_{table}_position', ['community', 'block_number', 'log_index'], unique=False)
        if by_proposal:
            batch_op.create_index(f'ix_{table}_proposal', ['community', 'proposal_id', 'block_number', 'log_index'],
                                  unique=False)


def upgrade() -> None:
    op.create_table('nonvoter_rule_changes',
    sa.Column('rule_on', sa.Boolean(), nullable=False),
    sa.Column('from_block', sa.BigInteger(), nullable=False),
    sa.Column('set_by', sa.String(length=42), nullable=False),
    *_event_columns())
    _indexes('nonvoter_rule_changes', False)

    op.create_table('service_records',
    sa.Column('proposal_id', sa.String(length=78), nullable=True),
    sa.Column('batch', sa.BigInteger(), nullable=False),
    sa.Column('identities', sa.JSON(), nullable=False),
    sa.Column('evidence_hash', sa.String(length=66), nullable=False),
    sa.Column('teller', sa.String(length=42), nullable=False),
    *_event_columns())
    _indexes('service_records', True)

    op.create_table('service_confirmations',
    sa.Column('proposal_id', sa.String(length=78), nullable=True),
    sa.Column('batch', sa.BigInteger(), nullable=False),
    sa.Column('identities', sa.JSON(), nullable=False),
    sa.Column('evidence_hash', sa.String(length=66), nullable=False),
    sa.Column('area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('heads', sa.BigInteger(), nullable=False),
    sa.Column('entered_by', sa.String(length=42), nullable=False),
    sa.Column('confirmed_by', sa.String(length=42), nullable=False),
    *_event_columns())
    _indexes('service_confirmations', True)

    op.create_table('deemed_votes',
    sa.Column('proposal_id', sa.String(length=78), nullable=True),
    sa.Column('side', sa.Integer(), nullable=False),
    sa.Column('area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('heads', sa.BigInteger(), nullable=False),
    sa.Column('served_area', backend.db.models.base.Uint256(), nullable=False),
    sa.Column('served_heads', sa.BigInteger(), nullable=False),
    sa.Column('passed_without', sa.Boolean(), nullable=False),
    sa.Column('turnout_met_without', sa.Boolean(), nullable=False),
    *_event_columns())
    _indexes('deemed_votes', True)


def downgrade() -> None:
    for table, by_proposal in (('deemed_votes', True), ('service_confirmations', True), ('service_records', True),
                               ('nonvoter_rule_changes', False)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if by_proposal:
                batch_op.drop_index(f'ix_{table}_proposal')
            batch_op.drop_index(f'ix_{table}_position')
        op.drop_table(table)
