"""relayer's reservations in the database, so API workers share one daily budget (issue 18)

Revision ID: 0020_relayer_reservations
Revises: 0019_nonvoter_rule
Create Date: 2026-12-05 16:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0020_relayer_reservations'
down_revision = '0019_nonvoter_rule'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('relayer_budget_days',
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('reservations', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('community', 'day')
    )
    op.create_table('relayer_reservations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('cost_wei', sa.String(length=78), nullable=False),
    sa.Column('reserved_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('relayer_reservations', schema=None) as batch_op:
        batch_op.create_index('ix_relayer_reservations_day', ['community', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('relayer_reservations', schema=None) as batch_op:
        batch_op.drop_index('ix_relayer_reservations_day')
    op.drop_table('relayer_reservations')
    op.drop_table('relayer_budget_days')
