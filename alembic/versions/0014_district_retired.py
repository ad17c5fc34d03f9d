"""indexer schema: a district registry's entries and their retirements (issue 22), so the street office's table leaves a retired community out of its totals and ranking

Revision ID: 0014_district_retired
Revises: 0012_paper_ballots
Create Date: 2026-12-05 12:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0014_district_retired'
down_revision = '0012_paper_ballots'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('district_listings',
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('district', sa.String(length=42), nullable=False),
    sa.Column('district_id', sa.BigInteger(), nullable=False),
    sa.Column('community', sa.String(length=42), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('street', sa.String(length=128), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.Column('retired_block', sa.BigInteger(), nullable=True),
    sa.Column('retired_block_hash', sa.String(length=66), nullable=True),
    sa.Column('retired_reason_hash', sa.String(length=66), nullable=True),
    sa.PrimaryKeyConstraint('chain_id', 'district', 'district_id')
    )
    with op.batch_alter_table('district_listings', schema=None) as batch_op:
        batch_op.create_index('ix_district_listings_community', ['community'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('district_listings', schema=None) as batch_op:
        batch_op.drop_index('ix_district_listings_community')
    op.drop_table('district_listings')
