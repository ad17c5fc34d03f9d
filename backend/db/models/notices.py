"""NoticeBoard: the document library, notices and anchored batches of owners' receipts.

Every event of the board has its table. A document's state (in force or withdrawn) and
a notice's proposal are a lookup or two at read time. The receipts themselves are not
here: the owners' signatures exist only in the backend (the vault's database,
backend/notices), and the chain holds only the roots of their batches.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.assembly import ProposalId
from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position


class DocumentRegistration(EventRow, Base):
    """DocumentRegistered: a file of the community's library, by its SHA-256."""

    __tablename__ = "document_registrations"
    __table_args__ = (by_position("document_registrations"),
                      Index("ix_document_registrations_hash", "community", "doc_hash"))

    doc_hash: Mapped[str] = Hash32(nullable=False)
    kind: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    registered_by: Mapped[str] = Address(nullable=False)
    registered_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DocumentWithdrawal(EventRow, Base):
    __tablename__ = "document_withdrawals"
    __table_args__ = (by_position("document_withdrawals"),
                      Index("ix_document_withdrawals_hash", "community", "doc_hash"))

    doc_hash: Mapped[str] = Hash32(nullable=False)
    reason_hash: Mapped[str] = Hash32(nullable=False)
    withdrawn_by: Mapped[str] = Address(nullable=False)
    withdrawn_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class NoticePublication(EventRow, Base):
    """NoticePublished: a notice's text (by hash), audience and the documents it carries."""

    __tablename__ = "notice_publications"
    __table_args__ = (by_position("notice_publications"),
                      Index("ix_notice_publications_notice", "community", "notice_id"))

    notice_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content_hash: Mapped[str] = Hash32(nullable=False)
    kind: Mapped[int] = mapped_column(Integer, nullable=False)
    audience: Mapped[int] = mapped_column(Integer, nullable=False)
    building: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    documents: Mapped[list | None] = mapped_column(JSON, nullable=True)
    publisher: Mapped[str] = Address(nullable=False)
    published_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalNotice(EventRow, Base):
    """ProposalNoticed: a proposal's notice with the vote's window and the frozen roll."""

    __tablename__ = "proposal_notices"
    __table_args__ = (by_position("proposal_notices"),
                      Index("ix_proposal_notices_proposal", "community", "proposal_id"),
                      Index("ix_proposal_notices_notice", "community", "notice_id"))

    notice_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    proposal_id: Mapped[str | None] = ProposalId()
    vote_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vote_end: Mapped[int] = mapped_column(BigInteger, nullable=False)
    snapshot_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(Uint256, nullable=False)
    min_notice: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ReceiptBatch(EventRow, Base):
    """ReceiptsAnchored: the Merkle root of a batch of owners' signed receipts."""

    __tablename__ = "receipt_batches"
    __table_args__ = (by_position("receipt_batches"), Index("ix_receipt_batches_batch", "community", "batch"))

    batch: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root: Mapped[str] = Hash32(nullable=False)
    receipts: Mapped[int] = mapped_column(BigInteger, nullable=False)
    first_acknowledged_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_acknowledged_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    anchored_by: Mapped[str] = Address(nullable=False)


class AnchorerChange(EventRow, Base):
    __tablename__ = "notice_anchorer_changes"
    __table_args__ = (by_position("notice_anchorer_changes"),)

    account: Mapped[str] = Address(nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    set_by: Mapped[str] = Address(nullable=False)
