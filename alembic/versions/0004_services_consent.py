"""indexer schema: ServiceMarket, SuggestionBox and DataConsent event tables

Revision ID: 0004_services_consent
Revises: 0003_culture_activities

Reserved so that the work on each family of contracts can land in any order; the
tables arrive with that family's models (backend/db/models/).
"""

revision = "0004_services_consent"
down_revision = "0003_culture_activities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
