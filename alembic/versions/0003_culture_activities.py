"""indexer schema: CultureWorks, CommunityActivities and MerchantPromotions event tables

Revision ID: 0003_culture_activities
Revises: 0002_fees_assembly

Reserved so that the work on each family of contracts can land in any order; the
tables arrive with that family's models (backend/db/models/).
"""

revision = "0003_culture_activities"
down_revision = "0002_fees_assembly"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
