"""indexer schema: AssemblyTimelock event tables

Revision ID: 0005_timelock
Revises: 0004_services_consent

Reserved so that the work on each family of contracts can land in any order; the
tables arrive with that family's models (backend/db/models/).
"""

revision = "0005_timelock"
down_revision = "0004_services_consent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
