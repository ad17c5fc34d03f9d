"""Which event goes to which table: the one place to extend when a contract lands.

Each `EventSpec` names a contract (as in the deployment manifest), an event (as in
its ABI), the typed table that receives it (a model in backend/db/models.py) and how
the table's columns come from the event's arguments. Every event of every manifest
contract also lands in `raw_events`, spec or not, so a new contract is browsable the
moment it is in the manifest and gets typed tables by adding rows here.

Adding a contract's events (e.g. PropertyFees) is:
  1. a model per table in backend/db/models.py and an Alembic revision;
  2. rows in EVENT_SPECS below;
  3. if a state table derives from them, a projection in projections.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class EventSpec:
    """Map one contract event to one typed table."""

    contract: str
    event: str
    table: str
    # table column -> event argument name
    columns: Mapping[str, str]
    # table column -> fixed value (e.g. linked=True for ResidentLinked)
    constants: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def same(*names: str) -> Mapping[str, str]:
    """Columns named like the event's arguments."""
    return MappingProxyType({name: name for name in names})


def cols(*names: str, **renamed: str) -> Mapping[str, str]:
    """Columns named like the arguments, plus `column="argument"` renames."""
    return MappingProxyType({**{name: name for name in names}, **renamed})


REGISTRY = "HouseholdRegistry"
POINTS = "CommunityPoints"

EVENT_SPECS: tuple[EventSpec, ...] = (
    # HouseholdRegistry: units, owner identities and weights, totals.
    EventSpec(REGISTRY, "UnitRegistered", "unit_registrations",
              same("unit_id", "label", "area", "owner", "commitment", "identity")),
    EventSpec(REGISTRY, "UnitAreaChanged", "unit_area_changes", same("unit_id", "label", "old_area", "new_area")),
    EventSpec(REGISTRY, "OwnerWeightChanged", "owner_weight_changes",
              same("identity", "commitment", "wallet", "area", "units")),
    EventSpec(REGISTRY, "TotalsChanged", "totals_changes", same("area", "heads")),
    # Sales of units and recoveries of lost wallets.
    EventSpec(REGISTRY, "TransferRequested", "unit_transfer_requests",
              same("unit_id", "current_owner", "new_owner", "commitment", "eta")),
    EventSpec(REGISTRY, "TransferCancelled", "unit_transfer_cancellations", same("unit_id", "cancelled_by")),
    EventSpec(REGISTRY, "UnitTransferred", "unit_transfers",
              same("unit_id", "previous_owner", "new_owner", "label", "area", "previous_identity", "new_identity",
                   "commitment")),
    EventSpec(REGISTRY, "RecoveryRequested", "recovery_requests",
              same("identity", "current_wallet", "new_wallet", "eta")),
    EventSpec(REGISTRY, "RecoveryCancelled", "recovery_cancellations", same("identity", "cancelled_by")),
    EventSpec(REGISTRY, "WalletRecovered", "wallet_recoveries",
              same("identity", "previous_wallet", "new_wallet", "commitment")),
    # Residents who are not owners.
    EventSpec(REGISTRY, "ResidentLinked", "resident_changes",
              cols("unit_id", "wallet", "commitment", changed_by="linked_by"), MappingProxyType({"linked": True})),
    EventSpec(REGISTRY, "ResidentUnlinked", "resident_changes",
              cols("unit_id", "wallet", changed_by="unlinked_by"),
              MappingProxyType({"linked": False, "commitment": None})),
    # Roles (snekmate access_control events).
    EventSpec(REGISTRY, "RoleGranted", "role_changes", cols("role", "account", changed_by="sender"),
              MappingProxyType({"granted": True})),
    EventSpec(REGISTRY, "RoleRevoked", "role_changes", cols("role", "account", changed_by="sender"),
              MappingProxyType({"granted": False})),
    # CommunityPoints.
    EventSpec(POINTS, "Transfer", "points_movements", cols(sender="sender", receiver="receiver", amount="value")),
    EventSpec(POINTS, "PointsMinted", "points_mints", cols("amount", "reason", "minter", recipient="to")),
    EventSpec(POINTS, "PointsRedeemed", "points_redemptions", same("merchant", "amount", "settlement_ref")),
    EventSpec(POINTS, "MerchantSynced", "merchant_syncs", same("account", "is_merchant")),
    EventSpec(POINTS, "RoleMinterChanged", "minter_changes", same("minter", "status")),
)


def specs_by_event() -> dict[tuple[str, str], EventSpec]:
    """(contract, event) -> spec, refusing a duplicate entry."""
    found: dict[tuple[str, str], EventSpec] = {}
    for spec in EVENT_SPECS:
        key = (spec.contract, spec.event)
        if key in found:
            raise ValueError(f"two specs for {spec.contract}.{spec.event}")
        found[key] = spec
    return found
