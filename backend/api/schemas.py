"""Response models, one per resource; lists come in an envelope with a cursor.

Addresses and hashes are lower-case 0x-hex; areas are in 0.01 m²; points are whole
points (the token has 0 decimals). Every response says how far the index goes:
`indexed_block` (the last block written) and `finalized_block` (the last one the
indexer treats as final).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

Item = TypeVar("Item")


class IndexPosition(BaseModel):
    indexed_block: int = Field(description="Last block the index has written")
    finalized_block: int = Field(description="Last block treated as final (head - finality depth)")


class Page(IndexPosition, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class EventPosition(BaseModel):
    block_number: int
    log_index: int
    tx_hash: str
    block_timestamp: int


class CommunityOut(IndexPosition):
    community: str = Field(description="The registry address: the community's key")
    chain_id: int
    name: str
    network: str
    deploy_block: int
    contracts: dict[str, str]


class CommunitySummary(CommunityOut):
    units: int
    total_area: int = Field(description="Exclusive area of all units, 0.01 m²")
    heads: int = Field(description="Owner identities counted as heads (民法典 第二百七十八条)")
    owners: int = Field(description="Owner identities holding at least one unit")
    residents: int = Field(description="Linked residents who are not owners")
    merchants: int
    points_supply: int
    points_holders: int


class UnitOut(BaseModel):
    unit_id: int
    label: str
    area: int
    identity: int
    owner_wallet: str | None
    registered_block: int
    updated_block: int


class OwnerOut(BaseModel):
    identity: int
    commitment: str
    wallet: str
    area: int
    units: int
    updated_block: int


class ResidentOut(BaseModel):
    wallet: str
    unit_id: int
    commitment: str
    linked_block: int


class AreaChangeOut(EventPosition):
    old_area: int
    new_area: int


class UnitTransferOut(EventPosition):
    previous_owner: str
    new_owner: str
    previous_identity: int
    new_identity: int


class UnitDetail(IndexPosition):
    unit: UnitOut
    owner: OwnerOut | None
    residents: list[ResidentOut]
    area_changes: list[AreaChangeOut]
    transfers: list[UnitTransferOut]


class OwnerDetail(IndexPosition):
    owner: OwnerOut
    units: list[UnitOut]


class RoleMemberOut(BaseModel):
    role: str = Field(description="Role name (committee, manager, …) or the role id for an unknown role")
    role_id: str
    account: str
    granted_block: int


class MerchantOut(BaseModel):
    account: str
    synced_block: int


class BalanceOut(BaseModel):
    holder: str
    balance: int


class BalanceDetail(IndexPosition, BalanceOut):
    pass


class MovementOut(EventPosition):
    sender: str
    receiver: str
    amount: int
    kind: str = Field(description="mint, redemption (burn) or transfer")


class MintOut(EventPosition):
    recipient: str
    amount: int
    reason: int
    minter: str


class RedemptionOut(EventPosition):
    merchant: str
    amount: int
    settlement_ref: str


class RawEventOut(EventPosition):
    address: str
    contract: str
    event: str | None
    args: dict[str, Any] | None


class CommunityHealth(BaseModel):
    community: str
    indexed_block: int
    chain_head: int | None
    lag: int | None
    halted: bool
    indexer_sees_node: bool
    last_error: str | None


class Health(BaseModel):
    status: str = Field(description="ok, degraded (lagging, halted or node down) or down (database down)")
    database_reachable: bool
    node_reachable: bool
    node_head: int | None
    communities: list[CommunityHealth]
