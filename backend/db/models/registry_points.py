"""HouseholdRegistry and CommunityPoints: their event tables and the state tables projected from them (units, owners, residents, role members, merchants, points balances)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position

# HouseholdRegistry -----------------------------------------------------------


class UnitRegistration(EventRow, Base):
    __tablename__ = "unit_registrations"
    __table_args__ = (by_position("unit_registrations"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class UnitAreaChange(EventRow, Base):
    __tablename__ = "unit_area_changes"
    __table_args__ = (by_position("unit_area_changes"), Index("ix_unit_area_changes_unit", "community", "unit_id"))

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    old_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    new_area: Mapped[int] = mapped_column(Uint256, nullable=False)


class OwnerWeightChange(EventRow, Base):
    __tablename__ = "owner_weight_changes"
    __table_args__ = (
        by_position("owner_weight_changes"),
        Index("ix_owner_weight_changes_identity", "community", "identity"),
    )

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TotalsChange(EventRow, Base):
    __tablename__ = "totals_changes"
    __table_args__ = (by_position("totals_changes"),)

    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TransferRequest(EventRow, Base):
    __tablename__ = "unit_transfer_requests"
    __table_args__ = (by_position("unit_transfer_requests"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    current_owner: Mapped[str] = Address(nullable=False)
    new_owner: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    eta: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TransferObjection(EventRow, Base):
    """TransferObjected: the unit's owner objected once to a pending sale; `eta` is the
    later moment it can now take effect (an objection never cancels it)."""

    __tablename__ = "unit_transfer_objections"
    __table_args__ = (by_position("unit_transfer_objections"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    reason_hash: Mapped[str] = Hash32(nullable=False)
    eta: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TransferCancellation(EventRow, Base):
    __tablename__ = "unit_transfer_cancellations"
    __table_args__ = (by_position("unit_transfer_cancellations"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled_by: Mapped[str] = Address(nullable=False)


class UnitTransfer(EventRow, Base):
    __tablename__ = "unit_transfers"
    __table_args__ = (by_position("unit_transfers"), Index("ix_unit_transfers_unit", "community", "unit_id"))

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    previous_owner: Mapped[str] = Address(nullable=False)
    new_owner: Mapped[str] = Address(nullable=False)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    previous_identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    new_identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)


class RecoveryRequest(EventRow, Base):
    """RecoveryRequested: the committee's request, with the hash of its identity
    evidence (the vault's check of the ID number against the commitment)."""

    __tablename__ = "recovery_requests"
    __table_args__ = (by_position("recovery_requests"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    current_wallet: Mapped[str] = Address(nullable=False)
    new_wallet: Mapped[str] = Address(nullable=False)
    # Null for rows indexed before the evidence was part of the event.
    evidence_hash: Mapped[str | None] = Hash32(nullable=True)
    eta: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RecoveryObjection(EventRow, Base):
    """RecoveryObjected: the identity's wallet objected once; `eta` is the later moment
    the recovery can now take effect (an objection never cancels it)."""

    __tablename__ = "recovery_objections"
    __table_args__ = (by_position("recovery_objections"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    reason_hash: Mapped[str] = Hash32(nullable=False)
    eta: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RecoveryCancellation(EventRow, Base):
    __tablename__ = "recovery_cancellations"
    __table_args__ = (by_position("recovery_cancellations"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled_by: Mapped[str] = Address(nullable=False)


class WalletRecovery(EventRow, Base):
    __tablename__ = "wallet_recoveries"
    __table_args__ = (by_position("wallet_recoveries"),)

    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    previous_wallet: Mapped[str] = Address(nullable=False)
    new_wallet: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)


class ResidentInvitation(EventRow, Base):
    """ResidentInvited: a unit's owner invited a wallet; it is a resident once the
    wallet accepts (ResidentLinked)."""

    __tablename__ = "resident_invitations"
    __table_args__ = (by_position("resident_invitations"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    invited_by: Mapped[str] = Address(nullable=False)


class ResidentChange(EventRow, Base):
    """ResidentLinked (linked = true) and ResidentUnlinked (linked = false). A linked
    row names the household the resident joined (its unit's owner identity + 1); a
    sale of the unit ends the link without an event of its own (UnitTransferred)."""

    __tablename__ = "resident_changes"
    __table_args__ = (by_position("resident_changes"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    linked: Mapped[bool] = mapped_column(Boolean, nullable=False)
    commitment: Mapped[str | None] = Hash32(nullable=True)
    changed_by: Mapped[str] = Address(nullable=False)
    household: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RoleChange(EventRow, Base):
    """RoleGranted (granted = true) and RoleRevoked (granted = false)."""

    __tablename__ = "role_changes"
    __table_args__ = (by_position("role_changes"),)

    role: Mapped[str] = Hash32(nullable=False)
    account: Mapped[str] = Address(nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    changed_by: Mapped[str] = Address(nullable=False)


# CommunityPoints -------------------------------------------------------------


class PointsMovement(EventRow, Base):
    """Every ERC-20 Transfer of the points (mints from and burns to the zero address)."""

    __tablename__ = "points_movements"
    __table_args__ = (
        by_position("points_movements"),
        Index("ix_points_movements_sender", "community", "sender", "block_number", "log_index"),
        Index("ix_points_movements_receiver", "community", "receiver", "block_number", "log_index"),
    )

    sender: Mapped[str] = Address(nullable=False)
    receiver: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)


class PointsMint(EventRow, Base):
    __tablename__ = "points_mints"
    __table_args__ = (by_position("points_mints"),)

    recipient: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    reason: Mapped[int] = mapped_column(Integer, nullable=False)
    minter: Mapped[str] = Address(nullable=False)


class PointsCapChange(EventRow, Base):
    """HouseholdCapSet: the yearly cap on each household's participation points (0: none)."""

    __tablename__ = "points_cap_changes"
    __table_args__ = (by_position("points_cap_changes"),)

    previous: Mapped[int] = mapped_column(Uint256, nullable=False)
    cap: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class SuggestionCapChange(EventRow, Base):
    """SuggestionCapSet: the yearly cap on each household's suggestion points (0: none)."""

    __tablename__ = "suggestion_cap_changes"
    __table_args__ = (by_position("suggestion_cap_changes"),)

    previous: Mapped[int] = mapped_column(Uint256, nullable=False)
    cap: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class GrantAllowanceChange(EventRow, Base):
    """GrantAllowanceSet: the most points the committee may grant per year (the assembly's)."""

    __tablename__ = "grant_allowance_changes"
    __table_args__ = (by_position("grant_allowance_changes"),)

    previous: Mapped[int] = mapped_column(Uint256, nullable=False)
    allowance: Mapped[int] = mapped_column(Uint256, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)


class CommitteeGrant(EventRow, Base):
    """CommitteeGranted: a committee grant (reason 1) counted against its yearly allowance."""

    __tablename__ = "committee_grants"
    __table_args__ = (by_position("committee_grants"),)

    recipient: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    year: Mapped[int] = mapped_column(Uint256, nullable=False)
    granted_this_year: Mapped[int] = mapped_column(Uint256, nullable=False)
    allowance: Mapped[int] = mapped_column(Uint256, nullable=False)


class PointsClip(EventRow, Base):
    """MintClipped: a participation mint cut down by the household cap, or a suggestion
    mint by the suggestion cap (`cap` is the one that bound; `minted` may be 0).

    `household` is the registry's `household_key` (an owner identity + 1, shared with the
    residents of its units and kept by a wallet that left) or 2**160 | wallet for a
    wallet never in a household: a decimal string.
    """

    __tablename__ = "points_clips"
    __table_args__ = (by_position("points_clips"), Index("ix_points_clips_recipient", "community", "recipient"))

    household: Mapped[str] = mapped_column(String(78), nullable=False)
    recipient: Mapped[str] = Address(nullable=False)
    reason: Mapped[int] = mapped_column(Integer, nullable=False)
    year: Mapped[int] = mapped_column(Uint256, nullable=False)
    requested: Mapped[int] = mapped_column(Uint256, nullable=False)
    minted: Mapped[int] = mapped_column(Uint256, nullable=False)
    cap: Mapped[int] = mapped_column(Uint256, nullable=False)


class PointsRedemption(EventRow, Base):
    __tablename__ = "points_redemptions"
    __table_args__ = (by_position("points_redemptions"),)

    merchant: Mapped[str] = Address(nullable=False)
    amount: Mapped[int] = mapped_column(Uint256, nullable=False)
    settlement_ref: Mapped[str] = Hash32(nullable=False)


class MerchantSync(EventRow, Base):
    __tablename__ = "merchant_syncs"
    __table_args__ = (by_position("merchant_syncs"),)

    account: Mapped[str] = Address(nullable=False)
    is_merchant: Mapped[bool] = mapped_column(Boolean, nullable=False)


class MinterChange(EventRow, Base):
    __tablename__ = "minter_changes"
    __table_args__ = (by_position("minter_changes"),)

    minter: Mapped[str] = Address(nullable=False)
    status: Mapped[bool] = mapped_column(Boolean, nullable=False)


# --------------------------------------------------------------------- state tables


class Unit(Base):
    __tablename__ = "units"

    community: Mapped[str] = Address(primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    label: Mapped[str] = mapped_column(String(64), nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    registered_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Owner(Base):
    """An owner identity (dense index) with its current weight."""

    __tablename__ = "owners"

    community: Mapped[str] = Address(primary_key=True)
    identity: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commitment: Mapped[str] = Hash32(nullable=False)
    wallet: Mapped[str] = Address(nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    units: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Resident(Base):
    __tablename__ = "residents"

    community: Mapped[str] = Address(primary_key=True)
    wallet: Mapped[str] = Address(primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    commitment: Mapped[str] = Hash32(nullable=False)
    linked_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RoleMember(Base):
    __tablename__ = "role_members"

    community: Mapped[str] = Address(primary_key=True)
    role: Mapped[str] = Hash32(primary_key=True)
    account: Mapped[str] = Address(primary_key=True)
    granted_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Merchant(Base):
    """The points contract's mirror of the merchant role."""

    __tablename__ = "merchants"

    community: Mapped[str] = Address(primary_key=True)
    account: Mapped[str] = Address(primary_key=True)
    synced_block: Mapped[int] = mapped_column(BigInteger, nullable=False)


class PointsBalance(Base):
    __tablename__ = "points_balances"
    __table_args__ = (Index("ix_points_balances_balance", "community", "balance"),)

    community: Mapped[str] = Address(primary_key=True)
    holder: Mapped[str] = Address(primary_key=True)
    balance: Mapped[int] = mapped_column(Uint256, nullable=False)
