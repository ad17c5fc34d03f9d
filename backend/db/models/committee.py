# SPDX-License-Identifier: AGPL-3.0-only
"""The committee's proposed Safe transactions and their members' signatures.

Not events: records the backend keeps off chain (as Safe's own transaction service
does) until the committee's Safe executes them. Written by the API
(backend/committee), never by the indexer, so a reorganisation's rollback or a
re-index leaves them alone; a SafeTx whose nonce the Safe has passed simply stops
being pending. uint256 fields are kept as decimal text (any value fits on SQLite too).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, Hash32


class SafeProposal(Base):
    """One SafeTx proposed to the committee's Safe (its EIP-712 fields, as Safe defines them)."""

    __tablename__ = "safe_proposals"
    __table_args__ = (Index("ix_safe_proposals_safe_nonce", "community", "safe", "nonce"),)

    safe_tx_hash: Mapped[str] = Hash32(primary_key=True)
    community: Mapped[str] = Address(nullable=False)
    safe: Mapped[str] = Address(nullable=False)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    to: Mapped[str] = Address(nullable=False)
    value: Mapped[str] = mapped_column(String(78), nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)  # 0x-hex calldata
    operation: Mapped[int] = mapped_column(Integer, nullable=False)
    safe_tx_gas: Mapped[str] = mapped_column(String(78), nullable=False)
    base_gas: Mapped[str] = mapped_column(String(78), nullable=False)
    gas_price: Mapped[str] = mapped_column(String(78), nullable=False)
    gas_token: Mapped[str] = Address(nullable=False)
    refund_receiver: Mapped[str] = Address(nullable=False)
    nonce: Mapped[int] = mapped_column(BigInteger, nullable=False)
    proposer: Mapped[str] = Address(nullable=False)
    proposed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SafeSignature(Base):
    """A member's EIP-712 signature of a proposed SafeTx (r ‖ s ‖ v, 0x-hex)."""

    __tablename__ = "safe_signatures"

    safe_tx_hash: Mapped[str] = mapped_column(String(66), ForeignKey("safe_proposals.safe_tx_hash"),
                                              primary_key=True)
    signer: Mapped[str] = Address(primary_key=True)
    signature: Mapped[str] = mapped_column(String(132), nullable=False)
    signed_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
