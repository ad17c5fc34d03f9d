"""OwnersAssembly event tables."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Address, Base, EventRow, Hash32, Uint256, by_position

# --------------------------------------------------------------------- OwnersAssembly
#
# Proposal ids are uint256 content hashes (OpenZeppelin's hashProposal), too big for
# a 64-bit integer: `proposal_id` holds the decimal string. The indexer's spec rows
# copy event arguments as they are, so `proposal_id` is filled by the projection
# (backend/indexer/projections.py) from the raw event in the same transaction.


def ProposalId(**kw) -> Mapped[str | None]:
    return mapped_column(String(78), nullable=True, **kw)


def _by_proposal(table: str) -> Index:
    return Index(f"ix_{table}_proposal", "community", "proposal_id", "block_number", "log_index")


class ProposalCreation(EventRow, Base):
    """ProposalCreated (OpenZeppelin Governor's event): the calls and the window."""

    __tablename__ = "proposal_creations"
    __table_args__ = (by_position("proposal_creations"), _by_proposal("proposal_creations"))

    proposal_id: Mapped[str | None] = ProposalId()
    proposer: Mapped[str] = Address(nullable=False)
    targets: Mapped[list | None] = mapped_column(JSON, nullable=True)
    call_values: Mapped[list | None] = mapped_column(JSON, nullable=True)
    calldatas: Mapped[list | None] = mapped_column(JSON, nullable=True)
    vote_start: Mapped[int] = mapped_column(BigInteger, nullable=False)
    vote_end: Mapped[int] = mapped_column(BigInteger, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)


class ProposalDetail(EventRow, Base):
    """ProposalDetails: matter, snapshot and the totals the statute counts against."""

    __tablename__ = "proposal_details"
    __table_args__ = (
        by_position("proposal_details"),
        _by_proposal("proposal_details"),
        Index("ix_proposal_details_matter", "community", "matter"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    proposer: Mapped[str] = Address(nullable=False)
    matter: Mapped[int] = mapped_column(Integer, nullable=False)
    major: Mapped[bool] = mapped_column(Boolean, nullable=False)
    doc_hash: Mapped[str] = Hash32(nullable=False)
    snapshot_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cosigners_required: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_window: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalCosign(EventRow, Base):
    __tablename__ = "proposal_cosigns"
    __table_args__ = (by_position("proposal_cosigns"), _by_proposal("proposal_cosigns"))

    proposal_id: Mapped[str | None] = ProposalId()
    owner: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cosigners: Mapped[int] = mapped_column(BigInteger, nullable=False)
    required: Mapped[int] = mapped_column(BigInteger, nullable=False)
    supported: Mapped[bool] = mapped_column(Boolean, nullable=False)


class Vote(EventRow, Base):
    """VoteCast: one owner identity's ballot (weight = its area at the snapshot, one head)."""

    __tablename__ = "votes"
    __table_args__ = (
        by_position("votes"),
        _by_proposal("votes"),
        Index("ix_votes_voter", "community", "voter"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    voter: Mapped[str] = Address(nullable=False)
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    weight: Mapped[int] = mapped_column(Uint256, nullable=False)


class VoteTally(EventRow, Base):
    """VoteTallied: the choice's running tally after a ballot (area, heads)."""

    __tablename__ = "vote_tallies"
    __table_args__ = (by_position("vote_tallies"), _by_proposal("vote_tallies"))

    proposal_id: Mapped[str | None] = ProposalId()
    support: Mapped[int] = mapped_column(Integer, nullable=False)
    area: Mapped[int] = mapped_column(Uint256, nullable=False)
    heads: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DelegateVote(EventRow, Base):
    """DelegateVoteCast: the ballot just before it was cast by `delegate` for `owner`."""

    __tablename__ = "delegate_votes"
    __table_args__ = (by_position("delegate_votes"), _by_proposal("delegate_votes"))

    proposal_id: Mapped[str | None] = ProposalId()
    delegate: Mapped[str] = Address(nullable=False)
    owner: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class DelegationChange(EventRow, Base):
    """DelegationSet (active = true) and DelegationRevoked (active = false);
    proposal_id "0" is a standing delegation."""

    __tablename__ = "delegation_changes"
    __table_args__ = (
        by_position("delegation_changes"),
        Index("ix_delegation_changes_key", "community", "identity", "proposal_id"),
    )

    proposal_id: Mapped[str | None] = ProposalId()
    owner: Mapped[str] = Address(nullable=False)
    delegate: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    previous: Mapped[str | None] = Address(nullable=True)


class ProposalComment(EventRow, Base):
    __tablename__ = "proposal_comments"
    __table_args__ = (by_position("proposal_comments"), _by_proposal("proposal_comments"))

    proposal_id: Mapped[str | None] = ProposalId()
    author: Mapped[str] = Address(nullable=False)
    identity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text_hash: Mapped[str] = Hash32(nullable=False)


class ProposalResult(EventRow, Base):
    """ProposalTallied: the final tallies and result, once finalized or queued."""

    __tablename__ = "proposal_results"
    __table_args__ = (by_position("proposal_results"), _by_proposal("proposal_results"))

    proposal_id: Mapped[str | None] = ProposalId()
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    turnout_met: Mapped[bool] = mapped_column(Boolean, nullable=False)
    for_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    for_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    against_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    against_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    abstain_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    abstain_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_area: Mapped[int] = mapped_column(Uint256, nullable=False)
    total_heads: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_ends: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ProposalAction(EventRow, Base):
    """ProposalQueued, ProposalExecuted, ProposalCanceled (`action` says which)."""

    __tablename__ = "proposal_actions"
    __table_args__ = (by_position("proposal_actions"), _by_proposal("proposal_actions"))

    proposal_id: Mapped[str | None] = ProposalId()
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    # The timelock eta (queued only).
    eta: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class VotingRulesChange(EventRow, Base):
    __tablename__ = "voting_rules_changes"
    __table_args__ = (by_position("voting_rules_changes"),)

    min_notice: Mapped[int] = mapped_column(BigInteger, nullable=False)
    min_voting_period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_voting_period: Mapped[int] = mapped_column(BigInteger, nullable=False)
    objection_window: Mapped[int] = mapped_column(BigInteger, nullable=False)


class MajorCallChange(EventRow, Base):
    __tablename__ = "major_call_changes"
    __table_args__ = (by_position("major_call_changes"),)

    target: Mapped[str] = Address(nullable=False)
    selector: Mapped[str] = mapped_column(String(10), nullable=False)
    major: Mapped[bool] = mapped_column(Boolean, nullable=False)
